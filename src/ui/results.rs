//! Printing SPARQL results: tables for people (IRIs shortened with known
//! prefixes, columns aligned by terminal width so Chinese lines up), the W3C
//! result formats for machines, any RDF format for CONSTRUCT and DESCRIBE.
//! Shared by `kgrep query` and the REPL.

use std::io::Write;

use anyhow::{Context, Result, anyhow};
use clap::ValueEnum;
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::{Term, Variable};
use oxigraph::sparql::QueryResults;
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};

use super::rules::shorten;
use super::table::{Layout, write_table};
use kgrep::diagnostic::Diagnostic;
use kgrep::rdf_writer::{NodeWriter, Style};
use kgrep::source::SourceMap;
use kgrep::span::Span;

/// How query results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ResultFormat {
    /// A table for people.
    Table,
    /// SPARQL 1.1 Query Results CSV.
    Csv,
    /// SPARQL 1.1 Query Results TSV.
    Tsv,
    /// SPARQL 1.1 Query Results JSON.
    Json,
    /// SPARQL Query Results XML.
    Xml,
    /// Turtle (CONSTRUCT and DESCRIBE).
    Turtle,
    /// N-Triples (CONSTRUCT and DESCRIBE).
    Ntriples,
    /// RDF/XML (CONSTRUCT and DESCRIBE).
    Rdfxml,
    /// JSON-LD (CONSTRUCT and DESCRIBE).
    Jsonld,
}

/// How results are printed for people, and what the query said.
#[derive(Clone, Debug, Default)]
pub struct PrintOptions<'a> {
    /// The table's layout (width, expanded, headers; headers also for CSV and TSV).
    pub layout: Layout,
    /// At most this many rows in a table.
    pub max_rows: Option<usize>,
    /// How to see the rows a table leaves out ("see .maxrows").
    pub more_hint: &'static str,
    /// The query's text: `SELECT *` columns come in its order.
    pub query: &'a str,
}

/// Writes `results` in `format`; returns how many rows (or triples) were
/// written. The output always ends with a line break (JSON and XML results,
/// and ASK in CSV and TSV, have none of their own), so results run together
/// in no shell.
pub fn write_results(
    results: QueryResults<'_>,
    format: ResultFormat,
    prefixes: &[(String, String)],
    options: &PrintOptions<'_>,
    out: &mut dyn Write,
) -> Result<usize> {
    let mut skip = SkipFirstLine {
        inner: out,
        skipping: !options.layout.headers
            && matches!(format, ResultFormat::Csv | ResultFormat::Tsv)
            && matches!(results, QueryResults::Solutions(_)),
    };
    let mut tracked = EndsWithNewline {
        inner: &mut skip,
        last: b'\n',
        written: false,
    };
    let count = write_unterminated(results, format, prefixes, options, &mut tracked)?;
    if tracked.written && tracked.last != b'\n' {
        tracked.inner.write_all(b"\n")?;
    }
    Ok(count)
}

/// A writer that remembers the last byte written.
struct EndsWithNewline<'a> {
    inner: &'a mut dyn Write,
    last: u8,
    written: bool,
}

impl Write for EndsWithNewline<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(bytes)?;
        if written > 0 {
            self.last = bytes[written - 1];
            self.written = true;
        }
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A writer that drops everything up to the first line break (the header
/// row of CSV and TSV, when headers are off).
struct SkipFirstLine<'a> {
    inner: &'a mut dyn Write,
    skipping: bool,
}

