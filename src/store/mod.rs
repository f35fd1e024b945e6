//! The graph store: the only module that talks to Oxigraph.
//!
//! The dataset follows [`crate::provenance`]: the default graph is the set of
//! facts (what queries see), each match's support graph says which documents
//! state a fact, and each document's graph holds its provenance. On disk a
//! store is a directory of published generations ([`disk`]): readers never
//! wait, writers publish atomically. [`ingest`] streams documents in.

pub mod disk;
pub mod ingest;
pub mod remote;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use oxigraph::io::{RdfFormat, RdfParser, RdfSerializer};
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{
    GraphName, GraphNameRef, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad, QuadRef,
    Term, TermRef, Triple,
};
use oxigraph::sparql::{CancellationToken, QueryResults, SparqlEvaluator};
use oxigraph::store::{StorageError, Store};

use crate::rdf_writer::{NodeWriter, Style};
use crate::vocab;
pub use disk::{StoreDir, Writer};

/// How a store was built: what `kgrep build` was given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recipe {
    /// The rule files.
    pub rules: Vec<PathBuf>,
    /// The documents and directories.
    pub inputs: Vec<PathBuf>,
    /// `--year`.
    pub year: Option<i32>,
}

/// What can go wrong with the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Another process is writing the store.
    #[error(
        "the store at `{0}` is locked by another writer (a running `kgrep build`, `load`, `remove` or update); readers can still query it"
    )]
    Locked(PathBuf),
    /// The path is not a kgrep store.
    #[error(
        "`{path}` is not a kgrep store: {why} (`kgrep build --store DIR` creates one in an absent or empty directory)"
    )]
    NotAStore {
        /// The path given.
        path: PathBuf,
        /// Why not.
        why: String,
    },
    /// A store of the first layout (kgrep 0.1, before generations).
    #[error(
        "`{0}` was made by an older kgrep (store layout 1) that this one cannot read: rebuild it with `kgrep build -r RULES DOCS --store NEW_DIR`"
    )]
    OldLayout(PathBuf),
    /// A store layout this kgrep does not know.
    #[error(
        "`{path}` has store layout {found}; this kgrep reads layout {}",
        disk::FORMAT_VERSION
    )]
    Version {
        /// The store.
        path: PathBuf,
        /// Its layout version.
        found: u32,
    },
    /// A file of the store could not be read or written.
    #[error("cannot use `{path}`: {error}")]
    File {
        /// The file.
        path: PathBuf,
        /// The error.
        error: std::io::Error,
    },
    /// The store was opened for reading.
    #[error("the store is open read-only")]
    ReadOnly,
    /// The store could not be opened or written.
    #[error("store error: {0}")]
    Storage(#[from] StorageError),
    /// An RDF file could not be parsed.
    #[error("{0}")]
    Parse(#[from] oxigraph::io::RdfParseError),
    /// A SPARQL query or update did not parse.
    #[error("{0}")]
    Syntax(#[from] oxigraph::sparql::SparqlSyntaxError),
    /// A query failed while running.
    #[error("query failed: {0}")]
    Evaluation(#[from] oxigraph::sparql::QueryEvaluationError),
    /// An update failed while running.
    #[error("update failed: {0}")]
    Update(#[from] oxigraph::sparql::UpdateEvaluationError),
    /// The query was cancelled (time limit or Ctrl-C).
    #[error("the query was cancelled")]
    Cancelled,
    /// A term cannot be written in the chosen format.
    #[error("{format} cannot hold {term}: {why}")]
    Unwritable {
        /// The format.
        format: &'static str,
        /// The term, in N-Triples syntax.
        term: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// Writing an export failed.
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
}

impl StoreError {
    /// Whether this is a cancelled query.
    pub fn is_cancelled(&self) -> bool {
        match self {
            StoreError::Cancelled => true,
            StoreError::Evaluation(error) => is_cancelled(error),
            _ => false,
        }
    }
}

/// An Oxigraph store holding extracted facts: in memory, a read-only
/// snapshot of an on-disk store, or a writer's private copy of one.
#[derive(Clone)]
pub struct GraphStore {
    store: Store,
    writable: bool,
    _guard: Option<Arc<disk::ReadGuard>>,
}

impl GraphStore {
    /// A store in memory, gone when dropped.
    pub fn in_memory() -> Result<GraphStore, StoreError> {
        Ok(GraphStore {
            store: Store::new()?,
            writable: true,
            _guard: None,
        })
    }

    /// The published state of the on-disk store at `path`, read-only; a path
    /// that is not a kgrep store is refused.
    pub fn open_read_only(path: &Path) -> Result<GraphStore, StoreError> {
        StoreDir::open(path)?.reader()
    }

    fn from_parts(store: Store, writable: bool, guard: Option<disk::ReadGuard>) -> GraphStore {
        GraphStore {
            store,
            writable,
            _guard: guard.map(Arc::new),
        }
    }

    /// The Oxigraph store, for the REPL and analytics.
    pub fn inner(&self) -> &Store {
        &self.store
    }

    /// Whether writes are possible.
    pub fn is_writable(&self) -> bool {
        self.writable
    }

    fn check_writable(&self) -> Result<(), StoreError> {
        if self.writable {
            Ok(())
        } else {
            Err(StoreError::ReadOnly)
        }
    }

    /// Remembers the rules' prefixes in the store (graph `urn:kgrep:meta`, as
    /// SHACL prefix declarations), so later queries and exports know them.
    pub fn save_prefixes(&self, prefixes: &[(String, String)]) -> Result<(), StoreError> {
        self.check_writable()?;
        let meta = NamedNode::new_unchecked(vocab::META_GRAPH);
        let mut transaction = self.store.start_transaction()?;
        transaction.remove_named_graph(meta.as_ref())?;
        for quad in prefix_quads(prefixes) {
            transaction.insert(quad.as_ref());
        }
        transaction.commit()?;
        Ok(())
    }

    /// Remembers how the store is built: `recipe`'s rule files and inputs
    /// (made absolute), replacing the last recipe.
    pub fn save_recipe(&self, recipe: &Recipe) -> Result<(), StoreError> {
        self.check_writable()?;
        let graph = NamedNode::new_unchecked(vocab::RECIPE_GRAPH);
        let subject = NamedNode::new_unchecked(vocab::RECIPE);
        let mut transaction = self.store.start_transaction()?;
        transaction.remove_named_graph(graph.as_ref())?;
        let mut insert = |predicate: &str, object: Literal| {
            transaction.insert(QuadRef::new(
                &subject,
                NamedNodeRef::new_unchecked(predicate),
                &object,
                &graph,
            ));
        };
        for (predicate, paths) in [
            (vocab::term::RULE_FILE, &recipe.rules),
            (vocab::term::INPUT, &recipe.inputs),
        ] {
            for path in paths {
                let absolute = std::path::absolute(path).unwrap_or_else(|_| path.clone());
                insert(
                    predicate,
                    Literal::new_simple_literal(absolute.to_string_lossy()),
                );
            }
        }
        if let Some(year) = recipe.year {
            insert(vocab::term::YEAR, Literal::from(year));
        }
        transaction.commit()?;
        Ok(())
    }

    /// The recipe saved by the last build, if any.
    pub fn recipe(&self) -> Result<Option<Recipe>, StoreError> {
        let graph = NamedNode::new_unchecked(vocab::RECIPE_GRAPH);
        let mut recipe = Recipe::default();
        for quad in self
            .store
            .quads_for_pattern(None, None, None, Some(graph.as_ref().into()))
        {
            let quad = quad?;
            let Term::Literal(value) = &quad.object else {
                continue;
            };
            match quad.predicate.as_str() {
                vocab::term::RULE_FILE => recipe.rules.push(PathBuf::from(value.value())),
                vocab::term::INPUT => recipe.inputs.push(PathBuf::from(value.value())),
                vocab::term::YEAR => recipe.year = value.value().parse().ok(),
                _ => {}
            }
        }
        recipe.rules.sort();
        recipe.inputs.sort();
        Ok((!recipe.rules.is_empty()).then_some(recipe))
    }

    /// A document's part of the dataset, in the layout of
    /// [`crate::provenance`]: its provenance graph, its matches' support
    /// graphs, and (in the default graph) the facts they support.
    pub fn document_dataset(&self, document: &NamedNode) -> Result<Vec<Quad>, StoreError> {
        let graph = GraphNameRef::from(document.as_ref());
        let rule = NamedNodeRef::new_unchecked(vocab::term::RULE);
        let mut quads = Vec::new();
        let mut facts = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for quad in self
            .store
            .quads_for_pattern(None, Some(rule), None, Some(graph))
        {
            let NamedOrBlankNode::NamedNode(matched) = quad?.subject else {
                continue;
            };
            for quad in
                self.store
                    .quads_for_pattern(None, None, None, Some(matched.as_ref().into()))
            {
                let quad = quad?;
                let triple = Triple::from(quad.clone());
                if seen.insert(triple.clone()) {
                    facts.push(triple);
                }
                quads.push(quad);
            }
        }
        for quad in self.store.quads_for_pattern(None, None, None, Some(graph)) {
            quads.push(quad?);
        }
        quads.extend(
            facts
                .into_iter()
                .map(|triple| triple.in_graph(GraphName::DefaultGraph)),
        );
        Ok(quads)
    }

    /// The prefixes saved by [`save_prefixes`](Self::save_prefixes), with the
    /// predeclared ones (rdf, rdfs, xsd, kgrep …), sorted.
    pub fn prefixes(&self) -> Result<Vec<(String, String)>, StoreError> {
        let meta = NamedNode::new_unchecked(vocab::META_GRAPH);
        let mut prefixes = BTreeMap::new();
        let mut namespaces = BTreeMap::new();
        for quad in self
            .store
            .quads_for_pattern(None, None, None, Some(meta.as_ref().into()))
        {
            let quad = quad?;
            let Term::Literal(value) = &quad.object else {
                continue;
            };
            if quad.predicate.as_str() == vocab::shacl::PREFIX {
                prefixes.insert(quad.subject.to_string(), value.value().to_owned());
            } else if quad.predicate.as_str() == vocab::shacl::NAMESPACE {
                namespaces.insert(quad.subject.to_string(), value.value().to_owned());
            }
        }
        let mut pairs: Vec<(String, String)> = prefixes
            .into_iter()
            .filter_map(|(node, prefix)| Some((prefix, namespaces.get(&node)?.clone())))
            .collect();
        let predeclared = crate::rules::PREDECLARED_PREFIXES
            .iter()
            .copied()
            .chain([("kgrep", vocab::NS)]);
        for (prefix, iri) in predeclared {
            if !pairs.iter().any(|(p, _)| p == prefix) {
                pairs.push((prefix.to_owned(), iri.to_owned()));
            }
        }
        pairs.sort();
        Ok(pairs)
    }

    /// The facts: every triple of the default graph.
    pub fn facts(&self) -> Result<Vec<Triple>, StoreError> {
        self.facts_until(&CancellationToken::new())
    }

    /// The facts, unless `cancel` is cancelled first ([`StoreError::Cancelled`]).
    pub fn facts_until(&self, cancel: &CancellationToken) -> Result<Vec<Triple>, StoreError> {
        let mut facts = Vec::new();
        for (index, quad) in self
            .store
            .quads_for_pattern(None, None, None, Some(GraphNameRef::DefaultGraph))
            .enumerate()
        {
            if index % 4096 == 0 && cancel.is_cancelled() {
                return Err(StoreError::Cancelled);
            }
            facts.push(Triple::from(quad?));
        }
        Ok(facts)
    }

    /// How many facts the default graph holds (counted by the query engine,
    /// which does not decode the terms: ten times faster than iterating).
    pub fn fact_count(&self) -> Result<usize, StoreError> {
        let results = self.query(
            "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
            &[],
            CancellationToken::new(),
        )?;
        if let QueryResults::Solutions(mut solutions) = results
            && let Some(solution) = solutions.next()
            && let Some(Term::Literal(count)) = solution?.get("n")
        {
            return Ok(count.value().parse().unwrap_or(0));
        }
        Ok(0)
    }

    /// Where a fact came from: its document, sentence index and matched text
    /// (the first match that produced it), if provenance was stored.
    pub fn support(&self, triple: &Triple) -> Result<Option<(String, u64, String)>, StoreError> {
        let object = triple.object.as_ref();
        for quad in self.store.quads_for_pattern(
            Some(triple.subject.as_ref()),
            Some(triple.predicate.as_ref()),
            Some(object),
            None,
        ) {
            let quad = quad?;
            let GraphName::NamedNode(graph) = &quad.graph_name else {
                continue;
            };
            if !vocab::is_match(graph.as_str()) {
                continue;
            }
            let document = NamedNode::new_unchecked(vocab::document_of(graph.as_str()));
            let value =
                |subject: NamedNodeRef<'_>, predicate: &str| -> Result<Option<Term>, StoreError> {
                    Ok(self
                        .store
                        .quads_for_pattern(
                            Some(subject.into()),
                            Some(NamedNodeRef::new_unchecked(predicate)),
                            None,
                            Some(document.as_ref().into()),
                        )
                        .next()
                        .transpose()?
                        .map(|quad| quad.object))
                };
            let Some(Term::NamedNode(sentence)) = value(graph.as_ref(), vocab::term::SENTENCE)?
            else {
                continue;
            };
            let index = match value(sentence.as_ref(), vocab::term::INDEX)? {
                Some(Term::Literal(literal)) => literal.value().parse().unwrap_or(0),
                _ => 0,
            };
            let text = match value(graph.as_ref(), vocab::term::TEXT)? {
                Some(Term::Literal(literal)) => literal.value().to_owned(),
                _ => String::new(),
            };
            return Ok(Some((document.into_string(), index, text)));
        }
        Ok(None)
    }

    /// The entity `name` stands for: an IRI (`<…>` or bare), a prefixed name
    /// (`ex:team\/辽宁医疗队` or `ex:team/辽宁医疗队`), or a label, looked up in
    /// the default graph's indexes.
    pub fn find_entity(
        &self,
        name: &str,
        prefixes: &[(String, String)],
    ) -> Result<NamedNode, crate::graph::LookupError> {
        let lookup = || -> Result<Option<NamedNode>, StoreError> {
            let name = name.trim();
            let bare = name.trim_start_matches('<').trim_end_matches('>');
            let mut candidates = vec![bare.to_owned()];
            if let Some((prefix, local)) = name.split_once(':')
                && let Some((_, namespace)) = prefixes.iter().find(|(p, _)| p == prefix)
            {
                candidates.push(format!("{namespace}{}", local.replace('\\', "")));
            }
            for candidate in candidates {
                let Ok(node) = NamedNode::new(candidate) else {
                    continue;
                };
                let default = Some(GraphNameRef::DefaultGraph);
                let as_subject = self
                    .store
                    .quads_for_pattern(Some(node.as_ref().into()), None, None, default)
                    .next()
                    .transpose()?
                    .is_some();
                let as_object = as_subject
                    || self
                        .store
                        .quads_for_pattern(None, None, Some(node.as_ref().into()), default)
                        .next()
                        .transpose()?
                        .is_some();
                if as_object {
                    return Ok(Some(node));
                }
            }
            Ok(None)
        };
        let not_found = || crate::graph::LookupError::NotFound(name.to_owned());
        if let Some(node) = lookup().map_err(|_| not_found())? {
            return Ok(node);
        }
        let mut matching = std::collections::BTreeSet::new();
        for quad in self.store.quads_for_pattern(
            None,
            Some(oxigraph::model::vocab::rdfs::LABEL),
            None,
            Some(GraphNameRef::DefaultGraph),
        ) {
            let Ok(quad) = quad else { break };
            if let (NamedOrBlankNode::NamedNode(node), Term::Literal(label)) =
                (quad.subject, &quad.object)
                && label.value() == name.trim()
            {
                matching.insert(node);
            }
        }
        let mut matching: Vec<NamedNode> = matching.into_iter().collect();
        match matching.len() {
            0 => Err(not_found()),
            1 => Ok(matching.remove(0)),
            _ => Err(crate::graph::LookupError::Ambiguous {
                name: name.to_owned(),
                candidates: matching.into_iter().map(NamedNode::into_string).collect(),
            }),
        }
    }

    /// Replaces the graph `graph` with `triples` (for materialised analytics).
    pub fn replace_graph(&self, graph: &NamedNode, triples: &[Triple]) -> Result<(), StoreError> {
        self.check_writable()?;
        let mut transaction = self.store.start_transaction()?;
        transaction.remove_named_graph(graph.as_ref())?;
        for triple in triples {
            transaction.insert(triple.clone().in_graph(graph.clone()).as_ref());
        }
        transaction.commit()?;
        Ok(())
    }

    /// The documents in the store, sorted.
    pub fn documents(&self) -> Result<Vec<NamedNode>, StoreError> {
        let class = crate::provenance::document_class();
        let mut documents = Vec::new();
        for quad in self
            .store
            .quads_for_pattern(None, Some(rdf::TYPE), Some(class.into()), None)
        {
            let quad = quad?;
            if let (NamedOrBlankNode::NamedNode(node), GraphName::NamedNode(graph)) =
                (&quad.subject, &quad.graph_name)
                && node == graph
            {
                documents.push(node.clone());
            }
        }
        documents.sort();
        documents.dedup();
        Ok(documents)
    }

    /// The SHA-256 recorded for a document, if any.
    pub fn document_hash(&self, document: &NamedNode) -> Result<Option<String>, StoreError> {
        let quad = self
            .store
            .quads_for_pattern(
                Some(document.as_ref().into()),
                Some(NamedNodeRef::new_unchecked(vocab::term::SHA256)),
                None,
                Some(document.as_ref().into()),
            )
            .next()
            .transpose()?;
        Ok(quad.and_then(|quad| match quad.object {
            Term::Literal(literal) => Some(literal.value().to_owned()),
            _ => None,
        }))
    }

    /// How many quads the store holds.
    pub fn len(&self) -> Result<usize, StoreError> {
        Ok(self.store.len()?)
    }

    /// Whether the store holds nothing.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.store.is_empty()?)
    }

    /// Runs a SPARQL query over the default graph (the facts) with
    /// `prefixes` predeclared; `cancel` stops it (results are computed while
    /// they are read, so keep a [`QueryTimer`] alive until they are).
    pub fn query(
        &self,
        query: &str,
        prefixes: &[(String, String)],
        cancel: CancellationToken,
    ) -> Result<QueryResults<'static>, StoreError> {
        Ok(evaluator(prefixes)?
            .with_cancellation_token(cancel)
            .parse_query(query)?
            .on_store(&self.store)
            .execute()?)
    }

    /// Runs a SPARQL update; it sees the default graph queries see. Triples
    /// it inserts into the default graph are not support of any document:
    /// removing the last document that also states one removes it.
    pub fn update(&self, update: &str, prefixes: &[(String, String)]) -> Result<(), StoreError> {
        let parsed = evaluator(prefixes)?.parse_update(update)?;
        self.check_writable()?;
        parsed.on_store(&self.store).execute()?;
        Ok(())
    }

    /// Loads RDF into the store with the bulk loader. Triples of a triple
    /// format (N-Triples, Turtle, RDF/XML) go to the default graph and to
    /// `urn:kgrep:loaded`, their support, so removing documents never removes
    /// them. A dataset (N-Quads, TriG, JSON-LD) is taken as it is: kgrep's own
    /// exports carry their support graphs. Returns the quads read and the
    /// prefixes the file declared.
    pub fn load(
        &self,
        format: RdfFormat,
        reader: impl std::io::Read,
    ) -> Result<(usize, Vec<(String, String)>), StoreError> {
        self.check_writable()?;
        let loaded = GraphName::NamedNode(NamedNode::new_unchecked(vocab::LOADED_GRAPH));
        let external = !format.supports_datasets();
        let mut parser = RdfParser::from_format(format).for_reader(reader);
        let mut loader = ingest::bulk_loader(self);
        let mut count = 0;
        let quads = parser.by_ref().flat_map(|quad| {
            let (first, second) = match quad {
                Ok(quad) if external && quad.graph_name.is_default_graph() => {
                    let support = Quad {
                        graph_name: loaded.clone(),
                        ..quad.clone()
                    };
                    (Ok(quad), Some(Ok(support)))
                }
                other => (other, None),
            };
            count += 1;
            std::iter::once(first).chain(second)
        });
        loader.load_ok_quads::<_, StoreError>(quads)?;
        loader.commit()?;
        let prefixes = parser
            .prefixes()
            .map(|(prefix, iri)| (prefix.to_owned(), iri.to_owned()))
            .collect();
        Ok((count, prefixes))
    }

    /// Streams the store (or one graph) in `format` to `writer`. Triple
    /// formats get the facts (the default graph, or `graph`); dataset formats
    /// get every graph, or, without `provenance`, the facts alone. The saved
    /// prefixes go along (as Turtle/TriG prefixes, and in dataset formats in
    /// the `urn:kgrep:meta` graph, so `kgrep load` restores them). `cancel`
    /// stops it ([`StoreError::Cancelled`]).
    pub fn export<W: std::io::Write>(
        &self,
        format: RdfFormat,
        graph: Option<&NamedNode>,
        provenance: bool,
        prefixes: &[(String, String)],
        writer: W,
        cancel: &CancellationToken,
    ) -> Result<(usize, W), StoreError> {
        let style = match format {
            RdfFormat::Turtle => Some(Style::Turtle),
            RdfFormat::JsonLd { .. } => Some(Style::JsonLd),
            _ => None,
        };
        if let Some(style) = style {
            let graph = match graph {
                Some(graph) => GraphNameRef::from(graph.as_ref()),
                None if style == Style::JsonLd && provenance => {
                    return self.export_dataset_nodes(prefixes, writer, cancel);
                }
                None => GraphNameRef::DefaultGraph,
            };
            return self.export_graph_nodes(style, graph, prefixes, writer, cancel);
        }
        let mut serializer = RdfSerializer::from_format(format);
        for (prefix, iri) in prefixes {
            serializer = serializer
                .with_prefix(prefix.as_str(), iri.as_str())
                .map_err(|error| StoreError::Storage(StorageError::Other(Box::new(error))))?;
        }
        let mut serializer = serializer.for_writer(writer);
        let xml = format == RdfFormat::RdfXml;
        let mut count = 0;
        let graph_filter: Option<GraphNameRef<'_>> = match graph {
            Some(graph) => Some(graph.as_ref().into()),
            None if !format.supports_datasets() || !provenance => Some(GraphNameRef::DefaultGraph),
            None => None,
        };
        // A dataset of the facts alone marks them as loaded data, so that a
        // `kgrep load` of it keeps them whatever documents come and go.
        let facts_alone = format.supports_datasets() && graph.is_none() && !provenance;
        let loaded = GraphName::NamedNode(NamedNode::new_unchecked(vocab::LOADED_GRAPH));
        for quad in self.store.quads_for_pattern(None, None, None, graph_filter) {
            let quad = quad?;
            if count % 4096 == 0 && cancel.is_cancelled() {
                return Err(StoreError::Cancelled);
            }
            if xml {
                check_xml(quad.as_ref())?;
            }
            if format.supports_datasets() {
                serializer.serialize_quad(&quad)?;
                if facts_alone {
                    serializer.serialize_quad(&Quad {
                        graph_name: loaded.clone(),
                        ..quad
                    })?;
                    count += 1;
                }
            } else {
                serializer.serialize_triple(&Triple::from(quad))?;
            }
            count += 1;
        }
        if facts_alone {
            // The prefixes, so that a load restores them.
            for quad in prefix_quads(prefixes) {
                serializer.serialize_quad(&quad)?;
                count += 1;
            }
        }
        Ok((count, serializer.finish()?))
    }
}

impl GraphStore {
    /// One graph as Turtle or plain JSON-LD, subjects sorted: the distinct
    /// subjects are held (not the triples), then each is read by its index.
    fn export_graph_nodes<W: std::io::Write>(
        &self,
        style: Style,
        graph: GraphNameRef<'_>,
        prefixes: &[(String, String)],
        writer: W,
        cancel: &CancellationToken,
    ) -> Result<(usize, W), StoreError> {
        let mut subjects: Vec<NamedOrBlankNode> = Vec::new();
        for (seen, quad) in self
            .store
            .quads_for_pattern(None, None, None, Some(graph))
            .enumerate()
        {
            let quad = quad?;
            if seen % 4096 == 0 && cancel.is_cancelled() {
                return Err(StoreError::Cancelled);
            }
            if subjects.last() != Some(&quad.subject) {
                subjects.push(quad.subject);
            }
        }
        subjects.sort_by_cached_key(|subject| subject.to_string());
        subjects.dedup();
        let mut out = NodeWriter::new(writer, style, prefixes)?;
        let mut count = 0;
        for (index, subject) in subjects.iter().enumerate() {
            if index % 1024 == 0 && cancel.is_cancelled() {
                return Err(StoreError::Cancelled);
            }
            let mut properties = self
                .store
                .quads_for_pattern(Some(subject.as_ref()), None, None, Some(graph))
                .map(|quad| quad.map(|quad| (quad.predicate, quad.object)))
                .collect::<Result<Vec<_>, _>>()?;
            count += properties.len();
            out.write_node(None, subject.as_ref(), &mut properties)?;
        }
        Ok((count, out.finish()?))
    }

    /// Every graph as JSON-LD, streamed: the default graph's nodes, then each
    /// named graph as `{"@id": graph, "@graph": [nodes]}`.
    fn export_dataset_nodes<W: std::io::Write>(
        &self,
        prefixes: &[(String, String)],
        writer: W,
        cancel: &CancellationToken,
    ) -> Result<(usize, W), StoreError> {
        let mut out = NodeWriter::new(writer, Style::JsonLd, prefixes)?;
        let mut count = 0;
        type Node = (GraphName, NamedOrBlankNode, Vec<(NamedNode, Term)>);
        let mut node: Option<Node> = None;
        let flush = |out: &mut NodeWriter<W>, node: Node| {
            let (graph, subject, mut properties) = node;
            let graph = match &graph {
                GraphName::NamedNode(name) => Some(name.as_ref().into()),
                GraphName::BlankNode(name) => Some(name.as_ref().into()),
                GraphName::DefaultGraph => None,
            };
            out.write_node(graph, subject.as_ref(), &mut properties)
        };
        for quad in self.store.quads_for_pattern(None, None, None, None) {
            let quad = quad?;
            if count % 4096 == 0 && cancel.is_cancelled() {
                return Err(StoreError::Cancelled);
            }
            count += 1;
            match &mut node {
                Some((graph, subject, properties))
                    if *graph == quad.graph_name && *subject == quad.subject =>
                {
                    properties.push((quad.predicate, quad.object));
                }
                _ => {
                    if let Some(done) = node.take() {
                        flush(&mut out, done)?;
                    }
                    node = Some((
                        quad.graph_name,
                        quad.subject,
                        vec![(quad.predicate, quad.object)],
                    ));
                }
            }
        }
        if let Some(done) = node {
            flush(&mut out, done)?;
        }
        Ok((count, out.finish()?))
    }
}

fn evaluator(prefixes: &[(String, String)]) -> Result<SparqlEvaluator, StoreError> {
    let mut evaluator = SparqlEvaluator::new();
    for (prefix, iri) in prefixes {
        evaluator = evaluator
            .with_prefix(prefix, iri)
            .map_err(|error| StoreError::Storage(StorageError::Other(Box::new(error))))?;
    }
    Ok(evaluator)
}

/// The quads that save `prefixes` in the meta graph.
fn prefix_quads(prefixes: &[(String, String)]) -> Vec<Quad> {
    let meta = NamedNode::new_unchecked(vocab::META_GRAPH);
    let mut quads = Vec::new();
    for (prefix, namespace) in prefixes {
        let mut node = format!("{}:prefix:", vocab::META_GRAPH);
        crate::rules::encode_iri_segment(prefix, &mut node);
        let node = NamedNode::new_unchecked(node);
        quads.push(Quad::new(
            node.clone(),
            NamedNode::new_unchecked(vocab::shacl::PREFIX),
            Literal::new_simple_literal(prefix),
            meta.clone(),
        ));
        quads.push(Quad::new(
            node,
            NamedNode::new_unchecked(vocab::shacl::NAMESPACE),
            Literal::new_typed_literal(namespace, xsd::ANY_URI),
            meta.clone(),
        ));
    }
    quads
}

/// XML 1.0 cannot hold C0 controls (but tab, line feed, carriage return),
/// U+FFFE or U+FFFF: refuse the term rather than write a broken file.
fn check_xml(quad: QuadRef<'_>) -> Result<(), StoreError> {
    let bad = |text: &str| {
        text.chars().any(|c| {
            (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
        })
    };
    let literal_bad = match quad.object {
        TermRef::Literal(literal) => bad(literal.value()),
        _ => false,
    };
    if literal_bad {
        return Err(StoreError::Unwritable {
            format: "RDF/XML",
            term: quad.object.to_string(),
            why: "XML 1.0 forbids control characters and U+FFFE/U+FFFF (export as N-Triples, Turtle or N-Quads instead)",
        });
    }
    Ok(())
}

/// Whether a query error is the cancellation a [`QueryTimer`] (or Ctrl-C) caused.
pub fn is_cancelled(error: &oxigraph::sparql::QueryEvaluationError) -> bool {
    matches!(error, oxigraph::sparql::QueryEvaluationError::Cancelled)
}

/// Cancels a query when its time is up; drop it when the results are read.
pub struct QueryTimer {
    done: Arc<std::sync::atomic::AtomicBool>,
    deadline: Deadline,
}

/// When a [`QueryTimer`] gives up waiting for the query to stop, and what it
/// does then.
type Deadline = Arc<std::sync::Mutex<Option<(Duration, Box<dyn FnOnce() + Send>)>>>;

impl QueryTimer {
    /// Starts the clock: after `limit`, `token` is cancelled.
    pub fn start(limit: Duration, token: CancellationToken) -> QueryTimer {
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let deadline: Deadline = Arc::default();
        let (finished, fallback) = (done.clone(), deadline.clone());
        std::thread::spawn(move || {
            let started = std::time::Instant::now();
            let step = Duration::from_millis(10);
            let is_done = || finished.load(std::sync::atomic::Ordering::Relaxed);
            while started.elapsed() < limit {
                if is_done() {
                    return;
                }
                std::thread::sleep(step);
            }
            token.cancel();
            loop {
                if is_done() {
                    return;
                }
                let mut fallback = fallback.lock().unwrap_or_else(|e| e.into_inner());
                if fallback
                    .as_ref()
                    .is_some_and(|(at, _)| started.elapsed() >= *at)
                {
                    if let Some((_, action)) = fallback.take() {
                        action();
                    }
                    return;
                }
                drop(fallback);
                std::thread::sleep(step);
            }
        });
        QueryTimer { done, deadline }
    }

    /// If the query is still running `after` its start (cancellation did
    /// not reach it), runs `action` (the CLI ends the process).
    pub fn with_deadline(self, after: Duration, action: impl FnOnce() + Send + 'static) -> Self {
        *self.deadline.lock().unwrap_or_else(|e| e.into_inner()) = Some((after, Box::new(action)));
        self
    }
}

impl Drop for QueryTimer {
    fn drop(&mut self) {
        self.done.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}
