//! Writing extracted facts: N-Triples, N-Quads, Turtle or JSON lines.
//!
//! N-Quads carry the store's layout (see [`crate::provenance`]): facts in the
//! default graph, their support graphs, and with provenance the documents'
//! matches and sentences, so `kgrep load` of the output gives what
//! `kgrep build` gives. The triple formats hold the facts alone.

use std::io::{self, Write};
use std::sync::Arc;

use oxrdf::{NamedNode, TermRef, TripleRef};
use serde::Serialize;

use crate::extract::{Fact, Mention, Provenance};
use crate::provenance::{DocumentFacts, document_quads};
use crate::rdf_writer::{NodeWriter, Style};

/// An output format for facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// N-Triples: one triple a line, no graph.
    NTriples,
    /// N-Quads: the store's layout (facts, support, provenance).
    NQuads,
    /// Turtle, with the rule files' prefixes, each document's facts grouped
    /// by subject and sorted.
    Turtle,
    /// One JSON object a line: the triple's terms and its provenance.
    JsonLines,
}

impl Format {
    /// Whether the format can hold provenance.
    pub fn carries_provenance(self) -> bool {
        matches!(self, Format::NQuads | Format::JsonLines)
    }
}

/// Writes facts in one format, document after document.
pub struct FactWriter<W: Write> {
    format: Format,
    provenance: bool,
    inner: Inner<W>,
}

enum Inner<W: Write> {
    Plain(W),
    Turtle(NodeWriter<W>),
}

impl<W: Write> FactWriter<W> {
    /// A writer of `format` to `out`; `provenance` adds the matches and
    /// sentences to N-Quads (JSON lines always carry provenance; the triple
    /// formats cannot). `prefixes` shorten IRIs in Turtle.
    pub fn new(
        out: W,
        format: Format,
        provenance: bool,
        prefixes: &[(String, String)],
    ) -> io::Result<Self> {
        let inner = match format {
            Format::Turtle => Inner::Turtle(NodeWriter::new(out, Style::Turtle, prefixes)?),
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
        self.write_piece(document, document_path, facts, true, 0)
    }

    /// Writes the facts of a piece of a document ([`crate::corpus::Piece`]):
    /// `first` for its first piece (N-Quads say what the document is then),
    /// `matches_before` the matches of the pieces before. A triple is written
    /// once a piece.
    pub fn write_piece(
        &mut self,
        document: &NamedNode,
        document_path: &str,
        facts: &[Fact],
        first: bool,
        matches_before: usize,
    ) -> io::Result<()> {
        match (&mut self.inner, self.format) {
            (Inner::Plain(out), Format::JsonLines) => {
                let mut lines = JsonLines::new(document);
                for fact in facts {
                    lines.write(out, fact)?;
                }
                Ok(())
            }
            (Inner::Plain(out), Format::NQuads) => {
                let document = DocumentFacts {
                    iri: document,
                    path: document_path,
                    sha256: None,
                    facts,
                    first_match: matches_before,
                    header: first,
                };
                document_quads(&document, self.provenance, |quad| writeln!(out, "{quad} ."))
            }
            (inner, _) => {
                let mut seen =
                    std::collections::HashSet::with_hasher(foldhash::fast::RandomState::default());
                let unique = facts.iter().filter(|fact| seen.insert(&fact.triple));
                match inner {
                    Inner::Turtle(writer) => {
                        writer.write_sorted(unique.map(|fact| fact.triple.clone()))?;
                    }
                    Inner::Plain(out) => {
                        for fact in unique {
                            writeln!(out, "{} .", TripleRef::from(&fact.triple))?;
                        }
                    }
                }
                Ok(())
            }
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

/// The entity mentions of one document's facts, each once, in text order:
/// `(start, end, mention)`.
pub fn entity_mentions(facts: &[Fact]) -> Vec<&crate::extract::Mention> {
    let mut mentions: Vec<&crate::extract::Mention> = facts
        .iter()
        .flat_map(|fact| fact.provenance.mentions.iter())
        .filter(|mention| mention.is_entity)
        .collect();
    mentions
        .sort_by(|a, b| (a.start, a.end, &a.kind, &a.iri).cmp(&(b.start, b.end, &b.kind, &b.iri)));
    mentions
        .dedup_by(|a, b| (a.start, a.end, &a.kind, &a.iri) == (b.start, b.end, &b.kind, &b.iri));
    mentions
}

/// Writes the entity mentions of one document's facts, one a line: as TSV
/// (`document start end type iri text`, no header) or, with `json`, as JSON
/// objects with those keys.
pub fn write_mentions(
    out: &mut impl Write,
    document: &NamedNode,
    facts: &[Fact],
    json: bool,
) -> io::Result<()> {
    for mention in entity_mentions(facts) {
        if json {
            #[derive(Serialize)]
            struct Line<'a> {
                document: &'a str,
                #[serde(flatten)]
                mention: JsonMention<'a>,
            }
            let line = Line {
                document: document.as_str(),
                mention: JsonMention::new(mention),
            };
            serde_json::to_writer(&mut *out, &line)?;
            out.write_all(b"\n")?;
        } else {
            let tsv = |text: &str| {
                text.replace('\\', "\\\\")
                    .replace('\t', "\\t")
                    .replace('\n', "\\n")
                    .replace('\r', "\\r")
            };
            writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}\t{}",
                document.as_str(),
                mention.start,
                mention.end,
                mention.kind.as_deref().unwrap_or(""),
                mention.iri.as_ref().map_or("", NamedNode::as_str),
                tsv(&mention.text)
            )?;
        }
    }
    Ok(())
}

/// Writes facts as JSON lines: the terms as SPARQL 1.1 JSON results write
/// them (`{"type": "uri", "value": …}`, literals with `datatype` or
/// `xml:lang`, blank nodes as `bnode`), then the provenance. Written field by
/// field rather than by a `Serialize` derive: the keys need no escaping and
/// the document's IRI is escaped once, not once a fact (JSON lines of a dense
/// document are mostly these strings). Byte for byte what serde_json writes
/// for the same fields (`tests::json_lines_are_what_serde_writes`).
struct JsonLines {
    /// The document's IRI, as a JSON string.
    document: Vec<u8>,
    /// The provenance part of the last line (from `"sentence"` to the end):
    /// every fact of a match has the same, so it is written once a match.
    tail: Vec<u8>,
    /// Whose provenance `tail` is: the match's shared text and mentions
    /// (held, so their addresses are not reused while compared), rule and
    /// numbers.
    tail_of: Option<TailKey>,
}

/// What makes two facts' provenance the same match.
struct TailKey {
    text: Arc<str>,
    mentions: Arc<[Mention]>,
    rule: Arc<str>,
    sentence: usize,
    start: usize,
    end: usize,
}

impl TailKey {
    fn new(provenance: &Provenance) -> Self {
        TailKey {
            text: provenance.text.clone(),
            mentions: provenance.mentions.clone(),
            rule: provenance.rule.clone(),
            sentence: provenance.sentence,
            start: provenance.start,
            end: provenance.end,
        }
    }

