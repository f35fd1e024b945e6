//! A corpus: the documents named on a command line (files, directories with
//! every regular file below, standard input), their names (which make their
//! IRIs), and their ordered parallel extraction into a sink — so every front
//! end feeds extraction the same way.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::extract::{Document, Extraction, Extractor};

/// What can go wrong reading a corpus.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CorpusError {
    /// A document could not be read.
    #[error("cannot read `{path}`: {error}")]
    Read {
        /// The document.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// A directory could not be listed.
    #[error("cannot read directory `{path}`: {error}")]
    Directory {
        /// The directory.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// A document is not UTF-8 (and lossy reading was not asked for).
    #[error(
        "`{path}` is not valid UTF-8 (at byte {at}); skipped (use --lossy to replace bad bytes)"
    )]
    NotUtf8 {
        /// The document.
        path: PathBuf,
        /// The first bad byte.
        at: usize,
    },
    /// A line of JSON lines input is not a record with an id and a text.
    #[error("{path}:{line}: {why}; the record is skipped")]
    Record {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// What is wrong with it.
        why: String,
    },
    /// Two documents would get the same name, so the same IRI.
    #[error(
        "`{first}` and `{second}` would both be the document `{name}`; nothing was written\n\
         hint: give their common parent directory instead, or build them into separate stores"
    )]
    SameName {
        /// The first document.
        first: PathBuf,
        /// The second.
        second: PathBuf,
        /// Their common name.
        name: String,
    },
}

/// A document to read: where, and the name its IRI is made from.
#[derive(Clone, Debug)]
pub struct Source {
    /// Where to read it (`-` is standard input); for a record, its file.
    pub path: PathBuf,
    /// Its path relative to the corpus root, `/`-separated, or a record's
    /// id: its IRI is made from it.
    pub name: String,
    /// A record's text (JSON lines input), already read.
    pub text: Option<std::sync::Arc<str>>,
}

/// Reads a document; invalid UTF-8 is an error naming the byte, unless `lossy`.
pub fn read_document(path: &Path, lossy: bool) -> Result<String, CorpusError> {
    let mut bytes = Vec::new();
    let read_error = |error| CorpusError::Read {
        path: path.to_owned(),
        error,
    };
    if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(read_error)?;
    } else {
        bytes = std::fs::read(path).map_err(read_error)?;
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(error) if lossy => Ok(String::from_utf8_lossy(error.as_bytes()).into_owned()),
        Err(error) => Err(CorpusError::NotUtf8 {
            path: path.to_owned(),
            at: error.utf8_error().valid_up_to(),
        }),
    }
}

/// The documents `paths` name, directories expanded (sorted; names starting
/// with `.` left out). Files below a directory that are not regular files
/// (FIFOs, sockets, devices: reading them could block for ever) are left out
/// and listed in `skipped`.
pub fn collect_sources(
    paths: &[PathBuf],
    skipped: &mut Vec<PathBuf>,
) -> Result<Vec<Source>, CorpusError> {
    let mut sources = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            sources.push(Source {
                path: path.clone(),
                name: "stdin".into(),
                text: None,
            });
        } else if path.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files, skipped).map_err(|error| CorpusError::Directory {
                path: path.clone(),
                error,
            })?;
            files.sort();
            for file in files {
                let relative = file.strip_prefix(path).unwrap_or(&file);
                sources.push(Source {
                    name: slash_path(relative),
                    path: file,
                    text: None,
                });
            }
        } else {
            sources.push(Source {
                name: slash_path(path),
                path: path.clone(),
                text: None,
            });
        }
    }
    Ok(sources)
}

/// The records of a JSON lines file (`-`: standard input), one document a
/// line: `{"id": …, "text": …}` with the fields named `id_field` and
/// `text_field` (an id may be a string or a number). Lines that are not such a
/// record are returned as errors, in file order, beside the good ones.
pub fn read_records(
    path: &Path,
    id_field: &str,
    text_field: &str,
) -> Result<(Vec<Source>, Vec<CorpusError>), CorpusError> {
    let text = read_document(path, false)?;
    let (mut sources, mut errors) = (Vec::new(), Vec::new());
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record = |why: String| CorpusError::Record {
            path: path.to_owned(),
            line: index + 1,
            why,
        };
        let value: serde_json::Value = match serde_json::from_str(line) {
            Ok(value) => value,
            Err(error) => {
                errors.push(record(format!("not JSON ({error})")));
                continue;
            }
        };
        let id = match &value[id_field] {
            serde_json::Value::String(id) if !id.is_empty() => id.clone(),
            serde_json::Value::Number(id) => id.to_string(),
            _ => {
                errors.push(record(format!("no `{id_field}` (a string or a number)")));
                continue;
            }
        };
        let Some(text) = value[text_field].as_str() else {
            errors.push(record(format!("no `{text_field}` string")));
            continue;
        };
        sources.push(Source {
            path: path.to_owned(),
            name: id,
            text: Some(text.into()),
        });
    }
    Ok((sources, errors))
}

