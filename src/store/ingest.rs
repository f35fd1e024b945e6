//! Streaming documents into a store, and taking them out.
//!
//! [`Ingest`] is the store's sink: it takes each document's facts as
//! extraction produces them and hands their quads to Oxigraph's bulk loader
//! in batches of [`BATCH_QUADS`], so memory is bounded by a batch, not by the
//! corpus. A document already in the store is first removed (a transaction),
//! unless its text hash says it is unchanged. Removal keeps the default graph
//! a set with support: a fact goes only when no support graph holds it.
//! Atomicity comes from the store directory: a writer's copy is published
//! whole or not at all ([`super::disk`]).

use std::collections::HashSet;

use oxigraph::model::{GraphName, GraphNameRef, NamedNode, NamedNodeRef, Quad, Triple};
use oxigraph::store::{BulkLoader, Transaction};

use super::{GraphStore, StoreError};
use crate::provenance::{DocumentFacts, document_quads};
use crate::vocab;

/// Memory the bulk loader may use, in MB.
pub const BULK_MEMORY_MB: usize = 256;
/// Quads handed to the bulk loader at once.
pub const BATCH_QUADS: usize = 100_000;

/// What happened to one document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Added {
    /// It was not in the store.
    New,
    /// An earlier version was replaced.
    Replaced,
    /// The store already had this text (same hash): nothing was written.
    Unchanged,
}

/// Counts of an ingest.
#[derive(Clone, Copy, Debug, Default)]
pub struct IngestStats {
    /// Documents new to the store.
    pub new: usize,
    /// Documents whose earlier version was replaced.
    pub replaced: usize,
    /// Documents skipped as unchanged.
    pub unchanged: usize,
    /// Quads handed to the store.
    pub quads: usize,
}

/// The store's sink: see the module docs.
pub struct Ingest<'a> {
    store: &'a GraphStore,
    loader: Option<BulkLoader<'a>>,
    pending: Vec<Quad>,
    provenance: bool,
    fresh: bool,
    stats: IngestStats,
}

impl<'a> Ingest<'a> {
    /// A sink into `store`; `provenance` stores matches and sentences.
    pub fn new(store: &'a GraphStore, provenance: bool) -> Result<Ingest<'a>, StoreError> {
        store.check_writable()?;
        Ok(Ingest {
            store,
            loader: None,
            pending: Vec::new(),
            provenance,
            fresh: store.documents()?.is_empty(),
            stats: IngestStats::default(),
        })
    }

    /// Adds one whole document (replacing its earlier version).
    pub fn add(&mut self, document: &DocumentFacts<'_>) -> Result<Added, StoreError> {
        let added = self.begin(document.iri, || Ok(document.sha256.map(str::to_owned)))?;
        if added != Added::Unchanged {
            self.add_facts(document)?;
        }
        Ok(added)
    }

    /// Starts a document that comes in pieces: whether it is new, replaces
    /// an earlier version (which is removed now) or is unchanged (then add
    /// none of its pieces). `hash` gives the SHA-256 of its whole text; it is
    /// asked only when the store holds the document already.
    pub fn begin(
        &mut self,
        document: &NamedNode,
        hash: impl FnOnce() -> Result<Option<String>, StoreError>,
    ) -> Result<Added, StoreError> {
        if self.fresh || !self.store.documents_present(document)? {
            self.stats.new += 1;
            return Ok(Added::New);
        }
        let stored = self.store.document_hash(document)?;
        if stored.is_some() && stored == hash()? {
            self.stats.unchanged += 1;
            return Ok(Added::Unchanged);
        }
        // Commit what is loaded so far first: the removal must see the
        // support loaded since (and an in-memory store's loader holds the
        // lock a transaction needs).
        self.commit_loader()?;
        remove_documents(self.store, std::slice::from_ref(document))?;
        self.stats.replaced += 1;
        Ok(Added::Replaced)
    }

    /// Adds the quads of a document, or of one of its pieces, after
    /// [`Ingest::begin`]; they go to the bulk loader as they come, so one
    /// document's quads never pile up either.
    pub fn add_facts(&mut self, document: &DocumentFacts<'_>) -> Result<(), StoreError> {
        let (store, loader, pending, stats) = (
            self.store,
            &mut self.loader,
            &mut self.pending,
            &mut self.stats,
        );
        document_quads(document, self.provenance, |quad| {
            pending.push(quad);
            if pending.len() >= BATCH_QUADS {
                flush(store, loader, pending, stats)?;
            }
            Ok::<_, StoreError>(())
        })
    }

    /// Whether the store holds `source` with the hash it has now (of its
    /// file, or of a record's text): then it is counted as unchanged and
    /// need not be extracted. Standard input, text read `lossy` and files
    /// that cannot be read are not looked at here ([`Ingest::begin`] checks
    /// them once extracted, or extraction reports them).
    pub fn skip_if_unchanged(
        &mut self,
        source: &crate::corpus::Source,
        fingerprint: &sha2::Sha256,
        lossy: bool,
    ) -> Result<bool, StoreError> {
        if self.fresh || !hashed_before_extraction(source, lossy) {
            return Ok(false);
        }
        let iri = crate::extract::document_iri(&source.name);
        if !self.store.documents_present(&iri)? {
            return Ok(false);
        }
        let Some(stored) = self.store.document_hash(&iri)? else {
            return Ok(false);
        };
        let hash = match &source.text {
            Some(text) => crate::provenance::document_hash(fingerprint, text),
            None => match file_hash(fingerprint, &source.path) {
                Ok(hash) => hash,
                Err(_) => return Ok(false),
            },
        };
        let unchanged = hash == stored;
        self.stats.unchanged += usize::from(unchanged);
        Ok(unchanged)
    }

    /// Takes out what was added of a document that could not be read to its
    /// end: a store never holds part of a document.
    pub fn discard(&mut self, document: &NamedNode) -> Result<(), StoreError> {
        self.commit_loader()?;
        remove_documents(self.store, std::slice::from_ref(document))?;
        Ok(())
    }

    fn commit_loader(&mut self) -> Result<(), StoreError> {
        flush(
            self.store,
            &mut self.loader,
            &mut self.pending,
            &mut self.stats,
        )?;
        if let Some(loader) = self.loader.take() {
            loader.commit()?;
        }
        Ok(())
    }

    /// Writes what is pending and commits the bulk load.
    pub fn finish(mut self) -> Result<IngestStats, StoreError> {
        self.commit_loader()?;
        Ok(self.stats)
    }
}

/// Oxigraph's bulk loader as kgrep uses it: bounded memory, and writing as it
/// goes (atomicity comes from the store directory: a writer's copy is
/// published whole or not at all), so RocksDB compacts while loading.
pub(crate) fn bulk_loader(store: &GraphStore) -> BulkLoader<'_> {
    store
        .inner()
        .bulk_loader()
        .with_max_memory_size_in_megabytes(BULK_MEMORY_MB)
        .without_atomicity()
}

