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
