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

    /// Adds one document (replacing its earlier version).
    pub fn add(&mut self, document: &DocumentFacts<'_>) -> Result<Added, StoreError> {
        let mut added = Added::New;
        if !self.fresh {
            let existing = self.store.documents_present(document.iri)?;
            if existing {
                let hash = self.store.document_hash(document.iri)?;
                if hash.is_some() && hash.as_deref() == document.sha256 {
                    self.stats.unchanged += 1;
                    return Ok(Added::Unchanged);
                }
                // Commit what is loaded so far first: the removal must see the
                // support loaded since (and an in-memory store's loader holds
                // the lock a transaction needs).
                self.commit_loader()?;
                remove_documents(self.store, std::slice::from_ref(document.iri))?;
                added = Added::Replaced;
            }
        }
        let provenance = self.provenance;
        let (store, loader, pending, stats) = (
            self.store,
            &mut self.loader,
            &mut self.pending,
            &mut self.stats,
        );
        // Flushed as they come: one document's quads never pile up either.
        document_quads(document, provenance, |quad| {
            pending.push(quad);
            if pending.len() >= BATCH_QUADS {
                flush(store, loader, pending, stats)?;
            }
            Ok::<_, StoreError>(())
        })?;
        match added {
            Added::New => self.stats.new += 1,
            Added::Replaced => self.stats.replaced += 1,
            Added::Unchanged => {}
        }
        Ok(added)
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

/// The one feed of extraction into a store: extracts `sources` in order
/// ([`crate::corpus::extract_in_order`]) and adds each document to `ingest`,
/// with its hash when `fingerprint` is given (so an unchanged document is
/// skipped). `each` hears of every document — what was added, or why it
/// could not be read — and returns whether to go on.
pub fn extract_into<E: From<StoreError>>(
    ingest: &mut Ingest<'_>,
    extractor: &crate::extract::Extractor,
    sources: &[crate::corpus::Source],
    (lossy, year): (bool, Option<i32>),
    fingerprint: Option<&sha2::Sha256>,
    mut each: impl FnMut(
        &crate::corpus::Source,
        Result<(&crate::extract::Extraction, Added), crate::corpus::CorpusError>,
    ) -> Result<bool, E>,
) -> Result<(), E> {
    crate::corpus::extract_in_order(extractor, sources, lossy, year, |source, result| {
        let (document, extraction) = match result {
            Ok(extracted) => extracted,
            Err(error) => return each(source, Err(error)),
        };
        let hash = fingerprint
            .map(|fingerprint| crate::provenance::document_hash(fingerprint, &document.text));
        let added = ingest.add(&DocumentFacts {
            iri: &document.iri,
            path: &source.name,
            sha256: hash.as_deref(),
            facts: &extraction.facts,
            first_match: 0,
            header: true,
        })?;
        each(source, Ok((&extraction, added)))
    })
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
        if let GraphName::NamedNode(graph) = &quad?.graph_name {
            if vocab::is_support_graph(graph.as_str()) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}
