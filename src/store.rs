//! The graph store: the only module that talks to Oxigraph.
//!
//! Each document's facts live in a named graph, the document's IRI
//! (`urn:kgrep:doc:PATH`); its provenance in a graph of its own
//! (`urn:kgrep:provenance:PATH`, see [`crate::serialize`]). Queries see the
//! union of the document graphs as their default graph, so plain triple
//! patterns find facts, and provenance is one `GRAPH` away.
//!
//! **Invariant:** writes are atomic per batch of documents: replacing a
//! document removes both of its graphs and inserts the new ones in one
//! transaction, so a killed build leaves every document either as it was or
//! fully replaced, never half-written.

use std::path::{Path, PathBuf};
use std::time::Duration;

use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::{GraphName, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad, Term, Triple};
use oxigraph::sparql::{CancellationToken, QueryResults, SparqlEvaluator};
use oxigraph::store::{StorageError, Store};

use crate::extract::Fact;
use crate::serialize::{provenance_graph, provenance_triples};

/// What can go wrong with the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Another process has the on-disk store open.
    #[error(
        "the store at `{0}` is locked by another process (a running `kgrep build`, `query` or `repl`?)"
    )]
    Locked(PathBuf),
    /// The store could not be opened or written.
    #[error("store error: {0}")]
    Storage(#[from] StorageError),
    /// An RDF file could not be loaded.
    #[error("cannot load: {0}")]
    Load(#[from] oxigraph::store::LoaderError),
    /// A SPARQL query or update did not parse.
    #[error("{0}")]
    Syntax(#[from] oxigraph::sparql::SparqlSyntaxError),
    /// A query failed while running.
    #[error("query failed: {0}")]
    Evaluation(#[from] oxigraph::sparql::QueryEvaluationError),
    /// An update failed while running.
    #[error("update failed: {0}")]
    Update(#[from] oxigraph::sparql::UpdateEvaluationError),
    /// The query ran longer than allowed and was cancelled.
    #[error("the query was cancelled after {0:?}")]
    Timeout(Duration),
    /// Writing an export failed.
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
}

/// The graph of kgrep's own bookkeeping (the rules' prefixes).
pub const META_GRAPH: &str = "urn:kgrep:meta";
const SH_PREFIX: &str = "http://www.w3.org/ns/shacl#prefix";
const SH_NAMESPACE: &str = "http://www.w3.org/ns/shacl#namespace";

/// The prefix of every document graph's IRI.
pub const DOCUMENT_PREFIX: &str = "urn:kgrep:doc:";

/// An Oxigraph store holding extracted facts.
#[derive(Clone)]
pub struct GraphStore {
    store: Store,
}

/// A document's facts, ready to store.
pub struct StoredDocument<'a> {
    /// The document's IRI (its named graph).
    pub iri: &'a NamedNode,
    /// Its path relative to the corpus root (names its provenance graph).
    pub path: &'a str,
    /// Its facts.
    pub facts: &'a [Fact],
}

impl GraphStore {
    /// A store in memory, gone when dropped.
    pub fn in_memory() -> Result<GraphStore, StoreError> {
        Ok(GraphStore {
            store: Store::new()?,
        })
    }

    /// Opens (or creates) the on-disk store in `path`.
    pub fn open(path: &Path) -> Result<GraphStore, StoreError> {
        match Store::open(path) {
            Ok(store) => Ok(GraphStore { store }),
            Err(error) if is_lock_error(&error) => Err(StoreError::Locked(path.to_owned())),
            Err(error) => Err(error.into()),
        }
    }

    /// The Oxigraph store, for the REPL and analytics.
    pub fn inner(&self) -> &Store {
        &self.store
    }

    /// Replaces the given documents' facts (and provenance) in one
    /// transaction. Returns how many quads were written.
    pub fn replace_documents(
        &self,
        documents: &[StoredDocument<'_>],
        provenance: bool,
    ) -> Result<usize, StoreError> {
        let mut transaction = self.store.start_transaction()?;
        let mut written = 0;
        for document in documents {
            let provenance_graph = provenance_graph(document.path);
            transaction.remove_named_graph(document.iri.as_ref())?;
            transaction.remove_named_graph(provenance_graph.as_ref())?;
            for quad in document_quads(document, provenance, &provenance_graph) {
                transaction.insert(quad.as_ref());
                written += 1;
            }
            // An empty document still exists, so that `--prune` knows it.
            transaction.insert_named_graph(document.iri.as_ref());
        }
        transaction.commit()?;
        Ok(written)
    }

    /// Loads documents into an empty store with the bulk loader (fast, and
    /// still atomic: nothing is visible until all of it is).
    pub fn bulk_load<'a>(
        &self,
        documents: impl IntoIterator<Item = StoredDocument<'a>>,
        provenance: bool,
    ) -> Result<usize, StoreError> {
        let mut loader = self.store.bulk_loader();
        let mut written = 0;
        for document in documents {
            let provenance_graph = provenance_graph(document.path);
            let quads: Vec<Quad> =
                document_quads(&document, provenance, &provenance_graph).collect();
            written += quads.len();
            loader.load_quads(quads)?;
        }
        loader.commit()?;
        Ok(written)
    }

    /// Loads an RDF file (N-Quads from `kgrep extract`, or any RDF) with the
    /// bulk loader, atomically.
    pub fn load_file(
        &self,
        format: RdfFormat,
        reader: impl std::io::Read,
    ) -> Result<(), StoreError> {
        let mut loader = self.store.bulk_loader();
        loader.load_from_reader(format, reader)?;
        loader.commit()?;
        Ok(())
    }

    /// Removes documents (their facts and provenance), in one transaction.
    pub fn remove_documents(&self, documents: &[(NamedNode, String)]) -> Result<(), StoreError> {
        let mut transaction = self.store.start_transaction()?;
        for (iri, path) in documents {
            transaction.remove_named_graph(iri.as_ref())?;
            transaction.remove_named_graph(provenance_graph(path).as_ref())?;
        }
        transaction.commit()?;
        Ok(())
    }

    /// Remembers the rules' prefixes in the store (graph `urn:kgrep:meta`, as
    /// SHACL prefix declarations), so later queries and exports know them.
    pub fn save_prefixes(&self, prefixes: &[(String, String)]) -> Result<(), StoreError> {
        let meta = NamedNode::new_unchecked(META_GRAPH);
        let mut transaction = self.store.start_transaction()?;
        transaction.remove_named_graph(meta.as_ref())?;
        for (prefix, namespace) in prefixes {
            let mut node = String::from("urn:kgrep:meta:prefix:");
            crate::rules::encode_iri_segment(prefix, &mut node);
            let node = NamedNode::new_unchecked(node);
            let namespace = oxigraph::model::Literal::new_typed_literal(
                namespace,
                oxigraph::model::vocab::xsd::ANY_URI,
            );
            transaction.insert(
                Quad::new(
                    node.clone(),
                    NamedNode::new_unchecked(SH_PREFIX),
                    oxigraph::model::Literal::new_simple_literal(prefix),
                    meta.clone(),
                )
                .as_ref(),
            );
            transaction.insert(
                Quad::new(
                    node,
                    NamedNode::new_unchecked(SH_NAMESPACE),
                    namespace,
                    meta.clone(),
                )
                .as_ref(),
            );
        }
        transaction.commit()?;
        Ok(())
    }

    /// The prefixes saved by [`save_prefixes`](Self::save_prefixes), sorted.
    pub fn prefixes(&self) -> Result<Vec<(String, String)>, StoreError> {
        let meta = NamedNode::new_unchecked(META_GRAPH);
        let mut prefixes = std::collections::BTreeMap::new();
        let mut namespaces = std::collections::BTreeMap::new();
        for quad in self
            .store
            .quads_for_pattern(None, None, None, Some(meta.as_ref().into()))
        {
            let quad = quad?;
            let Term::Literal(value) = &quad.object else {
                continue;
            };
            if quad.predicate.as_str() == SH_PREFIX {
                prefixes.insert(quad.subject.to_string(), value.value().to_owned());
            } else if quad.predicate.as_str() == SH_NAMESPACE {
                namespaces.insert(quad.subject.to_string(), value.value().to_owned());
            }
        }
        let mut pairs: Vec<(String, String)> = prefixes
            .into_iter()
            .filter_map(|(node, prefix)| Some((prefix, namespaces.get(&node)?.clone())))
            .collect();
        for (prefix, iri) in crate::rules::PREDECLARED_PREFIXES {
            if !pairs.iter().any(|(p, _)| p == prefix) {
                pairs.push(((*prefix).to_owned(), (*iri).to_owned()));
            }
        }
        pairs.sort();
        Ok(pairs)
    }

    /// Every fact of every document, each triple once (no provenance).
    pub fn facts(&self) -> Result<Vec<Triple>, StoreError> {
        let mut seen = std::collections::HashSet::new();
        let mut triples = Vec::new();
        for quad in self.store.iter() {
            let quad = quad?;
            if let GraphName::NamedNode(graph) = &quad.graph_name {
                if graph.as_str().starts_with(DOCUMENT_PREFIX) {
                    let triple = Triple::from(quad);
                    if seen.insert(triple.clone()) {
                        triples.push(triple);
                    }
                }
            }
        }
        Ok(triples)
    }

    /// Where a fact came from: its document, sentence index and matched text
    /// (the first extraction that produced it), if provenance was stored.
    pub fn support(&self, triple: &Triple) -> Result<Option<(String, u64, String)>, StoreError> {
        let vocab =
            |local: &str| NamedNode::new_unchecked(format!("{}{local}", crate::extract::KGREP_NS));
        let object = match &triple.object {
            Term::Literal(_) => return Ok(None),
            other => other.clone(),
        };
        let subject: Term = triple.subject.clone().into();
        for fact in self.store.quads_for_pattern(
            None,
            Some(oxigraph::model::vocab::rdf::OBJECT),
            Some(object.as_ref()),
            None,
        ) {
            let fact = fact?;
            let graph = fact.graph_name.clone();
            let node = fact.subject.clone();
            let value = |predicate: &NamedNode| -> Result<Option<Term>, StoreError> {
                Ok(self
                    .store
                    .quads_for_pattern(
                        Some(node.as_ref()),
                        Some(predicate.as_ref()),
                        None,
                        Some(graph.as_ref()),
                    )
                    .next()
                    .transpose()?
                    .map(|q| q.object))
            };
            if value(&oxigraph::model::vocab::rdf::SUBJECT.into_owned())? != Some(subject.clone())
                || value(&oxigraph::model::vocab::rdf::PREDICATE.into_owned())?
                    != Some(triple.predicate.clone().into())
            {
                continue;
            }
            let text = |term: Option<Term>| match term {
                Some(Term::Literal(literal)) => literal.value().to_owned(),
                Some(Term::NamedNode(node)) => node.into_string(),
                _ => String::new(),
            };
            let document = text(value(&vocab("document"))?);
            let sentence = text(value(&vocab("sentence"))?).parse().unwrap_or(0);
            return Ok(Some((document, sentence, text(value(&vocab("text"))?))));
        }
        Ok(None)
    }

    /// Replaces the graph `graph` with `triples` (for materialised analytics).
    pub fn replace_graph(&self, graph: &NamedNode, triples: &[Triple]) -> Result<(), StoreError> {
        let mut transaction = self.store.start_transaction()?;
        transaction.remove_named_graph(graph.as_ref())?;
        for triple in triples {
            transaction.insert(triple.clone().in_graph(graph.clone()).as_ref());
        }
        transaction.commit()?;
        Ok(())
    }

    /// The documents in the store, as graph IRIs.
    pub fn documents(&self) -> Result<Vec<NamedNode>, StoreError> {
        let mut documents = Vec::new();
        for graph in self.store.named_graphs() {
            if let NamedOrBlankNode::NamedNode(node) = graph? {
                if node.as_str().starts_with(DOCUMENT_PREFIX) {
                    documents.push(node);
                }
            }
        }
        documents.sort();
        Ok(documents)
    }

    /// How many quads the store holds.
    pub fn len(&self) -> Result<usize, StoreError> {
        Ok(self.store.len()?)
    }

    /// Whether the store holds nothing.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.store.is_empty()?)
    }

    /// Runs a SPARQL query. `prefixes` are predeclared; the default graph is
    /// the union of the document graphs unless the query names its dataset;
    /// `cancel` stops it (results are computed while they are read, so keep
    /// a [`QueryTimer`] alive until they are).
    pub fn query(
        &self,
        query: &str,
        prefixes: &[(String, String)],
        cancel: CancellationToken,
    ) -> Result<QueryResults<'static>, StoreError> {
        let mut evaluator = SparqlEvaluator::new().with_cancellation_token(cancel);
        for (prefix, iri) in prefixes {
            evaluator = evaluator
                .with_prefix(prefix, iri)
                .map_err(|error| StoreError::Storage(StorageError::Other(Box::new(error))))?;
        }
        let mut prepared = evaluator.parse_query(query)?;
        if prepared.dataset().is_default_dataset() {
            let graphs: Vec<GraphName> =
                self.documents()?.into_iter().map(GraphName::from).collect();
            prepared.dataset_mut().set_default_graph(graphs);
        }
        Ok(prepared.on_store(&self.store).execute()?)
    }

    /// Runs a SPARQL update.
    pub fn update(&self, update: &str, prefixes: &[(String, String)]) -> Result<(), StoreError> {
        let mut evaluator = SparqlEvaluator::new();
        for (prefix, iri) in prefixes {
            evaluator = evaluator
                .with_prefix(prefix, iri)
                .map_err(|error| StoreError::Storage(StorageError::Other(Box::new(error))))?;
        }
        evaluator
            .parse_update(update)?
            .on_store(&self.store)
            .execute()?;
        Ok(())
    }

    /// Writes the store (or one graph) in `format`. Triple formats get the
    /// facts of every document (or of `graph`), each triple once; dataset
    /// formats get every graph. Without `provenance`, provenance graphs are
    /// left out. Only the prefixes the output uses are declared.
    pub fn export<W: std::io::Write>(
        &self,
        format: RdfFormat,
        graph: Option<&NamedNode>,
        provenance: bool,
        prefixes: &[(String, String)],
        writer: W,
    ) -> Result<(usize, W), StoreError> {
        let quads = self.export_quads(graph, provenance)?;
        let used = used_prefixes(&quads, prefixes);
        let mut serializer = RdfSerializer::from_format(format);
        for (prefix, iri) in &used {
            serializer = serializer
                .with_prefix(prefix.as_str(), iri.as_str())
                .map_err(|error| StoreError::Storage(StorageError::Other(Box::new(error))))?;
        }
        let mut serializer = serializer.for_writer(writer);
        let mut count = 0;
        if format.supports_datasets() {
            for quad in &quads {
                serializer.serialize_quad(quad)?;
                count += 1;
            }
        } else {
            let mut seen = std::collections::HashSet::new();
            let triples: Vec<Triple> = quads
                .into_iter()
                .map(Triple::from)
                .filter(|triple| seen.insert(triple.clone()))
                .collect();
            for triple in &triples {
                serializer.serialize_triple(triple)?;
                count += 1;
            }
        }
        Ok((count, serializer.finish()?))
    }

    fn export_quads(
        &self,
        graph: Option<&NamedNode>,
        provenance: bool,
    ) -> Result<Vec<Quad>, StoreError> {
        let mut quads = Vec::new();
        for quad in self.store.iter() {
            let quad = quad?;
            let keep = match (&quad.graph_name, graph) {
                (GraphName::NamedNode(name), Some(wanted)) => name == wanted,
                (GraphName::NamedNode(name), None) => {
                    name.as_str().starts_with(DOCUMENT_PREFIX)
                        || (provenance && is_provenance_graph(name.as_ref()))
                }
                (_, Some(_)) => false,
                (_, None) => true,
            };
            if keep {
                quads.push(quad);
            }
        }
        Ok(quads)
    }
}

/// The quads of one stored document: its facts once each, then its provenance.
fn document_quads<'a>(
    document: &'a StoredDocument<'a>,
    provenance: bool,
    provenance_graph: &'a NamedNode,
) -> impl Iterator<Item = Quad> + 'a {
    let mut seen = std::collections::HashSet::new();
    let facts = document
        .facts
        .iter()
        .filter(move |fact| seen.insert(&fact.triple))
        .map(|fact| {
            Quad::new(
                fact.triple.subject.clone(),
                fact.triple.predicate.clone(),
                fact.triple.object.clone(),
                document.iri.clone(),
            )
        });
    let mut provenance_seen = std::collections::HashSet::new();
    let provenance_quads = document
        .facts
        .iter()
        .enumerate()
        .filter(move |_| provenance)
        .flat_map(move |(index, fact)| provenance_triples(document.iri, document.path, index, fact))
        .filter(move |triple| provenance_seen.insert(triple.clone()))
        .map(|triple| triple.in_graph(provenance_graph.clone()));
    facts.chain(provenance_quads)
}

