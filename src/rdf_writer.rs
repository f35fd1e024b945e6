//! Turtle and JSON-LD written a node at a time, for people and for the
//! tools they use: each subject once with its properties sorted (`a` first),
//! a blank line between subjects, prefixed names only where they parse
//! ([`crate::prefixes`]), and compact JSON-LD with an `@context` built from
//! the prefixes. Written by hand because oxttl escapes `/` in local names and
//! keeps input order, and oxjsonld writes expanded IRIs; both stream, and the
//! N-Triples and N-Quads paths keep using them.

use std::io::{self, Write};

use oxrdf::vocab::{rdf, xsd};
use oxrdf::{NamedNode, NamedOrBlankNode, NamedOrBlankNodeRef, Term, TermRef, Triple};
use serde_json::{Map, Value, json};

use crate::prefixes::{compact_iri, is_prefix_name, sparql_iri};

/// The syntax a [`NodeWriter`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Turtle 1.1.
    Turtle,
    /// JSON-LD 1.1, compacted with the prefixes as its `@context`.
    JsonLd,
}

/// Writes nodes (a subject with its properties), and in JSON-LD named graphs.
pub struct NodeWriter<W: Write> {
    out: W,
    style: Style,
    prefixes: Vec<(String, String)>,
    nodes: usize,
    /// JSON-LD: the named graph being written, and how many nodes it has.
    graph: Option<(NamedOrBlankNode, usize)>,
}

impl<W: Write> NodeWriter<W> {
    /// Starts the output: Turtle `@prefix` lines, or JSON-LD's `@context`.
    pub fn new(mut out: W, style: Style, prefixes: &[(String, String)]) -> io::Result<Self> {
        let prefixes: Vec<(String, String)> = prefixes
            .iter()
            .filter(|(prefix, _)| is_prefix_name(prefix))
            .cloned()
            .collect();
        match style {
            Style::Turtle => {
                for (prefix, namespace) in &prefixes {
                    writeln!(out, "@prefix {prefix}: <{namespace}> .")?;
                }
            }
            Style::JsonLd => {
                let context: Map<String, Value> = prefixes
                    .iter()
                    .filter(|(prefix, _)| !prefix.is_empty())
                    .map(|(prefix, namespace)| (prefix.clone(), Value::from(namespace.as_str())))
                    .collect();
                write!(
                    out,
                    "{{\n  \"@context\": {},\n  \"@graph\": [",
                    Value::Object(context)
                )?;
            }
        }
        Ok(NodeWriter {
            out,
            style,
            prefixes,
            nodes: 0,
            graph: None,
        })
    }