    fn is_of(&self, provenance: &Provenance) -> bool {
        Arc::ptr_eq(&self.text, &provenance.text)
            && Arc::ptr_eq(&self.mentions, &provenance.mentions)
            && Arc::ptr_eq(&self.rule, &provenance.rule)
            && (self.sentence, self.start, self.end)
                == (provenance.sentence, provenance.start, provenance.end)
    }
}

impl JsonLines {
    fn new(document: &NamedNode) -> Self {
        let mut escaped = Vec::with_capacity(document.as_str().len() + 2);
        json_string(&mut escaped, document.as_str()).expect("writing to memory");
        JsonLines {
            document: escaped,
            tail: Vec::new(),
            tail_of: None,
        }
    }

    fn write(&mut self, out: &mut impl Write, fact: &Fact) -> io::Result<()> {
        let provenance = &fact.provenance;
        out.write_all(b"{\"document\":")?;
        out.write_all(&self.document)?;
        out.write_all(b",\"subject\":")?;
        json_term(out, &JsonTerm::new(subject_ref(&fact.triple)))?;
        out.write_all(b",\"predicate\":")?;
        json_term(out, &JsonTerm::new(fact.triple.predicate.as_ref().into()))?;
        out.write_all(b",\"object\":")?;
        json_term(out, &JsonTerm::new(fact.triple.object.as_ref()))?;
        if !self
            .tail_of
            .as_ref()
            .is_some_and(|key| key.is_of(provenance))
        {
            self.tail.clear();
            write_provenance(&mut self.tail, provenance)?;
            self.tail_of = Some(TailKey::new(provenance));
        }
        out.write_all(&self.tail)
    }
}

/// A fact's provenance fields, the end of its JSON line.
fn write_provenance(out: &mut impl Write, provenance: &Provenance) -> io::Result<()> {
    number_field(out, b",\"sentence\":", provenance.sentence)?;
    number_field(out, b",\"start\":", provenance.start)?;
    number_field(out, b",\"end\":", provenance.end)?;
    string_field(out, b",\"rule\":", Some(&provenance.rule))?;
    string_field(out, b",\"text\":", Some(&provenance.text))?;
    out.write_all(b",\"mentions\":[")?;
    for (index, mention) in provenance.mentions.iter().enumerate() {
        let open: &[u8] = if index > 0 {
            b",{\"capture\":"
        } else {
            b"{\"capture\":"
        };
        string_field(out, open, Some(&mention.capture))?;
        string_field(out, b",\"type\":", mention.kind.as_deref())?;
        number_field(out, b",\"start\":", mention.start)?;
        number_field(out, b",\"end\":", mention.end)?;
        string_field(out, b",\"text\":", Some(&mention.text))?;
        string_field(
            out,
            b",\"iri\":",
            mention.iri.as_ref().map(NamedNode::as_str),
        )?;
        out.write_all(b"}")?;
    }
    out.write_all(b"]}\n")
}

/// The subject of `triple` as a term.
pub fn subject_ref(triple: &oxrdf::Triple) -> TermRef<'_> {
    match triple.subject.as_ref() {
        oxrdf::NamedOrBlankNodeRef::NamedNode(node) => node.into(),
        oxrdf::NamedOrBlankNodeRef::BlankNode(node) => node.into(),
    }
}

