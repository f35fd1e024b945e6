//! Writing extracted facts: N-Triples, N-Quads, Turtle or JSON lines, with or
//! without provenance.
//!
//! Provenance in RDF is a reification node per fact, in a graph of its own per
//! document, so the facts' graph holds only the facts:
//!
//! ```text
//! <urn:kgrep:fact:doc.txt:3> a kgrep:Extraction ;
//!     rdf:subject s ; rdf:predicate p ; rdf:object o ;
//!     kgrep:document <urn:kgrep:doc:doc.txt> ; kgrep:sentence 2 ;
//!     kgrep:start 10 ; kgrep:end 25 ; kgrep:rule "formed" ; kgrep:text "…" ;
//!     kgrep:inSentence <urn:kgrep:sentence:doc.txt:2> .
//! <urn:kgrep:sentence:doc.txt:2> a kgrep:Sentence ; kgrep:start 4 ; kgrep:text "…" .
//! ```
//!
//! Every term is standard RDF 1.1, so the output loads in any RDF tool.

use std::io::{self, Write};

use oxrdf::vocab::{rdf, xsd};
use oxrdf::{GraphNameRef, Literal, NamedNode, QuadRef, Triple, TripleRef};
use oxttl::TurtleSerializer;
use oxttl::turtle::WriterTurtleSerializer;
use serde::Serialize;

use crate::extract::{Fact, KGREP_NS};

/// An output format for facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// N-Triples: one triple a line, no graph.
    NTriples,
    /// N-Quads: one quad a line; the graph is the document.
    NQuads,
    /// Turtle, with the rule files' prefixes.
    Turtle,
    /// One JSON object a line: the triple's terms and its provenance.
    JsonLines,
}

/// Writes facts in one format, document after document.
pub struct FactWriter<W: Write> {
    format: Format,
    provenance: bool,
    inner: Inner<W>,
}

enum Inner<W: Write> {
    Plain(W),
    Turtle(WriterTurtleSerializer<W>),
}