/// Hands the pending quads to the bulk loader (started on first use).
fn flush<'a>(
    store: &'a GraphStore,
    loader: &mut Option<BulkLoader<'a>>,
    pending: &mut Vec<Quad>,
    stats: &mut IngestStats,
) -> Result<(), StoreError> {
    if pending.is_empty() {
        return Ok(());
    }
    stats.quads += pending.len();
    let loader = loader.get_or_insert_with(|| bulk_loader(store));
    loader.load_quads(pending.drain(..))?;
    Ok(())
}

/// What [`extract_into`] did with one document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ingested {
    /// Whether it was new, replaced or unchanged.
    pub added: Added,
    /// How many facts extraction found in it.
    pub facts: usize,
}

/// The one feed of extraction into a store: extracts `sources` in order,
/// a big document piece by piece ([`crate::corpus::extract_in_pieces`]), and
/// adds each piece to `ingest` as it comes, so memory follows a piece, not a
/// document or its facts. With `fingerprint`, each document's hash goes in
/// too (hashed as it streams), and a document the store holds with the same
/// hash is neither extracted nor written (its file is hashed first: a rebuild
/// of an unchanged corpus reads it, no more).
/// `each` hears of every document once it is in — what was added, or why it
/// could not be read (then nothing of it is in the store) — and returns
/// whether to go on.
pub fn extract_into<E: From<StoreError>>(
    ingest: &mut Ingest<'_>,
    extractor: &crate::extract::Extractor,
    sources: &[crate::corpus::Source],
    options: (bool, Option<i32>),
    fingerprint: Option<&sha2::Sha256>,
    each: impl FnMut(
        &crate::corpus::Source,
        Result<Ingested, crate::corpus::CorpusError>,
    ) -> Result<bool, E>,
) -> Result<(), E> {
    let feed = Feed {
        extractor,
        lossy: options.0,
        year: options.1,
        fingerprint,
        piece_bytes: crate::corpus::PIECE_BYTES,
    };
    extract_changed_into(ingest, feed, sources, each)
}