    /// Writes `subject` with `properties` (sorted here), in the default graph
    /// or in `graph` (JSON-LD only: Turtle has no graphs).
    pub fn write_node(
        &mut self,
        graph: Option<NamedOrBlankNodeRef<'_>>,
        subject: NamedOrBlankNodeRef<'_>,
        properties: &mut [(NamedNode, Term)],
    ) -> io::Result<()> {
        properties.sort_by(|(p1, o1), (p2, o2)| {
            (p1.as_ref() != rdf::TYPE, p1.as_str(), o1.to_string()).cmp(&(
                p2.as_ref() != rdf::TYPE,
                p2.as_str(),
                o2.to_string(),
            ))
        });
        match self.style {
            Style::Turtle => {
                if graph.is_some() {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "Turtle holds one graph; write a dataset as TriG or N-Quads",
                    ));
                }
                self.turtle_node(subject, properties)
            }
            Style::JsonLd => {
                self.enter_graph(graph)?;
                let node = self.json_node(subject, properties);
                let (count, indent) = match &mut self.graph {
                    Some((_, count)) => (count, "      "),
                    None => (&mut self.nodes, "    "),
                };
                let comma = if *count == 0 { "" } else { "," };
                *count += 1;
                write!(self.out, "{comma}\n{indent}{node}")
            }
        }
    }

    /// Writes triples that come grouped by subject (as a store's index
    /// gives them), one node per run of equal subjects.
    pub fn write_grouped(
        &mut self,
        graph: Option<NamedOrBlankNodeRef<'_>>,
        triples: impl IntoIterator<Item = Triple>,
    ) -> io::Result<usize> {
        let mut count = 0;
        let mut current: Option<(NamedOrBlankNode, Vec<(NamedNode, Term)>)> = None;
        for triple in triples {
            count += 1;
            match &mut current {
                Some((subject, properties)) if *subject == triple.subject => {
                    properties.push((triple.predicate, triple.object));
                }
                _ => {
                    if let Some((subject, mut properties)) = current.take() {
                        self.write_node(graph, subject.as_ref(), &mut properties)?;
                    }
                    current = Some((triple.subject, vec![(triple.predicate, triple.object)]));
                }
            }
        }
        if let Some((subject, mut properties)) = current {
            self.write_node(graph, subject.as_ref(), &mut properties)?;
        }
        Ok(count)
    }

    /// Writes `triples` sorted by subject (all of them are held: for query
    /// results and one document's facts, not for a whole store).
    pub fn write_sorted(&mut self, triples: impl IntoIterator<Item = Triple>) -> io::Result<usize> {
        let mut triples: Vec<Triple> = triples.into_iter().collect();
        triples.sort_by_cached_key(|triple| triple.subject.to_string());
        self.write_grouped(None, triples)
    }

    /// Ends the output and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        if self.style == Style::JsonLd {
            self.enter_graph(None)?;
            let close = if self.nodes == 0 {
                "]\n}\n"
            } else {
                "\n  ]\n}\n"
            };
            self.out.write_all(close.as_bytes())?;
        }
        self.out.flush()?;
        Ok(self.out)
    }

    /// JSON-LD: closes the named graph being written and opens `graph`.
    fn enter_graph(&mut self, graph: Option<NamedOrBlankNodeRef<'_>>) -> io::Result<()> {
        if self.graph.as_ref().map(|(name, _)| name.as_ref()) == graph {
            return Ok(());
        }
        if self.graph.take().is_some() {
            write!(self.out, "\n    ]}}")?;
        }
        if let Some(graph) = graph {
            let comma = if self.nodes == 0 { "" } else { "," };
            self.nodes += 1;
            let id = self.json_id(graph);
            write!(
                self.out,
                "{comma}\n    {{\"@id\": {}, \"@graph\": [",
                json!(id)
            )?;
            self.graph = Some((graph.into_owned(), 0));
        }
        Ok(())
    }

    fn turtle_node(
        &mut self,
        subject: NamedOrBlankNodeRef<'_>,
        properties: &[(NamedNode, Term)],
    ) -> io::Result<()> {
        let mut text = String::new();
        text.push('\n');
        text.push_str(&self.turtle_term(subject.into()));
        let mut previous: Option<&NamedNode> = None;
        for (predicate, object) in properties {
            if previous == Some(predicate) {
                text.push_str(", ");
            } else {
                if previous.is_some() {
                    text.push_str(" ;\n   ");
                }
                text.push(' ');
                if predicate.as_ref() == rdf::TYPE {
                    text.push('a');
                } else {
                    text.push_str(&sparql_iri(predicate.as_str(), &self.prefixes));
                }
                text.push(' ');
            }
            text.push_str(&self.turtle_term(object.as_ref()));
            previous = Some(predicate);
        }
        text.push_str(" .\n");
        self.nodes += 1;
        self.out.write_all(text.as_bytes())
    }

    fn turtle_term(&self, term: TermRef<'_>) -> String {
        match term {
            TermRef::NamedNode(node) => sparql_iri(node.as_str(), &self.prefixes),
            TermRef::BlankNode(node) => node.to_string(),
            TermRef::Literal(literal) => {
                let value = literal.value();
                let datatype = literal.datatype();
                let bare = (datatype == xsd::INTEGER && is_integer(value))
                    || (datatype == xsd::DECIMAL && is_decimal(value))
                    || (datatype == xsd::BOOLEAN && matches!(value, "true" | "false"));
                if bare {
                    return value.to_owned();
                }
                let mut text = String::with_capacity(value.len() + 2);
                text.push('"');
                for c in value.chars() {
                    match c {
                        '"' => text.push_str("\\\""),
                        '\\' => text.push_str("\\\\"),
                        '\n' => text.push_str("\\n"),
                        '\r' => text.push_str("\\r"),
                        '\t' => text.push_str("\\t"),
                        c if c.is_control() => text.push_str(&format!("\\u{:04X}", c as u32)),
                        c => text.push(c),
                    }
                }
                text.push('"');
                if let Some(language) = literal.language() {
                    text.push('@');
                    text.push_str(language);
                } else if datatype != xsd::STRING {
                    text.push_str("^^");
                    text.push_str(&sparql_iri(datatype.as_str(), &self.prefixes));
                }
                text
            }
            #[allow(unreachable_patterns)]
            other => other.to_string(),
        }
    }

    fn json_id(&self, node: NamedOrBlankNodeRef<'_>) -> String {
        match node {
            NamedOrBlankNodeRef::NamedNode(node) => self.json_iri(node.as_str()),
            NamedOrBlankNodeRef::BlankNode(node) => node.to_string(),
        }
    }

    fn json_iri(&self, iri: &str) -> String {
        compact_iri(iri, &self.prefixes).unwrap_or_else(|| iri.to_owned())
    }

    fn json_node(
        &self,
        subject: NamedOrBlankNodeRef<'_>,
        properties: &[(NamedNode, Term)],
    ) -> Value {
        let mut node = Map::new();
        node.insert("@id".into(), self.json_id(subject).into());
        for (predicate, object) in properties {
            let (key, value) = match object {
                Term::NamedNode(class) if predicate.as_ref() == rdf::TYPE => {
                    ("@type".to_owned(), self.json_iri(class.as_str()).into())
                }
                Term::BlankNode(class) if predicate.as_ref() == rdf::TYPE => {
                    ("@type".to_owned(), class.to_string().into())
                }
                object => (self.json_iri(predicate.as_str()), self.json_value(object)),
            };
            match node.entry(key).or_insert_with(|| Value::Array(Vec::new())) {
                Value::Array(values) => values.push(value),
                _ => unreachable!("every property holds an array"),
            }
        }
        Value::Object(node)
    }

    fn json_value(&self, term: &Term) -> Value {
        match term {
            Term::NamedNode(node) => json!({"@id": self.json_iri(node.as_str())}),
            Term::BlankNode(node) => json!({"@id": node.to_string()}),
            Term::Literal(literal) => match literal.language() {
                Some(language) => json!({"@value": literal.value(), "@language": language}),
                None if literal.datatype() == xsd::STRING => json!({"@value": literal.value()}),
                None => json!({
                    "@value": literal.value(),
                    "@type": self.json_iri(literal.datatype().as_str()),
                }),
            },
            #[allow(unreachable_patterns)]
            other => Value::from(other.to_string()),
        }
    }
}