/// The documents in a TSV file: a header line naming the columns, then a
/// record a line; `id_field` and `text_field` name columns (or give their
/// 1-based numbers). Fields may escape `\t`, `\n`, `\r` and `\\` (linear
/// TSV); offsets count characters of the unescaped field. A line without
/// those columns is reported by line and skipped.
pub fn read_tsv_records(
    path: &Path,
    id_field: &str,
    text_field: &str,
) -> Result<(Vec<Source>, Vec<CorpusError>), CorpusError> {
    let text = read_document(path, false)?;
    let mut lines = text.lines().enumerate();
    let header: Vec<&str> = lines
        .next()
        .map(|(_, line)| line.split('\t').collect())
        .unwrap_or_default();
    let column = |field: &str| -> Result<usize, CorpusError> {
        header
            .iter()
            .position(|name| name.trim() == field)
            .or_else(|| field.parse::<usize>().ok().filter(|&n| n >= 1).map(|n| n - 1))
            .ok_or_else(|| CorpusError::Record {
                path: path.to_owned(),
                line: 1,
                why: format!(
                    "the header has no column `{field}` (it has: {}); name one with --id-field/--text-field, or give its number",
                    header.join(", ")
                ),
            })
    };
    let (id_column, text_column) = (column(id_field)?, column(text_field)?);
    let (mut sources, mut errors) = (Vec::new(), Vec::new());
    for (index, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let (Some(id), Some(text)) = (fields.get(id_column), fields.get(text_column)) else {
            errors.push(CorpusError::Record {
                path: path.to_owned(),
                line: index + 1,
                why: format!("{} fields, the header has {}", fields.len(), header.len()),
            });
            continue;
        };
        if id.is_empty() {
            errors.push(CorpusError::Record {
                path: path.to_owned(),
                line: index + 1,
                why: format!("an empty `{id_field}`"),
            });
            continue;
        }
        sources.push(Source {
            path: path.to_owned(),
            name: unescape_tsv(id),
            text: Some(unescape_tsv(text).into()),
        });
    }
    Ok((sources, errors))
}

/// A linear-TSV field unescaped (`\t`, `\n`, `\r`, `\\`; other
/// backslashes stay).
fn unescape_tsv(field: &str) -> String {
    if !field.contains('\\') {
        return field.to_owned();
    }
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// An error if two sources have one name (two folders both holding `x.txt`).
pub fn check_distinct_names(sources: &[Source]) -> Result<(), CorpusError> {
    let mut seen: std::collections::HashMap<&str, &Source> = std::collections::HashMap::new();
    for source in sources {
        if let Some(first) = seen.insert(&source.name, source) {
            return Err(CorpusError::SameName {
                first: first.path.clone(),
                second: source.path.clone(),
                name: source.name.clone(),
            });
        }
    }
    Ok(())
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, skipped: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        // Read only regular files (a FIFO or a device would block or never
        // end); follow links to files, not to directories (no cycles).
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&path, files, skipped)?;
        } else if kind.is_file() || std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            files.push(path);
        } else {
            skipped.push(path);
        }
    }
    Ok(())
}

/// `a/b.txt`: the path's components joined by `/`, without `.`; a
/// backslash in a Unix file name stays a character of the name.
fn slash_path(path: &Path) -> String {
    use std::path::Component;
    let parts: Vec<String> = path
        .components()
        .filter_map(|component| match component {
            Component::CurDir => None,
            Component::RootDir => Some(String::new()),
            other => Some(other.as_os_str().to_string_lossy().into_owned()),
        })
        .collect();
    parts.join("/")
}