impl Write for SkipFirstLine<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if !self.skipping {
            return self.inner.write(bytes);
        }
        if let Some(at) = bytes.iter().position(|b| *b == b'\n') {
            self.skipping = false;
            self.inner.write_all(&bytes[at + 1..])?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn write_unterminated(
    results: QueryResults<'_>,
    format: ResultFormat,
    prefixes: &[(String, String)],
    options: &PrintOptions<'_>,
    out: &mut dyn Write,
) -> Result<usize> {
    let max_rows = options.max_rows;
    match results {
        QueryResults::Boolean(value) => match format {
            ResultFormat::Table => {
                writeln!(out, "{value}")?;
                Ok(1)
            }
            other => {
                let serializer = QueryResultsSerializer::from_format(result_format(other)?);
                serializer.serialize_boolean_to_writer(&mut *out, value)?;
                Ok(1)
            }
        },
        QueryResults::Solutions(solutions) => {
            let variables = star_order(options.query, solutions.variables());
            if format == ResultFormat::Table {
                let mut rows = Vec::new();
                let mut total = 0;
                for solution in solutions {
                    let solution = solution?;
                    total += 1;
                    if max_rows.is_none_or(|max| rows.len() < max) {
                        rows.push(
                            variables
                                .iter()
                                .map(|v| {
                                    solution.get(v).map_or(String::new(), |t| show(t, prefixes))
                                })
                                .collect(),
                        );
                    }
                }
                let headers: Vec<String> =
                    variables.iter().map(|v| v.as_str().to_owned()).collect();
                write_table(out, &headers, &rows, &options.layout)?;
                if total > rows.len() {
                    writeln!(
                        out,
                        "({} more rows not shown; {})",
                        total - rows.len(),
                        options.more_hint
                    )?;
                }
                return Ok(total);
            }
            let serializer = QueryResultsSerializer::from_format(result_format(format)?);
            let mut writer = serializer.serialize_solutions_to_writer(&mut *out, variables)?;
            let mut count = 0;
            for solution in solutions {
                writer.serialize(&solution?)?;
                count += 1;
            }
            writer.finish()?;
            Ok(count)
        }
        QueryResults::Graph(triples) => {
            let style = match format {
                ResultFormat::Table | ResultFormat::Turtle => Some(Style::Turtle),
                ResultFormat::Jsonld => Some(Style::JsonLd),
                _ => None,
            };
            if let Some(style) = style {
                // Grouped by subject and sorted: the triples are held.
                let triples = triples.collect::<Result<Vec<_>, _>>()?;
                let mut writer = NodeWriter::new(&mut *out, style, prefixes)?;
                let count = writer.write_sorted(triples)?;
                writer.finish()?;
                return Ok(count);
            }
            let rdf = match format {
                ResultFormat::Ntriples => RdfFormat::NTriples,
                ResultFormat::Rdfxml => RdfFormat::RdfXml,
                other => {
                    return Err(anyhow!(
                        "{other:?} is a format for SELECT and ASK; CONSTRUCT and DESCRIBE give RDF: use turtle, ntriples, rdfxml or jsonld"
                    ));
                }
            };
            let mut serializer = RdfSerializer::from_format(rdf);
            for (prefix, iri) in prefixes {
                serializer = serializer.with_prefix(prefix.as_str(), iri.as_str())?;
            }
            let mut writer = serializer.for_writer(&mut *out);
            let mut count = 0;
            for triple in triples {
                writer.serialize_triple(&triple?)?;
                count += 1;
            }
            writer.finish()?;
            Ok(count)
        }
    }
}

/// The columns of `SELECT *` in the order the query first names them
/// (Oxigraph sorts them); any other projection keeps its own order.
pub fn star_order(query: &str, variables: &[Variable]) -> Vec<Variable> {
    let upper = query.to_ascii_uppercase();
    let star = upper.find("SELECT").is_some_and(|at| {
        let rest = upper[at + 6..].trim_start();
        let rest = rest
            .strip_prefix("DISTINCT")
            .or_else(|| rest.strip_prefix("REDUCED"))
            .unwrap_or(rest);
        rest.trim_start().starts_with('*')
    });
    if !star {
        return variables.to_vec();
    }
    let mut named: Vec<&str> = Vec::new();
    let chars: Vec<(usize, char)> = query.char_indices().collect();
    let (mut in_string, mut in_iri, mut in_comment) = (None::<char>, false, false);
    for (index, &(at, c)) in chars.iter().enumerate() {
        match c {
            '\n' => in_comment = false,
            _ if in_comment => {}
            c if in_string == Some(c) => in_string = None,
            _ if in_string.is_some() => {}
            '"' | '\'' => in_string = Some(c),
            '#' if !in_iri => in_comment = true,
            '<' if chars
                .get(index + 1)
                .is_some_and(|(_, n)| !n.is_whitespace() && *n != '=') =>
            {
                in_iri = true
            }
            '>' => in_iri = false,
            '?' | '$' if !in_iri => {
                let name: String = query[at + 1..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && !named.contains(&name.as_str()) {
                    named.push(&query[at + 1..at + 1 + name.len()]);
                }
            }
            _ => {}
        }
    }
    let mut ordered: Vec<Variable> = named
        .iter()
        .filter_map(|name| variables.iter().find(|v| v.as_str() == *name).cloned())
        .collect();
    for variable in variables {
        if !ordered.contains(variable) {
            ordered.push(variable.clone());
        }
    }
    ordered
}

fn result_format(format: ResultFormat) -> Result<QueryResultsFormat> {
    Ok(match format {
        ResultFormat::Csv => QueryResultsFormat::Csv,
        ResultFormat::Tsv => QueryResultsFormat::Tsv,
        ResultFormat::Json => QueryResultsFormat::Json,
        ResultFormat::Xml => QueryResultsFormat::Xml,
        other => {
            return Err(anyhow!(
                "{other:?} is an RDF format, for CONSTRUCT and DESCRIBE; SELECT and ASK give csv, tsv, json or xml"
            ));
        }
    })
}

/// A term as a person reads it: IRIs shortened, plain strings without quotes.
pub fn show(term: &Term, prefixes: &[(String, String)]) -> String {
    match term {
        Term::Literal(literal)
            if literal.language().is_none()
                && literal.datatype() == oxigraph::model::vocab::xsd::STRING =>
        {
            literal.value().to_owned()
        }
        Term::Literal(literal)
            if literal.language().is_none() && is_number(literal.datatype().as_str()) =>
        {
            literal.value().to_owned()
        }
        other => shorten(&other.to_string(), prefixes),
    }
}

fn is_number(datatype: &str) -> bool {
    matches!(
        datatype,
        "http://www.w3.org/2001/XMLSchema#integer"
            | "http://www.w3.org/2001/XMLSchema#decimal"
            | "http://www.w3.org/2001/XMLSchema#double"
    )
}

/// A SPARQL syntax error as a diagnostic pointing into the query text.
pub fn syntax_diagnostic(
    query: &str,
    name: &str,
    error: &dyn std::fmt::Display,
) -> (Diagnostic, SourceMap) {
    syntax_diagnostic_at(query, name, 1, error)
}

/// [`syntax_diagnostic`] for a statement that starts on line `first_line`
/// of the file `name` (a script): the location is the file's line.
pub fn syntax_diagnostic_at(
    query: &str,
    name: &str,
    first_line: usize,
    error: &dyn std::fmt::Display,
) -> (Diagnostic, SourceMap) {
    let message = error.to_string();
    let mut sources = SourceMap::new();
    let padding = "\n".repeat(first_line.saturating_sub(1));
    let file = sources.add(name, name, format!("{padding}{query}"));
    let at = location(&message).map_or(0, |(line, column)| byte_offset(query, line, column));
    let end = query[at..].chars().next().map_or(at, |c| at + c.len_utf8());
    let (offset, end) = (padding.len() + at, padding.len() + end);
    let mut text = message
        .split_once(": ")
        .map_or(message.as_str(), |(_, rest)| rest)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned();
    let expects = |token: &str| text.contains(&format!("\"{token}\""));
    let mut hint = None;
    let found = query[at..].split_whitespace().next();
    if text.starts_with("expected") && expects("?") && expects("<") && expects("(") {
        // peg lists every token that could start a term; say it in words.
        let found = found.map_or_else(|| "the end".to_owned(), |word| format!("`{word}`"));
        text = format!(
            "expected a term here (a variable, an IRI, a prefixed name or a literal), found {found}"
        );
    } else if text.starts_with("expected")
        && (text.contains('[') || text.matches(", ").count() >= 6)
    {
        // A long list, or peg's character classes: name what was found, and
        // the keywords that could come instead as a hint.
        let words: Vec<&str> = text
            .trim_start_matches("expected one of ")
            .split(", ")
            .filter(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
            .take(8)
            .collect();
        if !words.is_empty() {
            hint = Some(format!("what may come here includes {}", words.join(", ")));
        }
        text = match found {
            Some(word) => format!("`{word}` is not expected here"),
            None => "the statement ends before it is complete (something is missing before here)"
                .to_owned(),
        };
    }
    let diagnostic = Diagnostic::error("sparql-syntax", file, Span::new(offset, end), text);
    let diagnostic = match hint {
        Some(hint) => diagnostic.with_hint(hint),
        None => diagnostic,
    };
    (diagnostic, sources)
}
/// The SPARQL keywords a statement can start with.
pub const LEADING_KEYWORDS: &[&str] = &[
    "SELECT",
    "CONSTRUCT",
    "ASK",
    "DESCRIBE",
    "PREFIX",
    "BASE",
    "INSERT",
    "DELETE",
    "WITH",
    "LOAD",
    "CLEAR",
    "DROP",
    "CREATE",
    "ADD",
    "MOVE",
    "COPY",
];

/// Hints in words for the SPARQL mistakes people make most: an undeclared
/// prefix (the known ones are listed), a misspelt first keyword, and an
/// update run as a query (`as_query`: the command runs queries only).
pub fn sparql_hints(
    diagnostic: Diagnostic,
    query: &str,
    message: &str,
    prefixes: &[(String, String)],
    as_query: bool,
    first_line: usize,
) -> Diagnostic {
    let mut diagnostic = diagnostic;
    if as_query
        && oxigraph::sparql::SparqlEvaluator::new()
            .parse_update(query)
            .is_ok()
    {
        diagnostic.message = format!("`{}` is an update, not a query", first_word(query));
        point_at(&mut diagnostic, query, first_word(query), first_line);
        return diagnostic.with_hint("it changes the store: run it with `kgrep query --update`");
    }
    let first = first_word(query).to_ascii_uppercase();
    if !first.is_empty()
        && first.chars().all(|c| c.is_ascii_alphabetic())
        && !LEADING_KEYWORDS.contains(&first.as_str())
    {
        if let Some(near) =
            kgrep::diagnostic::did_you_mean(&first, LEADING_KEYWORDS.iter().copied())
        {
            diagnostic.message = format!("`{}` is not a SPARQL keyword", first_word(query));
            point_at(&mut diagnostic, query, first_word(query), first_line);
            diagnostic = diagnostic.with_hint(format!("did you mean `{near}`?"));
        }
        return diagnostic;
    }
    if message.contains("Prefix not found") {
        let known: Vec<&str> = prefixes.iter().map(|(p, _)| p.as_str()).collect();
        let undeclared = undeclared_prefix(query, &known);
        let known = known
            .iter()
            .map(|p| format!("{p}:"))
            .collect::<Vec<_>>()
            .join(" ");
        if let Some(prefix) = &undeclared {
            diagnostic.message = format!("unknown prefix `{prefix}:`");
            point_at(&mut diagnostic, query, &format!("{prefix}:"), first_line);
        }
        diagnostic = diagnostic.with_hint(match undeclared {
            Some(prefix) => format!(
                "`{prefix}:` is not declared; declare it with `PREFIX {prefix}: <…>`, or use one of: {known}"
            ),
            None => format!("the prefixes known here: {known}"),
        });
    }
    diagnostic
}

/// Points `diagnostic` at the first occurrence of `word` in `query` (which
/// starts on the diagnostic's line `first_line`: see [`syntax_diagnostic_at`]).
fn point_at(diagnostic: &mut Diagnostic, query: &str, word: &str, first_line: usize) {
    if let Some(start) = query.find(word) {
        let start = start + first_line.saturating_sub(1);
        diagnostic.primary.span = Span::new(start, start + word.len());
    }
}

/// The first word of a statement, comments skipped.
fn first_word(query: &str) -> &str {
    query
        .lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .flat_map(str::split_whitespace)
        .next()
        .unwrap_or("")
}

/// The first `p:` of `query` (outside IRIs, strings and comments) whose
/// prefix is not in `known` and not declared in the query.
fn undeclared_prefix(query: &str, known: &[&str]) -> Option<String> {
    let declared: Vec<String> = query
        .to_ascii_lowercase()
        .match_indices("prefix")
        .filter_map(|(at, _)| {
            let rest = query[at + 6..].trim_start();
            rest.split_once(':').map(|(name, _)| name.trim().to_owned())
        })
        .collect();
    let mut word = String::new();
    let (mut in_iri, mut in_string) = (false, None::<char>);
    for c in query.chars() {
        match (c, in_string) {
            (_, Some(quote)) => {
                if c == quote {
                    in_string = None;
                }
            }
            ('"' | '\'', None) => in_string = Some(c),
            ('<', None) => in_iri = true,
            ('>', None) => in_iri = false,
            (':', None) if !in_iri => {
                let prefix = std::mem::take(&mut word);
                if !prefix.is_empty()
                    && !known.contains(&prefix.as_str())
                    && !declared.contains(&prefix)
                    && prefix.chars().next().is_some_and(char::is_alphabetic)
                {
                    return Some(prefix);
                }
            }
            (c, None) if !in_iri && (c.is_alphanumeric() || c == '_' || c == '-') => word.push(c),
            _ => word.clear(),
        }
    }
    None
}

/// `L:C` in a peg error message ("error at 3:14: expected ...").
fn location(message: &str) -> Option<(usize, usize)> {
    let at = message.find("at ")?;
    let rest = &message[at + 3..];
    let (line, rest) = rest.split_once(':')?;
    let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((line.trim().parse().ok()?, column.parse().ok()?))
}

fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (index, content) in text.split_inclusive('\n').enumerate() {
        if index + 1 == line {
            return offset
                + content
                    .char_indices()
                    .nth(column.saturating_sub(1))
                    .map_or(content.trim_end_matches('\n').len(), |(i, _)| i);
        }
        offset += content.len();
    }
    text.len()
}

/// Reads a query from a file (`-` for standard input).
pub fn read_query_file(path: &std::path::Path) -> Result<String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .context("cannot read standard input")?;
        return Ok(text);
    }
    std::fs::read_to_string(path).with_context(|| format!("cannot read `{}`", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_point_at_their_place() {
        assert_eq!(location("error at 2:7: expected one of"), Some((2, 7)));
        assert_eq!(byte_offset("SELECT\nWHERE {", 2, 7), 13);
    }
}