/// How [`extract_into`] reads and extracts documents.
#[derive(Clone, Copy)]
struct Feed<'x> {
    extractor: &'x crate::extract::Extractor,
    lossy: bool,
    year: Option<i32>,
    fingerprint: Option<&'x sha2::Sha256>,
    /// Documents larger than this go in pieces of about this size.
    piece_bytes: usize,
}

/// What hears of each document an [`extract_into`] adds.
trait Each<E>:
    FnMut(&crate::corpus::Source, Result<Ingested, crate::corpus::CorpusError>) -> Result<bool, E>
{
}

impl<E, F> Each<E> for F where
    F: FnMut(
        &crate::corpus::Source,
        Result<Ingested, crate::corpus::CorpusError>,
    ) -> Result<bool, E>
{
}

/// [`extract_into`] as `feed` says: the unchanged documents are reported
/// in their place, the runs between them extracted.
fn extract_changed_into<E: From<StoreError>>(
    ingest: &mut Ingest<'_>,
    feed: Feed<'_>,
    sources: &[crate::corpus::Source],
    mut each: impl Each<E>,
) -> Result<(), E> {
    let mut start = 0;
    if let Some(fingerprint) = feed.fingerprint {
        for (index, source) in sources.iter().enumerate() {
            if !ingest.skip_if_unchanged(source, fingerprint, feed.lossy)? {
                continue;
            }
            if !extract_in_pieces_into(ingest, feed, &sources[start..index], &mut each)? {
                return Ok(());
            }
            let unchanged = Ingested {
                added: Added::Unchanged,
                facts: 0,
            };
            if !each(source, Ok(unchanged))? {
                return Ok(());
            }
            start = index + 1;
        }
    }
    extract_in_pieces_into(ingest, feed, &sources[start..], each).map(|_| ())
}

/// Whether [`Ingest::skip_if_unchanged`] hashes `source` before it is
/// extracted (a record's text, or a file read strictly); standard input and
/// text read `lossy` are hashed as extracted.
fn hashed_before_extraction(source: &crate::corpus::Source, lossy: bool) -> bool {
    source.text.is_some() || (!lossy && source.path.as_os_str() != "-")
}

/// The document whose pieces [`extract_in_pieces_into`] is adding.
struct Streaming {
    added: Added,
    facts: usize,
    /// The fingerprint and the text so far, hashed.
    hasher: Option<sha2::Sha256>,
}

/// Extracts `sources` into `ingest`, big documents piece by piece; returns
/// whether `each` wants more.
fn extract_in_pieces_into<E: From<StoreError>>(
    ingest: &mut Ingest<'_>,
    feed: Feed<'_>,
    sources: &[crate::corpus::Source],
    mut each: impl Each<E>,
) -> Result<bool, E> {
    use sha2::Digest;
    let fingerprint = feed.fingerprint;
    let mut current: Option<Streaming> = None;
    let mut stopped = false;
    let mut each = |source: &crate::corpus::Source, result| {
        let go_on = each(source, result)?;
        stopped |= !go_on;
        Ok::<_, E>(go_on)
    };
    crate::corpus::extract_in_pieces(
        feed.extractor,
        sources,
        feed.lossy,
        feed.year,
        feed.piece_bytes,
        |source, result| {
            let piece = match result {
                Ok(piece) => piece,
                Err(error) => {
                    // Read up to a failing piece: take out what went in.
                    if current.take().is_some_and(|c| c.added != Added::Unchanged) {
                        ingest.discard(&crate::extract::document_iri(&source.name))?;
                    }
                    return each(source, Err(error));
                }
            };
            let iri = &piece.document.iri;
            let text = &piece.document.text;
            if piece.first {
                current = Some(Streaming {
                    added: Added::New,
                    facts: 0,
                    hasher: fingerprint.cloned(),
                });
            }
            let streaming = current
                .as_mut()
                .expect("a document's first piece comes first");
            streaming.facts += piece.extraction.facts.len();
            if let Some(hasher) = &mut streaming.hasher {
                hasher.update(text.as_bytes());
            }
            let hash = match (&streaming.hasher, piece.last) {
                (Some(hasher), true) => Some(format!("{:x}", hasher.clone().finalize())),
                _ => None,
            };
            if piece.first {
                // A document hashed before extraction is known to be changed
                // by now; one hashed as it streams is whole here (standard
                // input and lossy text never go in pieces).
                let unknown = !hashed_before_extraction(source, feed.lossy);
                streaming.added = ingest.begin(iri, || Ok(hash.clone().filter(|_| unknown)))?;
            }
            if streaming.added != Added::Unchanged {
                ingest.add_facts(&DocumentFacts {
                    iri,
                    path: &source.name,
                    sha256: hash.as_deref(),
                    facts: &piece.extraction.facts,
                    first_match: piece.matches_before,
                    header: piece.first,
                })?;
            }
            if !piece.last {
                return Ok(true);
            }
            let done = current.take().expect("begun above");
            each(
                source,
                Ok(Ingested {
                    added: done.added,
                    facts: done.facts,
                }),
            )
        },
    )?;
    Ok(!stopped)
}

