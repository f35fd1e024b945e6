//! Content negotiation (RFC 9110 §12.5.1): the `Accept` header's media
//! ranges by quality, matched against the formats that can hold the results
//! (W3C result formats for SELECT and ASK, RDF formats for CONSTRUCT and
//! DESCRIBE); a `format` parameter (`json`, `csv`, `ttl` …) wins.

use oxigraph::io::RdfFormat;
use oxigraph::sparql::results::QueryResultsFormat;

use crate::ui::results::ResultFormat;

/// The format of a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Solutions or a boolean.
    Results(QueryResultsFormat),
    /// Triples.
    Graph(RdfFormat),
}

impl Answer {
    /// How `ui::results` writes it.
    pub fn format(self) -> ResultFormat {
        match self {
            Answer::Results(QueryResultsFormat::Xml) => ResultFormat::Xml,
            Answer::Results(QueryResultsFormat::Csv) => ResultFormat::Csv,
            Answer::Results(QueryResultsFormat::Tsv) => ResultFormat::Tsv,
            Answer::Results(_) => ResultFormat::Json,
            Answer::Graph(RdfFormat::NTriples) => ResultFormat::Ntriples,
            Answer::Graph(RdfFormat::RdfXml) => ResultFormat::Rdfxml,
            Answer::Graph(RdfFormat::JsonLd { .. }) => ResultFormat::Jsonld,
            Answer::Graph(_) => ResultFormat::Turtle,
        }
    }

    /// The `Content-Type` of the response.
    pub fn media_type(self) -> &'static str {
        match self {
            Answer::Results(QueryResultsFormat::Json) => "application/sparql-results+json",
            Answer::Results(QueryResultsFormat::Xml) => "application/sparql-results+xml",
            Answer::Results(QueryResultsFormat::Csv) => "text/csv; charset=utf-8",
            Answer::Results(QueryResultsFormat::Tsv) => "text/tab-separated-values; charset=utf-8",
            Answer::Graph(RdfFormat::NTriples) => "application/n-triples",
            Answer::Graph(RdfFormat::RdfXml) => "application/rdf+xml",
            Answer::Graph(RdfFormat::JsonLd { .. }) => "application/ld+json",
            Answer::Graph(_) => "text/turtle; charset=utf-8",
            #[allow(unreachable_patterns)]
            Answer::Results(_) => "application/sparql-results+json",
        }
    }
}

/// The formats a response can take, by media type, the first the default.
fn candidates(graph: bool) -> Vec<(&'static str, &'static str, Answer)> {
    if graph {
        vec![
            ("text/turtle", "ttl", Answer::Graph(RdfFormat::Turtle)),
            (
                "application/n-triples",
                "nt",
                Answer::Graph(RdfFormat::NTriples),
            ),
            (
                "application/ld+json",
                "jsonld",
                Answer::Graph(RdfFormat::JsonLd {
                    profile: Default::default(),
                }),
            ),
            (
                "application/rdf+xml",
                "rdf",
                Answer::Graph(RdfFormat::RdfXml),
            ),
            ("text/plain", "nt", Answer::Graph(RdfFormat::NTriples)),
        ]
    } else {
        vec![
            (
                "application/sparql-results+json",
                "json",
                Answer::Results(QueryResultsFormat::Json),
            ),
            (
                "application/sparql-results+xml",
                "xml",
                Answer::Results(QueryResultsFormat::Xml),
            ),
            ("text/csv", "csv", Answer::Results(QueryResultsFormat::Csv)),
            (
                "text/tab-separated-values",
                "tsv",
                Answer::Results(QueryResultsFormat::Tsv),
            ),
            (
                "application/json",
                "json",
                Answer::Results(QueryResultsFormat::Json),
            ),
            (
                "application/xml",
                "xml",
                Answer::Results(QueryResultsFormat::Xml),
            ),
            (
                "text/plain",
                "tsv",
                Answer::Results(QueryResultsFormat::Tsv),
            ),
        ]
    }
}

/// The best format for `accept` (or the `format` parameter), if any fits.
pub fn negotiate(accept: &str, format: Option<&str>, graph: bool) -> Option<Answer> {
    let candidates = candidates(graph);
    // The parameter (as SPARQLWrapper, Virtuoso and Fuseki spell it); an
    // unknown one leaves the choice to `Accept`.
    let short = format.map(|format| match format.to_ascii_lowercase().as_str() {
        "turtle" | "text/turtle" => "ttl".to_owned(),
        "ntriples" | "n-triples" => "nt".to_owned(),
        "json-ld" | "ld+json" => "jsonld".to_owned(),
        "rdfxml" | "rdf+xml" | "xml" if graph => "rdf".to_owned(),
        other => other.to_owned(),
    });
    if let Some(found) = short.and_then(|short| {
        candidates
            .iter()
            .find(|(media, name, _)| *name == short || *media == short)
    }) {
        return Some(found.2);
    }
    let mut ranges: Vec<(f32, usize, &str)> = accept
        .split(',')
        .enumerate()
        .filter_map(|(index, range)| {
            let mut parts = range.split(';');
            let media = parts.next()?.trim();
            let quality = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (quality > 0.0 && !media.is_empty()).then_some((quality, index, media))
        })
        .collect();
    if ranges.is_empty() {
        return Some(candidates[0].2);
    }
    // Highest quality first; more specific ranges before wildcards; then order.
    ranges.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| a.2.contains('*').cmp(&b.2.contains('*')))
            .then(a.1.cmp(&b.1))
    });
    for (_, _, range) in ranges {
        let range = range.to_ascii_lowercase();
        let found = match range.as_str() {
            "*/*" => Some(&candidates[0]),
            _ => match range.strip_suffix("/*") {
                Some(kind) => candidates
                    .iter()
                    .find(|(media, _, _)| media.split('/').next() == Some(kind)),
                None => candidates.iter().find(|(media, _, _)| *media == range),
            },
        };
        if let Some((_, _, answer)) = found {
            return Some(*answer);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_headers_pick_by_quality_then_specificity() {
        let results = |accept| negotiate(accept, None, false).map(Answer::media_type);
        assert_eq!(results("*/*"), Some("application/sparql-results+json"));
        assert_eq!(
            results("text/csv;q=0.5, application/sparql-results+xml"),
            Some("application/sparql-results+xml")
        );
        assert_eq!(
            results("application/sparql-results+json;q=0.8, text/*"),
            Some("text/csv; charset=utf-8")
        );
        assert_eq!(results("image/png"), None);
        let graph = |accept| negotiate(accept, None, true).map(Answer::media_type);
        assert_eq!(
            graph("application/n-triples, */*;q=0.1"),
            Some("application/n-triples")
        );
        assert_eq!(
            graph("text/html, */*;q=0.8"),
            Some("text/turtle; charset=utf-8")
        );
        assert_eq!(
            negotiate("*/*", Some("tsv"), false).map(Answer::media_type),
            Some("text/tab-separated-values; charset=utf-8")
        );
        assert_eq!(
            negotiate("text/turtle", Some("turtle"), true).map(Answer::media_type),
            Some("text/turtle; charset=utf-8")
        );
        assert_eq!(
            negotiate("text/csv", Some("nonsense"), false).map(Answer::media_type),
            Some("text/csv; charset=utf-8")
        );
    }
}