impl<W: Write> FactWriter<W> {
    /// A writer of `format` to `out`; `provenance` adds the provenance
    /// statements (JSON lines always carry provenance). `prefixes` shorten
    /// IRIs in Turtle.
    pub fn new(
        out: W,
        format: Format,
        provenance: bool,
        prefixes: &[(String, String)],
    ) -> io::Result<Self> {
        let inner = match format {
            Format::Turtle => {
                let mut serializer = TurtleSerializer::new();
                for (prefix, iri) in prefixes {
                    serializer = serializer
                        .with_prefix(prefix, iri)
                        .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error))?;
                }
                if provenance {
                    serializer = serializer
                        .with_prefix("kgrep", KGREP_NS)
                        .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error))?;
                }
                Inner::Turtle(serializer.for_writer(out))
            }
            _ => Inner::Plain(out),
        };
        Ok(FactWriter {
            format,
            provenance,
            inner,
        })
    }

    /// Writes the facts of one document. Within a document a triple is
    /// written once (JSON lines: once per place it was found).
    pub fn write_document(
        &mut self,
        document: &NamedNode,
        document_path: &str,
        facts: &[Fact],
    ) -> io::Result<()> {
        let mut seen = std::collections::HashSet::new();
        let mut provenance_seen = std::collections::HashSet::new();
        for (index, fact) in facts.iter().enumerate() {
            if self.format == Format::JsonLines {
                if let Inner::Plain(out) = &mut self.inner {
                    serde_json::to_writer(&mut *out, &JsonFact::new(document, fact))?;
                    out.write_all(b"\n")?;
                }
                continue;
            }
            if seen.insert(&fact.triple) {
                self.write_triple(fact.triple.as_ref(), document)?;
            }
            if self.provenance {
                let provenance_graph = provenance_graph(document_path);
                for triple in provenance_triples(document, document_path, index, fact) {
                    if provenance_seen.insert(triple.clone()) {
                        self.write_triple(triple.as_ref(), &provenance_graph)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn write_triple(&mut self, triple: TripleRef<'_>, graph: &NamedNode) -> io::Result<()> {
        match &mut self.inner {
            Inner::Turtle(serializer) => serializer.serialize_triple(triple),
            Inner::Plain(out) => match self.format {
                Format::NQuads => {
                    let quad = QuadRef::new(
                        triple.subject,
                        triple.predicate,
                        triple.object,
                        GraphNameRef::NamedNode(graph.as_ref()),
                    );
                    writeln!(out, "{quad} .")
                }
                _ => writeln!(out, "{triple} ."),
            },
        }
    }

    /// Finishes the output (Turtle needs to close its last statement) and flushes.
    pub fn finish(self) -> io::Result<W> {
        match self.inner {
            Inner::Turtle(serializer) => serializer.finish(),
            Inner::Plain(mut out) => {
                out.flush()?;
                Ok(out)
            }
        }
    }
}

/// The graph that holds a document's provenance.
pub fn provenance_graph(document_path: &str) -> NamedNode {
    let mut iri = String::from("urn:kgrep:provenance:");
    encode_path(document_path, &mut iri);
    NamedNode::new_unchecked(iri)
}

/// Appends a `/`-separated path, each segment percent-encoded, slashes kept
/// (as in document IRIs).
pub fn encode_path(path: &str, out: &mut String) {
    for (index, segment) in path.split(['/', '\\']).enumerate() {
        if index > 0 {
            out.push('/');
        }
        crate::rules::encode_iri_segment(segment, out);
    }
}

/// The reification statements that say where fact number `index` of a document came from.
pub fn provenance_triples(
    document: &NamedNode,
    document_path: &str,
    index: usize,
    fact: &Fact,
) -> Vec<Triple> {
    let mut iri = String::from("urn:kgrep:fact:");
    encode_path(document_path, &mut iri);
    iri.push_str(&format!(":{index}"));
    let node = NamedNode::new_unchecked(iri);
    let mut sentence = String::from("urn:kgrep:sentence:");
    encode_path(document_path, &mut sentence);
    sentence.push_str(&format!(":{}", fact.provenance.sentence));
    let sentence = NamedNode::new_unchecked(sentence);
    let vocab = |local: &str| NamedNode::new_unchecked(format!("{KGREP_NS}{local}"));
    let integer = |value: usize| Literal::new_typed_literal(value.to_string(), xsd::INTEGER);
    let provenance = &fact.provenance;
    vec![
        Triple::new(node.clone(), rdf::TYPE, vocab("Extraction")),
        Triple::new(node.clone(), rdf::SUBJECT, fact.triple.subject.clone()),
        Triple::new(node.clone(), rdf::PREDICATE, fact.triple.predicate.clone()),
        Triple::new(node.clone(), rdf::OBJECT, fact.triple.object.clone()),
        Triple::new(node.clone(), vocab("document"), document.clone()),
        Triple::new(
            node.clone(),
            vocab("sentence"),
            integer(provenance.sentence),
        ),
        Triple::new(node.clone(), vocab("start"), integer(provenance.start)),
        Triple::new(node.clone(), vocab("end"), integer(provenance.end)),
        Triple::new(
            node.clone(),
            vocab("rule"),
            Literal::new_simple_literal(provenance.rule.as_ref()),
        ),
        Triple::new(node.clone(), vocab("inSentence"), sentence.clone()),
        // The sentence itself, once per sentence (writers drop repeats).
        Triple::new(sentence.clone(), rdf::TYPE, vocab("Sentence")),
        Triple::new(
            sentence.clone(),
            vocab("start"),
            integer(provenance.sentence_start),
        ),
        Triple::new(
            sentence,
            vocab("text"),
            Literal::new_simple_literal(provenance.sentence_text.as_ref()),
        ),
        Triple::new(
            node,
            vocab("text"),
            Literal::new_simple_literal(&provenance.text),
        ),
    ]
}

/// A fact as one JSON line.
#[derive(Serialize)]
struct JsonFact<'a> {
    document: &'a str,
    subject: String,
    predicate: String,
    object: String,
    sentence: usize,
    start: usize,
    end: usize,
    rule: &'a str,
    text: &'a str,
}

impl<'a> JsonFact<'a> {
    fn new(document: &'a NamedNode, fact: &'a Fact) -> Self {
        JsonFact {
            document: document.as_str(),
            subject: fact.triple.subject.to_string(),
            predicate: fact.triple.predicate.to_string(),
            object: fact.triple.object.to_string(),
            sentence: fact.provenance.sentence,
            start: fact.provenance.start,
            end: fact.provenance.end,
            rule: &fact.provenance.rule,
            text: &fact.provenance.text,
        }
    }
}