/// Turtle's `INTEGER`.
fn is_integer(value: &str) -> bool {
    let digits = value.strip_prefix(['+', '-']).unwrap_or(value);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Turtle's `DECIMAL`.
fn is_decimal(value: &str) -> bool {
    let unsigned = value.strip_prefix(['+', '-']).unwrap_or(value);
    unsigned.split_once('.').is_some_and(|(whole, fraction)| {
        whole.bytes().all(|b| b.is_ascii_digit())
            && !fraction.is_empty()
            && fraction.bytes().all(|b| b.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxrdf::Literal;

    fn sample() -> Vec<Triple> {
        let ns = "http://kgrep.example/zh/";
        let node = |local: &str| NamedNode::new_unchecked(format!("{ns}{local}"));
        vec![
            Triple::new(
                node("team/辽宁医疗队"),
                node("deployedTo"),
                node("hospital/雷神山医院"),
            ),
            Triple::new(
                node("hospital/雷神山医院"),
                node("wardCount"),
                Literal::from(32),
            ),
            Triple::new(
                node("team/辽宁医疗队"),
                rdf::TYPE.into_owned(),
                node("Team"),
            ),
            Triple::new(
                node("team/辽宁医疗队"),
                NamedNode::new_unchecked("http://www.w3.org/2000/01/rdf-schema#label"),
                Literal::new_language_tagged_literal_unchecked("辽宁\"医疗队\"", "zh"),
            ),
        ]
    }

    fn prefixes() -> Vec<(String, String)> {
        [
            ("ex", "http://kgrep.example/zh/"),
            ("team", "http://kgrep.example/zh/team/"),
            ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
        ]
        .iter()
        .map(|(p, n)| (p.to_string(), n.to_string()))
        .collect()
    }

    fn write(style: Style) -> String {
        let mut writer = NodeWriter::new(Vec::new(), style, &prefixes()).unwrap();
        assert_eq!(writer.write_sorted(sample()).unwrap(), 4);
        String::from_utf8(writer.finish().unwrap()).unwrap()
    }

    #[test]
    fn turtle_groups_sorts_and_parses_back() {
        let text = write(Style::Turtle);
        assert!(
            text.contains(
                "\nteam:辽宁医疗队 a ex:Team ;\n    ex:deployedTo <http://kgrep.example/zh/hospital/雷神山医院> ;\n    rdfs:label \"辽宁\\\"医疗队\\\"\"@zh .\n"
            ),
            "{text}"
        );
        assert!(text.contains("ex:wardCount 32 .\n\nteam:"), "{text}");
        let parsed: Vec<_> = oxttl::TurtleParser::new()
            .for_reader(text.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
        let mut expected = sample();
        expected.sort_by_key(|t| t.to_string());
        let mut parsed: Vec<Triple> = parsed;
        parsed.sort_by_key(|t| t.to_string());
        assert_eq!(parsed, expected);
    }

    #[test]
    fn json_ld_is_compact_and_valid_json() {
        let text = write(Style::JsonLd);
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["@context"]["team"], "http://kgrep.example/zh/team/");
        let team = &value["@graph"][1];
        assert_eq!(team["@id"], "team:辽宁医疗队");
        assert_eq!(team["@type"][0], "ex:Team");
        assert_eq!(team["ex:deployedTo"][0]["@id"], "ex:hospital/雷神山医院");
    }
}