/// Extracts `sources` in parallel, in runs of documents holding at most
/// [`IN_FLIGHT_BYTES`] of text a thread (memory follows the largest document
/// and the thread count, not the corpus), and hands each result to `sink` in
/// the order of `sources`. `sink` returns whether to go on.
pub fn extract_in_order<E>(
    extractor: &Extractor,
    sources: &[Source],
    lossy: bool,
    year: Option<i32>,
    mut sink: impl FnMut(&Source, Result<(Document, Extraction), CorpusError>) -> Result<bool, E>,
) -> Result<(), E> {
    use rayon::prelude::*;
    let threads = rayon::current_num_threads();
    for chunk in in_flight(sources, threads) {
        let results: Vec<_> = chunk
            .par_iter()
            .map(|source| {
                let text = match &source.text {
                    Some(text) => text.to_string(),
                    None => read_document(&source.path, lossy)?,
                };
                let document = Document::new(&source.name, text, year);
                let extraction =
                    extractor.with_scratch(|scratch| extractor.extract(&document, scratch));
                Ok((document, extraction))
            })
            .collect();
        for (source, result) in chunk.iter().zip(results) {
            if !sink(source, result)? {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Text a thread may have in flight: a document's facts are held until they
/// are handed on, so big documents go one a thread at a time.
pub const IN_FLIGHT_BYTES: u64 = 8 << 20;

/// Documents a thread takes in one run: small documents go in runs long
/// enough that every thread keeps busy between the hand-overs.
const RUN_PER_THREAD: usize = 64;

/// `sources` cut into runs of at most [`RUN_PER_THREAD`] documents a thread
/// and, unless a run is one document, at most [`IN_FLIGHT_BYTES`] of text a
/// thread.
fn in_flight(sources: &[Source], threads: usize) -> Vec<&[Source]> {
    let size = |source: &Source| match &source.text {
        Some(text) => text.len() as u64,
        None => std::fs::metadata(&source.path).map_or(0, |m| m.len()),
    };
    let threads = threads.max(1);
    let (documents, budget) = (threads * RUN_PER_THREAD, threads as u64 * IN_FLIGHT_BYTES);
    let mut runs = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (index, source) in sources.iter().enumerate() {
        let next = size(source);
        if index > start && (index - start >= documents || bytes + next > budget) {
            runs.push(&sources[start..index]);
            (start, bytes) = (index, 0);
        }
        bytes += next;
    }
    if start < sources.len() {
        runs.push(&sources[start..]);
    }
    runs
}

/// Documents larger than this (files, read as plain text, without `lossy`)
/// are read and extracted in pieces of about this size, cut where a sentence
/// starts: memory follows the piece, not the document or its facts.
pub const PIECE_BYTES: usize = 128 << 10;

/// Pieces of a big document in flight per thread (read, not yet handed to
/// the sink): enough that no thread waits while a slow piece holds up those
/// after it.
const PIECES_PER_THREAD: usize = 4;

/// What a sink of [`extract_in_pieces`] gets: a document, whole or in part.
#[derive(Debug)]
pub struct Piece {
    /// The document (its IRI and year); its text is this piece's.
    pub document: Document,
    /// The piece's facts, with sentence numbers and offsets of the whole document.
    pub extraction: Extraction,
    /// The document's first piece (or the whole document).
    pub first: bool,
    /// The document's last piece (or the whole document).
    pub last: bool,
    /// How many matches the document's earlier pieces had (support graphs
    /// are numbered across the document).
    pub matches_before: usize,
}

/// [`extract_in_order`], but a big document (see [`PIECE_BYTES`]) goes to
/// `sink` piece by piece, in order, each piece's facts as soon as they are
/// found; its pieces are extracted in parallel. The facts are those of the
/// whole document, and its bytes are checked to be UTF-8 before the first
/// piece goes out, so a broken document is reported, not half written.
pub fn extract_in_pieces<E>(
    extractor: &Extractor,
    sources: &[Source],
    lossy: bool,
    year: Option<i32>,
    piece_bytes: usize,
    sink: impl FnMut(&Source, Result<Piece, CorpusError>) -> Result<bool, E>,
) -> Result<(), E> {
    let sizes = Sizes {
        piece: piece_bytes,
        whole: WHOLE_DOCUMENT_BYTES,
    };
    read_in_pieces(extractor, sources, lossy, year, sizes, sink)
}

/// The sizes that decide how a document is read.
#[derive(Clone, Copy)]
struct Sizes {
    /// About the size of a piece (documents larger go in pieces).
    piece: usize,
    /// The largest document read whole (see [`WHOLE_DOCUMENT_BYTES`]).
    whole: u64,
}

/// [`extract_in_pieces`], with the sizes given.
fn read_in_pieces<E>(
    extractor: &Extractor,
    sources: &[Source],
    lossy: bool,
    year: Option<i32>,
    sizes: Sizes,
    mut sink: impl FnMut(&Source, Result<Piece, CorpusError>) -> Result<bool, E>,
) -> Result<(), E> {
    let piece_bytes = sizes.piece;
    let big = |source: &Source| {
        !lossy
            && source.text.is_none()
            && source.path.as_os_str() != "-"
            && extractor.view() == crate::text::View::Text
            && std::fs::metadata(&source.path).is_ok_and(|m| m.len() > piece_bytes as u64)
    };
    let mut start = 0;
    while start < sources.len() {
        if big(&sources[start]) {
            // A run of big documents goes through one pipeline: the next
            // one is read while the last pieces of the one before are
            // extracted.
            let end = (start..sources.len())
                .find(|&index| !big(&sources[index]))
                .unwrap_or(sources.len());
            if !stream_documents(extractor, &sources[start..end], year, sizes, &mut sink)? {
                return Ok(());
            }
            start = end;
            continue;
        }
        let end = (start..sources.len())
            .find(|&index| big(&sources[index]))
            .unwrap_or(sources.len());
        let mut stopped = false;
        extract_in_order(
            extractor,
            &sources[start..end],
            lossy,
            year,
            |source, result| {
                let piece = result.map(|(document, extraction)| Piece {
                    document,
                    extraction,
                    first: true,
                    last: true,
                    matches_before: 0,
                });
                let go_on = sink(source, piece)?;
                stopped = !go_on;
                Ok(go_on)
            },
        )?;
        if stopped {
            return Ok(());
        }
        start = end;
    }
    Ok(())
}

/// Big documents, piece by piece (see [`extract_in_pieces`]).
///
/// With one thread, each piece is extracted as it is read: the least memory.
/// With more, this thread reads the pieces of one document after another and
/// hands them to the pool, and hands what comes back to the sink in order,
/// reading more as pieces come back, so that at most `PIECES_PER_THREAD`
/// pieces a thread are in flight. Reading, extracting and writing overlap,
/// also across documents. One thread does both ends: a reader of its own
/// would wake and sleep with every piece, taking a core from the pool each
/// time.
fn stream_documents<E>(
    extractor: &Extractor,
    sources: &[Source],
    year: Option<i32>,
    sizes: Sizes,
    sink: &mut impl FnMut(&Source, Result<Piece, CorpusError>) -> Result<bool, E>,
) -> Result<bool, E> {
    let mut reader = PieceReader::new(sources, year, sizes);
    let mut order = HandOver::default();
    let threads = rayon::current_num_threads().max(1);
    if threads == 1 {
        for (number, index, next) in reader {
            let returned = match next {
                Next::Read(read) => read.extract(extractor),
                Next::Returned(returned) => returned,
            };
            if !order.accept(sources, number, index, returned, sink)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    let window = PIECES_PER_THREAD * threads;
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    // Set when the sink stops: the pieces still queued are not extracted.
    let stopped = std::sync::atomic::AtomicBool::new(false);
    let stopped = &stopped;
    rayon::in_place_scope(|pool| {
        let mut in_flight = 0;
        let mut hand_over = |number, index, returned| {
            let go_on = order.accept(sources, number, index, returned, sink);
            if !matches!(go_on, Ok(true)) {
                stopped.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            go_on
        };
        loop {
            while in_flight < window {
                let Some((number, index, next)) = reader.next() else {
                    break;
                };
                match next {
                    Next::Read(read) => {
                        let done_tx = done_tx.clone();
                        pool.spawn(move |_| {
                            if stopped.load(std::sync::atomic::Ordering::Relaxed) {
                                return;
                            }
                            // A panic goes back too (and on from there): this
                            // thread waits for every piece in flight.
                            let extract = std::panic::AssertUnwindSafe(|| read.extract(extractor));
                            let returned = std::panic::catch_unwind(extract)
                                .unwrap_or_else(Returned::Panicked);
                            let _ = done_tx.send((number, index, returned));
                        });
                        in_flight += 1;
                    }
                    Next::Returned(returned) => {
                        if !hand_over(number, index, returned)? {
                            return Ok(false);
                        }
                    }
                }
            }
            if in_flight == 0 {
                return Ok(true);
            }
            let (number, index, returned) = done_rx.recv().expect("a piece in flight comes back");
            in_flight -= 1;
            if !hand_over(number, index, returned)? {
                return Ok(false);
            }
        }
    })
}

/// What comes next of a run of big documents.
enum Next {
    /// A piece to extract.
    Read(ReadPiece),
    /// Something to hand over as it is.
    Returned(Returned),
}

/// A piece of a big document, read.
struct ReadPiece {
    text: String,
    iri: oxrdf::NamedNode,
    year: Option<i32>,
    /// The document's last piece.
    last: bool,
}

impl ReadPiece {
    fn extract(self, extractor: &Extractor) -> Returned {
        let document = Document {
            iri: self.iri,
            text: self.text,
            year: self.year,
        };
        let extraction = extractor.with_scratch(|scratch| extractor.extract(&document, scratch));
        let chars = document.text.chars().count();
        let extracted = Extracted {
            document,
            extraction,
            chars,
        };
        Returned::Piece(extracted, self.last)
    }
}

/// Reads a run of big documents piece by piece, numbering what it gives
/// (across documents) and with the index of its document.
struct PieceReader<'a> {
    sources: &'a [Source],
    year: Option<i32>,
    sizes: Sizes,
    /// The document being read.
    index: usize,
    number: usize,
    open: Option<OpenDocument>,
    /// The last document's buffer, kept for the next.
    buffer: Vec<u8>,
}

/// A big document being read.
struct OpenDocument {
    pieces: Pieces,
    iri: oxrdf::NamedNode,
    /// Its year: given, or read from its first piece.
    year: Option<i32>,
    first: bool,
}

impl<'a> PieceReader<'a> {
    fn new(sources: &'a [Source], year: Option<i32>, sizes: Sizes) -> PieceReader<'a> {
        PieceReader {
            sources,
            year,
            sizes,
            index: 0,
            number: 0,
            open: None,
            buffer: Vec::new(),
        }
    }

    /// The document being read, opened (and checked to be UTF-8) if it is not yet.
    fn open(&mut self, source: &Source) -> Result<&mut OpenDocument, CorpusError> {
        if self.open.is_none() {
            let buffer = std::mem::take(&mut self.buffer);
            let whole = std::fs::metadata(&source.path)
                .is_ok_and(|metadata| metadata.len() <= self.sizes.whole);
            let pieces = if whole {
                Pieces::whole(&source.path, self.sizes.piece, buffer)?
            } else {
                check_utf8(&source.path)?;
                Pieces::open(&source.path, self.sizes.piece, buffer)?
            };
            self.open = Some(OpenDocument {
                pieces,
                iri: crate::extract::document_iri(&source.name),
                year: self.year,
                first: true,
            });
        }
        Ok(self.open.as_mut().expect("opened above"))
    }

    /// Goes on to the next document.
    fn close(&mut self) {
        if let Some(document) = self.open.take() {
            self.buffer = document.pieces.into_buffer();
        }
        self.index += 1;
    }
}

impl Iterator for PieceReader<'_> {
    type Item = (usize, usize, Next);

    fn next(&mut self) -> Option<(usize, usize, Next)> {
        let index = self.index;
        let source = self.sources.get(index)?;
        let next = match self.open(source) {
            Ok(document) => match document.pieces.next_piece() {
                Ok(Some(text)) => {
                    if std::mem::take(&mut document.first) {
                        document.year = document
                            .year
                            .or_else(|| crate::extract::document_year(&text));
                    }
                    Next::Read(ReadPiece {
                        text,
                        iri: document.iri.clone(),
                        year: document.year,
                        last: document.pieces.is_done(),
                    })
                }
                Ok(None) => {
                    self.close();
                    Next::Returned(Returned::End)
                }
                Err(error) => {
                    self.close();
                    Next::Returned(Returned::Failed(error))
                }
            },
            Err(error) => {
                self.close();
                Next::Returned(Returned::Failed(error))
            }
        };
        let number = self.number;
        self.number += 1;
        Some((number, index, next))
    }
}

/// What the reader and the pool give back of a big document.
enum Returned {
    Piece(Extracted, bool),
    /// The document cannot be read (further).
    Failed(CorpusError),
    /// The document has no more pieces.
    End,
    /// Extracting a piece panicked (with this payload).
    Panicked(Box<dyn std::any::Any + Send>),
}

/// Hands what comes back from the reader and the pool (in any order, by
/// number) to the sink in order.
#[derive(Default)]
struct HandOver {
    waiting: std::collections::BTreeMap<usize, (usize, Returned)>,
    next: usize,
    /// The document being handed over (its pieces come one after another).
    current: Option<usize>,
    order: InOrder,
}

impl HandOver {
    /// Takes what came back as `number` and hands over all that is now in
    /// order; false when the sink stops.
    fn accept<E>(
        &mut self,
        sources: &[Source],
        number: usize,
        index: usize,
        returned: Returned,
        sink: &mut impl FnMut(&Source, Result<Piece, CorpusError>) -> Result<bool, E>,
    ) -> Result<bool, E> {
        self.waiting.insert(number, (index, returned));
        while let Some((index, returned)) = self.waiting.remove(&self.next) {
            self.next += 1;
            if self.current != Some(index) {
                (self.current, self.order) = (Some(index), InOrder::default());
            }
            let source = &sources[index];
            let go_on = match returned {
                Returned::End => true,
                Returned::Panicked(payload) => std::panic::resume_unwind(payload),
                Returned::Failed(error) => sink(source, Err(error))?,
                Returned::Piece(piece, last) => self.order.hand_over(source, piece, last, sink)?,
            };
            if !go_on {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// A piece of a big document, extracted, before its place in the document
/// is known.
struct Extracted {
    document: Document,
    extraction: Extraction,
    /// Its length in characters.
    chars: usize,
}

/// What the pieces of a document handed over so far held: where the next
/// one's sentences, characters and matches are numbered from.
#[derive(Default)]
struct InOrder {
    pieces: usize,
    sentences: usize,
    chars: usize,
    matches: usize,
}

impl InOrder {
    fn hand_over<E>(
        &mut self,
        source: &Source,
        piece: Extracted,
        last: bool,
        sink: &mut impl FnMut(&Source, Result<Piece, CorpusError>) -> Result<bool, E>,
    ) -> Result<bool, E> {
        let Extracted {
            document,
            mut extraction,
            chars,
        } = piece;
        extraction.shift(self.sentences, self.chars);
        let matches = crate::provenance::matches(&extraction.facts).count();
        self.sentences += extraction.sentences;
        self.chars += chars;
        let piece = Piece {
            document,
            extraction,
            first: self.pieces == 0,
            last,
            matches_before: self.matches,
        };
        self.matches += matches;
        self.pieces += 1;
        sink(source, Ok(piece))
    }
}

/// Reads `path` through once: an error if it is not UTF-8 (at which byte).
fn check_utf8(path: &Path) -> Result<(), CorpusError> {
    let mut pieces = Pieces::open(path, 1 << 20, Vec::new())?;
    while pieces.next_bytes()? {}
    Ok(())
}

/// Documents up to this size are read whole, once, and cut into pieces in
/// memory: larger ones are read twice (checked to be UTF-8 first, then in
/// pieces), so that memory follows the piece.
pub const WHOLE_DOCUMENT_BYTES: u64 = 16 << 20;

/// A file's text in pieces of about `size` bytes, each ending where a
/// sentence starts (as the extractor splits the normalised text).
struct Pieces {
    file: std::fs::File,
    path: PathBuf,
    /// Text read, from `start` on not yet handed out.
    buffer: Vec<u8>,
    start: usize,
    size: usize,
    eof: bool,
    /// Bytes handed out before the buffer's first.
    offset: usize,
    /// The end of the buffer's prefix known to be valid UTF-8.
    valid: usize,
}

impl Pieces {
    /// Pieces read as they are asked for, into `buffer` (its text dropped).
    fn open(path: &Path, size: usize, mut buffer: Vec<u8>) -> Result<Pieces, CorpusError> {
        let file = std::fs::File::open(path).map_err(|error| CorpusError::Read {
            path: path.to_owned(),
            error,
        })?;
        buffer.clear();
        // Room for a piece from the start: reading does not grow it.
        buffer.reserve(size);
        Ok(Pieces {
            file,
            path: path.to_owned(),
            buffer,
            start: 0,
            size,
            eof: false,
            offset: 0,
            valid: 0,
        })
    }

    /// The whole file read into `buffer` and checked to be UTF-8 (an error
    /// if it is not), then handed out in pieces.
    fn whole(path: &Path, size: usize, buffer: Vec<u8>) -> Result<Pieces, CorpusError> {
        let mut pieces = Pieces::open(path, size, buffer)?;
        if let Ok(metadata) = pieces.file.metadata() {
            pieces.buffer.reserve(metadata.len() as usize);
        }
        pieces.size = usize::MAX;
        pieces.fill()?;
        pieces.size = size;
        Ok(pieces)
    }

    /// Its buffer, for the next document.
    fn into_buffer(self) -> Vec<u8> {
        self.buffer
    }

    fn is_done(&self) -> bool {
        self.eof && self.start == self.buffer.len()
    }

    /// Fills the buffer to `size` bytes after `start` (or the end) and
    /// returns the length of their valid UTF-8 prefix (an incomplete last
    /// character waits).
    fn fill(&mut self) -> Result<usize, CorpusError> {
        if !self.eof && self.buffer.len() - self.start < self.size {
            self.buffer.drain(..self.start);
            self.valid -= self.start;
            self.start = 0;
        }
        while !self.eof && self.buffer.len() < self.size {
            let want = (self.size - self.buffer.len()) as u64;
            let read = (&self.file)
                .take(want)
                .read_to_end(&mut self.buffer)
                .map_err(|error| CorpusError::Read {
                    path: self.path.clone(),
                    error,
                })?;
            if read == 0 {
                self.eof = true;
            }
        }
        // Only the bytes after the valid prefix found last time are checked
        // (SIMD: the check is a pass over every byte of a big document).
        match simdutf8::compat::from_utf8(&self.buffer[self.valid..]) {
            Ok(_) => self.valid = self.buffer.len(),
            Err(error) if error.error_len().is_none() && !self.eof => {
                self.valid += error.valid_up_to();
            }
            Err(error) => {
                return Err(CorpusError::NotUtf8 {
                    path: self.path.clone(),
                    at: self.offset + self.valid - self.start + error.valid_up_to(),
                });
            }
        }
        Ok(self.valid - self.start)
    }

    /// Hands out the buffer's first `count` bytes from `start` (all valid UTF-8).
    fn consume(&mut self, count: usize) {
        self.start += count;
        self.offset += count;
    }

    /// For the UTF-8 check: consumes a buffer's worth; false at the end.
    fn next_bytes(&mut self) -> Result<bool, CorpusError> {
        let valid = self.fill()?;
        self.consume(valid);
        Ok(!self.is_done())
    }

    fn next_piece(&mut self) -> Result<Option<String>, CorpusError> {
        let valid = self.fill()?;
        if self.start == self.buffer.len() {
            return Ok(None);
        }
        // At most `size` bytes, ending on a character boundary.
        let mut end = self.start + valid.min(self.size);
        while end < self.valid && self.buffer[end] & 0xC0 == 0x80 {
            end -= 1;
        }
        let text =
            simdutf8::basic::from_utf8(&self.buffer[self.start..end]).expect("checked above");
        let mut half = text.len() / 2;
        while !text.is_char_boundary(half) {
            half -= 1;
        }
        let cut = if self.eof && end == self.buffer.len() {
            text.len()
        } else if let Some(newline) = text[half..].rfind('\n') {
            // A line break ends a sentence (normalising keeps it), and the
            // splitter starts afresh after it: the next line may go on in the
            // next piece.
            half + newline + 1
        } else {
            // One long line: the last sentence the extractor would see may go
            // on in the next piece; keep it for then.
            let normalized = crate::text::normalize(text);
            let sentences = crate::text::split_sentences(&normalized.text);
            match sentences.last() {
                Some(last) if last.start > 0 => normalized.original_offset(last.start),
                _ => text.len(),
            }
        };
        let piece = text[..cut].to_owned();
        self.consume(cut);
        Ok(Some(piece))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::extract::Fact;
    use crate::serialize::{FactWriter, Format};

    /// The Chinese example rules.
    pub(crate) fn example_extractor() -> Extractor {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let loaded = crate::rules::load(
            &root.join("examples/zh/news.kgr"),
            &crate::source::FileSystem,
        )
        .expect("rules");
        Extractor::new(loaded.rule_set.expect("rule set")).expect("compiles")
    }

    /// A document extracted in pieces gives the facts, offsets and sentence
    /// numbers of the whole document, and N-Quads with the same quads.
    /// Pieces of about `piece` bytes, of documents read whole and of
    /// documents read twice (checked first).
    fn both_ways(piece: usize) -> [Sizes; 2] {
        [WHOLE_DOCUMENT_BYTES, 0].map(|whole| Sizes { piece, whole })
    }

    #[test]
    fn pieces_give_the_facts_of_the_whole_document() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let extractor = example_extractor().with_mentions(true);
        let mut text = String::new();
        for name in ["community.txt", "hospitals.txt", "teams.txt"] {
            text.push_str(
                &std::fs::read_to_string(root.join("examples/zh/docs").join(name)).unwrap(),
            );
        }
        // Long runs without a sentence end (cut at the cap), full-width digits
        // and combining marks near every cut.
        let mut document = String::new();
        for round in 0..12 {
            document.push_str(&text);
            document.push_str(&"中国移动湖北分公司党委成立党员突击队，".repeat(300 + round));
            document.push_str("山东胶州组建９５支“胶州先锋”疫情防控突击队。e\u{301}\n");
        }
        let dir = std::env::temp_dir().join(format!("kgrep-pieces-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("big.txt");
        std::fs::write(&path, &document).unwrap();
        let sources = vec![Source {
            path: path.clone(),
            name: "big.txt".into(),
            text: None,
        }];
        let mut whole = Vec::new();
        extract_in_order(&extractor, &sources, false, None, |_, result| {
            whole.extend(result.expect("reads").1.facts);
            Ok::<_, ()>(true)
        })
        .unwrap();
        let quads = |pieces: &[Piece]| {
            let mut writer = FactWriter::new(Vec::new(), Format::NQuads, true, &[]).unwrap();
            for piece in pieces {
                let iri = &piece.document.iri;
                writer
                    .write_piece(
                        iri,
                        "big.txt",
                        &piece.extraction.facts,
                        piece.first,
                        piece.matches_before,
                    )
                    .unwrap();
            }
            let out = String::from_utf8(writer.finish().unwrap()).unwrap();
            out.lines()
                .map(str::to_owned)
                .collect::<std::collections::BTreeSet<_>>()
        };
        for sizes in both_ways(5000) {
            let mut pieces = Vec::new();
            read_in_pieces(&extractor, &sources, false, None, sizes, |_, result| {
                pieces.push(result.expect("reads"));
                Ok::<_, ()>(true)
            })
            .unwrap();
            assert!(pieces.len() >= 40, "{} pieces", pieces.len());
            assert!(pieces[0].first && pieces.last().unwrap().last);
            assert!(
                pieces[1..].iter().all(|p| !p.first)
                    && pieces[..pieces.len() - 1].iter().all(|p| !p.last)
            );
            let streamed: Vec<Fact> = pieces
                .iter()
                .flat_map(|p| p.extraction.facts.clone())
                .collect();
            assert_eq!(streamed.len(), whole.len());
            for (a, b) in streamed.iter().zip(&whole) {
                assert_eq!(a, b);
            }
            let chars: Vec<char> = document.chars().collect();
            for fact in &streamed {
                let p = &fact.provenance;
                assert_eq!(chars[p.start..p.end].iter().collect::<String>(), &*p.text);
            }
            let one = Piece {
                document: Document::new("big.txt", String::new(), None),
                extraction: Extraction {
                    facts: whole.clone(),
                    sentences: 0,
                },
                first: true,
                last: true,
                matches_before: 0,
            };
            assert_eq!(quads(&pieces), quads(std::slice::from_ref(&one)));
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_big_document_with_a_bad_byte_is_reported_before_any_piece() {
        let extractor = example_extractor();
        let dir = std::env::temp_dir().join(format!("kgrep-bad-piece-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bad.txt");
        let mut bytes = "中国移动湖北分公司党委成立党员突击队。\n"
            .repeat(2000)
            .into_bytes();
        bytes.push(0xff);
        std::fs::write(&path, &bytes).unwrap();
        let sources = vec![Source {
            path,
            name: "bad.txt".into(),
            text: None,
        }];
        for sizes in both_ways(5000) {
            let mut results = Vec::new();
            read_in_pieces(&extractor, &sources, false, None, sizes, |_, result| {
                results.push(result.map(|piece| piece.extraction.facts.len()));
                Ok::<_, ()>(true)
            })
            .unwrap();
            assert!(
                matches!(results.as_slice(), [Err(CorpusError::NotUtf8 { at, .. })] if *at == bytes.len() - 1),
                "{results:?}"
            );
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    /// Several big documents (one not UTF-8, one small among them) through
    /// one pipeline, on one thread and on three: each document's pieces come
    /// in order, first to last, with the facts of the whole document; the
    /// broken one is one error and no piece; a sink that stops is not called
    /// again.
    #[test]
    fn a_run_of_big_documents_streams_each_in_order() {
        let extractor = example_extractor();
        let dir = std::env::temp_dir().join(format!("kgrep-run-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sentence = |i: usize| format!("第{i}支队伍：中国移动湖北分公司党委成立党员突击队。\n");
        let texts: Vec<Vec<u8>> = (0..5)
            .map(|doc| {
                let lines = if doc == 3 { 1 } else { 400 + 50 * doc };
                let mut bytes = (0..lines).map(sentence).collect::<String>().into_bytes();
                if doc == 2 {
                    bytes.insert(bytes.len() / 2, 0xff);
                }
                bytes
            })
            .collect();
        let sources: Vec<Source> = texts
            .iter()
            .enumerate()
            .map(|(doc, bytes)| {
                let path = dir.join(format!("d{doc}.txt"));
                std::fs::write(&path, bytes).unwrap();
                Source {
                    path,
                    name: format!("d{doc}.txt"),
                    text: None,
                }
            })
            .collect();
        let whole: Vec<Option<Vec<Fact>>> = texts
            .iter()
            .enumerate()
            .map(|(doc, bytes)| {
                let text = String::from_utf8(bytes.clone()).ok()?;
                let document = Document::new(&format!("d{doc}.txt"), text, None);
                Some(
                    extractor
                        .with_scratch(|s| extractor.extract(&document, s))
                        .facts,
                )
            })
            .collect();
        for (threads, sizes) in [1, 3]
            .into_iter()
            .flat_map(|threads| both_ways(2000).map(|sizes| (threads, sizes)))
        {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut seen: Vec<(String, Result<Piece, CorpusError>)> = Vec::new();
            pool.install(|| {
                read_in_pieces(
                    &extractor,
                    &sources,
                    false,
                    None,
                    sizes,
                    |source, result| {
                        seen.push((source.name.clone(), result));
                        Ok::<_, ()>(true)
                    },
                )
            })
            .unwrap();
            let mut at = 0;
            for (doc, facts) in whole.iter().enumerate() {
                let name = format!("d{doc}.txt");
                let count = seen[at..].iter().take_while(|(n, _)| *n == name).count();
                let mine = &seen[at..at + count];
                at += count;
                match facts {
                    None => assert!(
                        matches!(mine, [(_, Err(CorpusError::NotUtf8 { .. }))]),
                        "{threads} threads, {name}: {} results",
                        mine.len()
                    ),
                    Some(facts) => {
                        let pieces: Vec<&Piece> = mine
                            .iter()
                            .map(|(_, r)| r.as_ref().expect("reads"))
                            .collect();
                        assert!(
                            doc == 3 || pieces.len() > 3,
                            "{name}: {} pieces",
                            pieces.len()
                        );
                        assert!(pieces[0].first && pieces.last().unwrap().last);
                        assert!(
                            pieces[1..].iter().all(|p| !p.first)
                                && pieces[..pieces.len() - 1].iter().all(|p| !p.last)
                        );
                        let streamed: Vec<&Fact> =
                            pieces.iter().flat_map(|p| &p.extraction.facts).collect();
                        assert_eq!(streamed, facts.iter().collect::<Vec<_>>(), "{name}");
                    }
                }
            }
            assert_eq!(at, seen.len());
            // Stopping at the second document's first piece.
            let mut calls = 0;
            pool.install(|| {
                read_in_pieces(&extractor, &sources, false, None, sizes, |source, _| {
                    calls += 1;
                    Ok::<_, ()>(source.name != "d1.txt")
                })
            })
            .unwrap();
            let first = seen.iter().take_while(|(n, _)| n == "d0.txt").count();
            assert_eq!(calls, first + 1, "{threads} threads");
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}