fn json_term(out: &mut impl Write, term: &JsonTerm<'_>) -> io::Result<()> {
    string_field(out, b"{\"type\":", Some(term.kind))?;
    string_field(out, b",\"value\":", Some(term.value))?;
    string_field(out, b",\"datatype\":", term.datatype)?;
    string_field(out, b",\"xml:lang\":", term.language)?;
    out.write_all(b"}")
}

/// `key` (written as it is: the punctuation before the value, too) and
/// `value` as a JSON string; nothing when there is no value.
fn string_field(out: &mut impl Write, key: &[u8], value: Option<&str>) -> io::Result<()> {
    let Some(value) = value else {
        return Ok(());
    };
    out.write_all(key)?;
    json_string(out, value)
}

fn number_field(out: &mut impl Write, key: &[u8], value: usize) -> io::Result<()> {
    out.write_all(key)?;
    out.write_all(itoa::Buffer::new().format(value).as_bytes())
}

/// `text` as a JSON string, as serde_json writes it. serde_json escapes only
/// `"`, `\` and control characters below U+0020, so a string without them
/// (nearly every IRI and matched text) is copied between quotes. The test
/// looks at every byte without stopping early, which the compiler turns
/// into vector instructions.
fn json_string(out: &mut impl Write, text: &str) -> io::Result<()> {
    let escapes = text.bytes().fold(false, |found, byte| {
        found | (byte < 0x20) | (byte == b'"') | (byte == b'\\')
    });
    if !escapes {
        out.write_all(b"\"")?;
        out.write_all(text.as_bytes())?;
        return out.write_all(b"\"");
    }
    serde_json::to_writer(out, text).map_err(io::Error::from)
}

/// A capture of the match, in a fact's JSON line (and `--mentions`).
#[derive(Serialize)]
pub struct JsonMention<'a> {
    capture: &'a str,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'a str>,
    start: usize,
    end: usize,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    iri: Option<&'a str>,
}

impl<'a> JsonMention<'a> {
    /// The JSON form of `mention`.
    pub fn new(mention: &'a crate::extract::Mention) -> Self {
        JsonMention {
            capture: &mention.capture,
            kind: mention.kind.as_deref(),
            start: mention.start,
            end: mention.end,
            text: &mention.text,
            iri: mention.iri.as_ref().map(NamedNode::as_str),
        }
    }
}

/// A term as the SPARQL 1.1 Query Results JSON Format describes it (also
/// what the Python package's `Term` holds).
#[derive(Serialize)]
pub struct JsonTerm<'a> {
    /// `uri`, `literal` or `bnode`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The IRI, the lexical form or the blank node's label.
    pub value: &'a str,
    /// A literal's datatype, unless it is `xsd:string` or language-tagged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datatype: Option<&'a str>,
    /// A literal's language tag.
    #[serde(rename = "xml:lang", skip_serializing_if = "Option::is_none")]
    pub language: Option<&'a str>,
}

