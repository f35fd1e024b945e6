//! The RDF shape of a document's facts and their provenance, in one place for
//! the N-Quads writer and the store, so `extract -f nquads | kgrep load` and
//! `kgrep build` make the same dataset.
//!
//! - The **default graph** holds each fact once (the store keeps it a set,
//!   whatever the number of documents that state it).
//! - **A graph per match**, `<doc#mN>`, holds the facts match N produced: the
//!   fact's *support*. A fact leaves the default graph only when no support
//!   graph holds it any more.
//! - **The document's graph**, `<doc>`, describes the document, its matches and
//!   the sentences they are in. Fields are shared: a match's span, rule and text
//!   once for all the facts it produced, a sentence's text once for all its
//!   matches.
//!
//! ```turtle
//! org:A ex:formed team:B .                                   # default graph
//! GRAPH <urn:kgrep:doc:a.txt#m0> { org:A ex:formed team:B . org:A a ex:Org . }
//! GRAPH <urn:kgrep:doc:a.txt> {
//!   <urn:kgrep:doc:a.txt> a kgrep:Document ; kgrep:path "a.txt" ; kgrep:sha256 "…" .
//!   <urn:kgrep:doc:a.txt#m0> kgrep:rule "formed" ; kgrep:sentence <urn:kgrep:doc:a.txt#s0> ;
//!       kgrep:start 0 ; kgrep:end 18 ; kgrep:text "…" .
//!   <urn:kgrep:doc:a.txt#s0> kgrep:index 0 ; kgrep:start 0 ; kgrep:text "…" .
//! }
//! ```
//!
//! Without provenance a match keeps only its rule (so a document's support
//! graphs can be found and removed); spans, texts and sentences are left out.

use oxrdf::vocab::{rdf, xsd};
use oxrdf::{GraphName, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad, Term};

use crate::extract::Fact;
use crate::vocab;

/// One document's facts, ready to write.
#[derive(Clone, Copy, Debug)]
pub struct DocumentFacts<'a> {
    /// The document's IRI.
    pub iri: &'a NamedNode,
    /// Its name (path relative to the corpus root).
    pub path: &'a str,
    /// SHA-256 of its text, hex, if known (lets a rebuild skip it unchanged):
    /// once a document, with any of its pieces (the last, when it is hashed
    /// as it streams).
    pub sha256: Option<&'a str>,
    /// Its facts in document order (the facts of one match are adjacent).
    pub facts: &'a [Fact],
    /// The number of its first match's support graph (0, unless these are
    /// the facts of a later piece of the document).
    pub first_match: usize,
    /// Whether to say what the document is (its type and path): once a
    /// document, with its first piece.
    pub header: bool,
}

/// The facts of `facts` grouped by the match that produced them.
pub fn matches(facts: &[Fact]) -> impl Iterator<Item = &[Fact]> {
    facts.chunk_by(|a, b| {
        let (a, b) = (&a.provenance, &b.provenance);
        a.sentence == b.sentence && a.start == b.start && a.end == b.end && a.rule == b.rule
    })
}

fn named(iri: &str) -> NamedNode {
    NamedNode::new_unchecked(iri)
}

fn integer(value: usize) -> Literal {
    Literal::new_typed_literal(value.to_string(), xsd::INTEGER)
}

/// Calls `emit` with every quad of `document`: its facts in the default graph
/// (once each), each match's support graph, and the document graph. With
/// `provenance`, matches and sentences carry their spans and texts.
pub fn document_quads<E>(
    document: &DocumentFacts<'_>,
    provenance: bool,
    mut emit: impl FnMut(Quad) -> Result<(), E>,
) -> Result<(), E> {
    let graph = GraphName::NamedNode(document.iri.clone());
    let node = NamedOrBlankNode::NamedNode(document.iri.clone());
    if document.header {
        emit(Quad::new(
            node.clone(),
            rdf::TYPE,
            named(vocab::term::DOCUMENT),
            graph.clone(),
        ))?;
        emit(Quad::new(
            node.clone(),
            named(vocab::term::PATH),
            Literal::new_simple_literal(document.path),
            graph.clone(),
        ))?;
    }
    if let Some(hash) = document.sha256 {
        emit(Quad::new(
            node,
            named(vocab::term::SHA256),
            Literal::new_simple_literal(hash),
            graph.clone(),
        ))?;
    }
    let mut seen = std::collections::HashSet::new();
    let mut sentence_written = usize::MAX;
    for (index, facts) in matches(document.facts).enumerate() {
        let match_node = named(&vocab::match_iri(
            document.iri.as_str(),
            document.first_match + index,
        ));
        let support = GraphName::NamedNode(match_node.clone());
        for fact in facts {
            if seen.insert(&fact.triple) {
                emit(Quad::new(
                    fact.triple.subject.clone(),
                    fact.triple.predicate.clone(),
                    fact.triple.object.clone(),
                    GraphName::DefaultGraph,
                ))?;
            }
            emit(Quad::new(
                fact.triple.subject.clone(),
                fact.triple.predicate.clone(),
                fact.triple.object.clone(),
                support.clone(),
            ))?;
        }
        let first = &facts[0].provenance;
        let mut describe = |predicate: &str, object: Term| {
            emit(Quad::new(
                match_node.clone(),
                named(predicate),
                object,
                graph.clone(),
            ))
        };
        describe(
            vocab::term::RULE,
            Literal::new_simple_literal(first.rule.as_ref()).into(),
        )?;
        if !provenance {
            continue;
        }
        let sentence = named(&vocab::sentence_iri(document.iri.as_str(), first.sentence));
        describe(vocab::term::SENTENCE, sentence.clone().into())?;
        describe(vocab::term::START, integer(first.start).into())?;
        describe(vocab::term::END, integer(first.end).into())?;
        describe(
            vocab::term::TEXT,
            Literal::new_simple_literal(&*first.text).into(),
        )?;
        // Matches come in document order, so a sentence's matches are adjacent.
        if sentence_written != first.sentence {
            sentence_written = first.sentence;
            let mut about = |predicate: &str, object: Term| {
                emit(Quad::new(
                    sentence.clone(),
                    named(predicate),
                    object,
                    graph.clone(),
                ))
            };
            about(vocab::term::INDEX, integer(first.sentence).into())?;
            about(vocab::term::START, integer(first.sentence_start).into())?;
            about(
                vocab::term::TEXT,
                Literal::new_simple_literal(first.sentence_text.as_ref()).into(),
            )?;
        }
    }
    Ok(())
}

/// `rdf:type kgrep:Document`, the pattern that lists documents.
pub fn document_class() -> NamedNodeRef<'static> {
    NamedNodeRef::new_unchecked(vocab::term::DOCUMENT)
}

/// What a document's recorded hash covers: kgrep's version, the rule files
/// and lexicons, and the options that change what extraction finds. A
/// document whose hash is unchanged needs no new extraction.
pub fn rules_fingerprint(sources: &crate::source::SourceMap, year: Option<i32>) -> sha2::Sha256 {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
    hasher.update(format!("year={year:?}").as_bytes());
    for (_, file) in sources.files() {
        hasher.update((file.text.len() as u64).to_le_bytes());
        hasher.update(file.text.as_bytes());
    }
    hasher
}

/// The hash recorded for a document: the rules' fingerprint and its text.
pub fn document_hash(fingerprint: &sha2::Sha256, text: &str) -> String {
    use sha2::Digest;
    let mut hasher = fingerprint.clone();
    hasher.update(text.as_bytes());
    format!("{:x}", hasher.finalize())
}