fn is_provenance_graph(graph: NamedNodeRef<'_>) -> bool {
    graph.as_str().starts_with("urn:kgrep:provenance:")
}

/// The prefixes whose namespace some IRI of `quads` starts with.
fn used_prefixes(quads: &[Quad], prefixes: &[(String, String)]) -> Vec<(String, String)> {
    let mut used = vec![false; prefixes.len()];
    let mut mark = |iri: &str| {
        for (index, (_, namespace)) in prefixes.iter().enumerate() {
            if !used[index] && iri.starts_with(namespace.as_str()) {
                used[index] = true;
            }
        }
    };
    for quad in quads {
        if let NamedOrBlankNode::NamedNode(node) = &quad.subject {
            mark(node.as_str());
        }
        mark(quad.predicate.as_str());
        match &quad.object {
            Term::NamedNode(node) => mark(node.as_str()),
            Term::Literal(literal) => mark(literal.datatype().as_str()),
            _ => {}
        }
    }
    prefixes
        .iter()
        .zip(used)
        .filter(|(_, used)| *used)
        .map(|(prefix, _)| prefix.clone())
        .collect()
}

fn is_lock_error(error: &StorageError) -> bool {
    let text = error.to_string().to_lowercase();
    text.contains("lock")
}

/// Whether a query error is the cancellation a [`QueryTimer`] (or Ctrl-C) caused.
pub fn is_cancelled(error: &oxigraph::sparql::QueryEvaluationError) -> bool {
    error.to_string().to_lowercase().contains("cancel")
}

/// Cancels a query when its time is up; drop it when the results are read.
pub struct QueryTimer {
    done: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl QueryTimer {
    /// Starts the clock: after `limit`, `token` is cancelled.
    pub fn start(limit: Duration, token: CancellationToken) -> QueryTimer {
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let finished = done.clone();
        std::thread::spawn(move || {
            let step = Duration::from_millis(10);
            let mut waited = Duration::ZERO;
            while waited < limit {
                if finished.load(std::sync::atomic::Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(step);
                waited += step;
            }
            token.cancel();
        });
        QueryTimer { done }
    }
}

impl Drop for QueryTimer {
    fn drop(&mut self) {
        self.done.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}