/// The hash a whole document's text would have ([`document_hash`]), read
/// from its file in blocks.
///
/// [`document_hash`]: crate::provenance::document_hash
fn file_hash(fingerprint: &sha2::Sha256, path: &std::path::Path) -> Result<String, StoreError> {
    use sha2::Digest;
    use std::io::Read;
    let failed = |error| StoreError::File {
        path: path.to_owned(),
        error,
    };
    let mut hasher = fingerprint.clone();
    let mut file = std::fs::File::open(path).map_err(failed)?;
    let mut block = vec![0; 1 << 20];
    loop {
        match file.read(&mut block).map_err(failed)? {
            0 => break,
            read => hasher.update(&block[..read]),
        }
    }
    Ok(format!("{:x}", hasher.finalize()))
}

impl GraphStore {
    /// Whether `document` is in the store.
    pub fn documents_present(&self, document: &NamedNode) -> Result<bool, StoreError> {
        let marker = Quad::new(
            document.clone(),
            oxigraph::model::vocab::rdf::TYPE,
            crate::provenance::document_class().into_owned(),
            document.clone(),
        );
        Ok(self.store.contains(marker.as_ref())?)
    }
}

/// Removes `documents` (their support graphs and provenance), one
/// transaction each (memory follows one document; atomicity comes from the
/// store directory), and each fact of theirs that no support graph still
/// holds. Returns how many facts left the default graph.
pub fn remove_documents(store: &GraphStore, documents: &[NamedNode]) -> Result<usize, StoreError> {
    store.check_writable()?;
    let mut removed = 0;
    for document in documents {
        removed += remove_document(store, document)?;
    }
    Ok(removed)
}

fn remove_document(store: &GraphStore, document: &NamedNode) -> Result<usize, StoreError> {
    let rule = NamedNodeRef::new_unchecked(vocab::term::RULE);
    let mut transaction = store.inner().start_transaction()?;
    let mut facts = HashSet::new();
    let matches: Vec<NamedNode> = transaction
        .quads_for_pattern(None, Some(rule), None, Some(document.as_ref().into()))
        .filter_map(|quad| match quad.map(|quad| quad.subject) {
            Ok(oxigraph::model::NamedOrBlankNode::NamedNode(node)) => Some(Ok(node)),
            Ok(_) => None,
            Err(error) => Some(Err(error)),
        })
        .collect::<Result<_, _>>()?;
    for matched in &matches {
        for quad in transaction.quads_for_pattern(None, None, None, Some(matched.as_ref().into())) {
            facts.insert(Triple::from(quad?));
        }
        transaction.remove_named_graph(matched.as_ref())?;
    }
    transaction.remove_named_graph(document.as_ref())?;
    let mut removed = 0;
    for fact in facts {
        if !is_supported(&transaction, &fact)? {
            transaction.remove(fact.as_ref().in_graph(GraphNameRef::DefaultGraph));
            removed += 1;
        }
    }
    transaction.commit()?;
    Ok(removed)
}