impl<'a> JsonTerm<'a> {
    /// The description of `term`.
    pub fn new(term: TermRef<'a>) -> Self {
        let plain = |kind, value| JsonTerm {
            kind,
            value,
            datatype: None,
            language: None,
        };
        match term {
            TermRef::NamedNode(node) => plain("uri", node.as_str()),
            TermRef::BlankNode(node) => plain("bnode", node.as_str()),
            TermRef::Literal(literal) => JsonTerm {
                kind: "literal",
                value: literal.value(),
                language: literal.language(),
                datatype: (literal.language().is_none()
                    && literal.datatype() != oxrdf::vocab::xsd::STRING)
                    .then(|| literal.datatype().as_str()),
            },
            #[allow(unreachable_patterns)]
            _ => plain("triple", ""),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields of a JSON line, for serde to write.
    #[derive(Serialize)]
    struct JsonFact<'a> {
        document: &'a str,
        subject: JsonTerm<'a>,
        predicate: JsonTerm<'a>,
        object: JsonTerm<'a>,
        sentence: usize,
        start: usize,
        end: usize,
        rule: &'a str,
        text: &'a str,
        mentions: JsonMentions<'a>,
    }

    /// A match's mentions, written as a JSON array as they are (no list made
    /// for each fact).
    struct JsonMentions<'a>(&'a [crate::extract::Mention]);

    impl Serialize for JsonMentions<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_seq(self.0.iter().map(JsonMention::new))
        }
    }

    /// Writing a JSON line field by field gives what serde_json writes for
    /// the same fields, on the facts of the example rules and documents
    /// (IRIs, typed and language-tagged literals, mentions with and without
    /// a type and an IRI), and on text that needs escaping.
    #[test]
    fn json_lines_are_what_serde_writes() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut lines = 0;
        for (rules, documents) in [
            ("examples/zh/news.kgr", "examples/zh/docs"),
            ("examples/en/news.kgr", "examples/en/docs"),
        ] {
            let loaded =
                crate::rules::load(&root.join(rules), &crate::source::FileSystem).expect("rules");
            let extractor = crate::extract::Extractor::new(loaded.rule_set.expect("rule set"))
                .expect("compiles")
                .with_mentions(true);
            for entry in std::fs::read_dir(root.join(documents)).expect("examples") {
                let path = entry.expect("entry").path();
                if path.extension().is_none_or(|e| e != "txt") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("document") + "\u{1}\"\\\t\u{7f}";
                let document = crate::extract::Document::new("a \"b\"\\c.txt", text, None);
                let facts = extractor.extract(&document, &mut extractor.scratch()).facts;
                let mut ours = JsonLines::new(&document.iri);
                for fact in &facts {
                    let fields = JsonFact {
                        document: document.iri.as_str(),
                        subject: JsonTerm::new(subject_ref(&fact.triple)),
                        predicate: JsonTerm::new(fact.triple.predicate.as_ref().into()),
                        object: JsonTerm::new(fact.triple.object.as_ref()),
                        sentence: fact.provenance.sentence,
                        start: fact.provenance.start,
                        end: fact.provenance.end,
                        rule: &fact.provenance.rule,
                        text: &fact.provenance.text,
                        mentions: JsonMentions(&fact.provenance.mentions),
                    };
                    let mut written = Vec::new();
                    ours.write(&mut written, fact).expect("writes");
                    let expected = serde_json::to_string(&fields).expect("serialises") + "\n";
                    assert_eq!(String::from_utf8(written).expect("UTF-8"), expected);
                    lines += 1;
                }
            }
        }
        assert!(lines > 100, "only {lines} facts");
    }

    /// Strings copied between quotes and strings escaped come out as
    /// serde_json writes them: every ASCII character, alone and inside CJK.
    #[test]
    fn json_strings_are_what_serde_writes() {
        for byte in 0u8..0x80 {
            let c = char::from(byte);
            for text in [c.to_string(), format!("中{c}文"), format!("{c}{c}é")] {
                let mut ours = Vec::new();
                json_string(&mut ours, &text).expect("writes");
                assert_eq!(
                    String::from_utf8(ours).expect("UTF-8"),
                    serde_json::to_string(&text).expect("serialises"),
                    "{text:?}"
                );
            }
        }
    }
}