fn is_supported(transaction: &Transaction<'_>, fact: &Triple) -> Result<bool, StoreError> {
    for quad in transaction.quads_for_pattern(
        Some(fact.subject.as_ref()),
        Some(fact.predicate.as_ref()),
        Some(fact.object.as_ref()),
        None,
    ) {
        if let GraphName::NamedNode(graph) = &quad?.graph_name
            && vocab::is_support_graph(graph.as_str())
        {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use sha2::Digest;

    use super::*;
    use crate::corpus::Source;
    use crate::corpus::tests::example_extractor;

    fn quads(store: &GraphStore) -> BTreeSet<String> {
        store
            .inner()
            .iter()
            .map(|quad| quad.expect("reads").to_string())
            .collect()
    }

    /// Ingests `sources` into `store` in pieces of `piece_bytes`; returns
    /// what each document became.
    fn ingest(
        store: &GraphStore,
        sources: &[Source],
        fingerprint: &sha2::Sha256,
        piece_bytes: usize,
    ) -> Vec<Ingested> {
        let mut ingest = Ingest::new(store, true).unwrap();
        let mut done = Vec::new();
        let extractor = example_extractor();
        let feed = Feed {
            extractor: &extractor,
            lossy: false,
            year: None,
            fingerprint: Some(fingerprint),
            piece_bytes,
        };
        extract_changed_into(&mut ingest, feed, sources, |_, result| {
            done.push(result.expect("reads"));
            Ok::<_, StoreError>(true)
        })
        .unwrap();
        ingest.finish().unwrap();
        done
    }

    /// A big document goes into the store piece by piece and the store holds
    /// what it holds when the document goes in whole (facts, support graphs
    /// numbered across the pieces, sentences, the hash of the whole text); a
    /// rebuild finds it unchanged, and a changed file replaces it.
    #[test]
    fn a_document_in_pieces_is_stored_as_a_whole_one_is() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut text = String::new();
        for name in ["community.txt", "hospitals.txt", "teams.txt"] {
            text.push_str(
                &std::fs::read_to_string(root.join("examples/zh/docs").join(name)).unwrap(),
            );
        }
        let text = text.repeat(50);
        let dir = std::env::temp_dir().join(format!("kgrep-ingest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("big.txt");
        let source = |text: Option<&str>| Source {
            path: path.clone(),
            name: "big.txt".into(),
            text: text.map(Into::into),
        };
        let mut fingerprint = sha2::Sha256::new();
        fingerprint.update(b"rules");
        let whole_store = |text: &str| {
            let store = GraphStore::in_memory().unwrap();
            let done = ingest(&store, &[source(Some(text))], &fingerprint, 5000);
            (store, done)
        };

        std::fs::write(&path, &text).unwrap();
        let (whole, whole_done) = whole_store(&text);
        let pieces = GraphStore::in_memory().unwrap();
        let done = ingest(&pieces, &[source(None)], &fingerprint, 5000);
        assert_eq!(done, whole_done);
        assert_eq!(done[0].added, Added::New);
        assert!(done[0].facts > 100, "{} facts", done[0].facts);
        let stored = quads(&pieces);
        assert_eq!(stored, quads(&whole));
        let hash = crate::provenance::document_hash(&fingerprint, &text);
        assert!(stored.iter().any(|quad| quad.contains(&hash)));
        // Many pieces: support graphs numbered across them.
        assert!(text.len() > 20 * 5000, "{} bytes", text.len());

        // Unchanged: found so from the file's hash, not extracted again.
        let again = ingest(&pieces, &[source(None)], &fingerprint, 5000);
        assert_eq!(
            again[0],
            Ingested {
                added: Added::Unchanged,
                facts: 0
            }
        );
        assert_eq!(quads(&pieces), stored);

        let changed = format!("{text}湖北省人民医院组建医疗队。\n");
        std::fs::write(&path, &changed).unwrap();
        let replaced = ingest(&pieces, &[source(None)], &fingerprint, 5000);
        assert_eq!(replaced[0].added, Added::Replaced);
        assert_eq!(quads(&pieces), quads(&whole_store(&changed).0));
        assert_ne!(quads(&pieces), stored);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// On a rebuild, unchanged documents are reported in their place and not
    /// extracted; the changed ones between them are.
    #[test]
    fn unchanged_documents_are_reported_in_their_place() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let text =
            |name: &str| std::fs::read_to_string(root.join("examples/zh/docs").join(name)).unwrap();
        let record = |name: &str, text: &str| Source {
            path: "records.jsonl".into(),
            name: name.into(),
            text: Some(text.into()),
        };
        let fingerprint = sha2::Sha256::new();
        let store = GraphStore::in_memory().unwrap();
        let (a, b, c) = (
            text("teams.txt"),
            text("hospitals.txt"),
            text("community.txt"),
        );
        let first = ingest(
            &store,
            &[record("a", &a), record("b", &b), record("c", &c)],
            &fingerprint,
            5000,
        );
        assert!(
            first.iter().all(|d| d.added == Added::New && d.facts > 0),
            "{first:?}"
        );
        let changed = format!("{b}{a}");
        let second = ingest(
            &store,
            &[record("a", &a), record("b", &changed), record("c", &c)],
            &fingerprint,
            5000,
        );
        let added: Vec<Added> = second.iter().map(|d| d.added).collect();
        assert_eq!(added, [Added::Unchanged, Added::Replaced, Added::Unchanged]);
        assert_eq!((second[0].facts, second[2].facts), (0, 0));
        assert!(second[1].facts > first[1].facts);
    }
}
