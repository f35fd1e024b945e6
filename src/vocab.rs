//! Every IRI kgrep itself mints: its vocabulary, its graph names and the
//! shapes of document, sentence and match IRIs — in one place, as
//! `oxrdf::vocab` does for the W3C vocabularies, so no other module spells
//! `urn:kgrep:` by hand.

/// The namespace of kgrep's vocabulary (provenance, analytics).
pub const NS: &str = "urn:kgrep:vocab:";

/// The prefix of every document IRI: `urn:kgrep:doc:` + the percent-encoded path.
/// A document's IRI also names the graph that holds its provenance.
pub const DOCUMENT_PREFIX: &str = "urn:kgrep:doc:";

/// Between a document IRI and the local name of one of its matches
/// (`urn:kgrep:doc:a.txt#m3`) or sentences (`urn:kgrep:doc:a.txt#s2`).
pub const MATCH_MARK: &str = "#m";
/// See [`MATCH_MARK`].
pub const SENTENCE_MARK: &str = "#s";

/// The graph of kgrep's own bookkeeping: the rules' prefixes.
pub const META_GRAPH: &str = "urn:kgrep:meta";
/// The graph of materialised analytics (`kgrep graph rank --save`).
pub const ANALYTICS_GRAPH: &str = "urn:kgrep:analytics";
/// How a store was built (the rule files and the documents given to
/// `kgrep build`, as absolute paths), so the REPL's `.reload` can rebuild it.
pub const RECIPE_GRAPH: &str = "urn:kgrep:recipe";
/// The subject of the recipe's statements.
pub const RECIPE: &str = "urn:kgrep:recipe:build";

/// The support graph of triples added by `kgrep load` to the default graph:
/// they stay when documents that also state them are removed.
pub const LOADED_GRAPH: &str = "urn:kgrep:loaded";

/// Local names in [`NS`].
pub mod term {
    /// Class of documents (`<doc> a kgrep:Document`).
    pub const DOCUMENT: &str = "urn:kgrep:vocab:Document";
    /// A document's path as given to `build`.
    pub const PATH: &str = "urn:kgrep:vocab:path";
    /// SHA-256 of a document's text (hex).
    pub const SHA256: &str = "urn:kgrep:vocab:sha256";
    /// A match's sentence (a node), or a sentence's index in its document.
    pub const SENTENCE: &str = "urn:kgrep:vocab:sentence";
    /// A sentence's index in its document, from 0.
    pub const INDEX: &str = "urn:kgrep:vocab:index";
    /// First character (from 0) in the original text.
    pub const START: &str = "urn:kgrep:vocab:start";
    /// One past the last character in the original text.
    pub const END: &str = "urn:kgrep:vocab:end";
    /// The rule that made a match.
    pub const RULE: &str = "urn:kgrep:vocab:rule";
    /// The text of a match or a sentence, as in the original.
    pub const TEXT: &str = "urn:kgrep:vocab:text";
    /// A rule file of the build (recipe).
    pub const RULE_FILE: &str = "urn:kgrep:vocab:ruleFile";
    /// A document or directory given to the build (recipe).
    pub const INPUT: &str = "urn:kgrep:vocab:input";
    /// The `--year` of the build (recipe).
    pub const YEAR: &str = "urn:kgrep:vocab:year";
    /// PageRank of an entity (analytics).
    pub const PAGE_RANK: &str = "urn:kgrep:vocab:pageRank";
    /// Degree of an entity (analytics).
    pub const DEGREE: &str = "urn:kgrep:vocab:degree";
}

/// The SHACL terms the prefixes are saved with.
pub mod shacl {
    /// `sh:prefix`.
    pub const PREFIX: &str = "http://www.w3.org/ns/shacl#prefix";
    /// `sh:namespace`.
    pub const NAMESPACE: &str = "http://www.w3.org/ns/shacl#namespace";
}

/// Whether `iri` is a document IRI (not one of its matches or sentences).
pub fn is_document(iri: &str) -> bool {
    iri.starts_with(DOCUMENT_PREFIX) && !iri.contains('#')
}

/// Whether `iri` names the support graph of a match.
pub fn is_match(iri: &str) -> bool {
    iri.starts_with(DOCUMENT_PREFIX) && iri.contains(MATCH_MARK)
}

/// Whether a graph named `iri` supports facts of the default graph.
pub fn is_support_graph(iri: &str) -> bool {
    is_match(iri) || iri == LOADED_GRAPH
}

/// The IRI of match `index` of `document`.
pub fn match_iri(document: &str, index: usize) -> String {
    format!("{document}{MATCH_MARK}{index}")
}

/// The IRI of sentence `index` of `document`.
pub fn sentence_iri(document: &str, index: usize) -> String {
    format!("{document}{SENTENCE_MARK}{index}")
}

/// The document a match or sentence IRI belongs to.
pub fn document_of(iri: &str) -> &str {
    iri.split_once('#').map_or(iri, |(document, _)| document)
}

/// Appends a `/`-separated path, each segment percent-encoded, slashes kept
/// (as in document IRIs). A backslash is a character of a file name here,
/// not a separator, so `a\\b.txt` and `a/b.txt` get different IRIs.
pub fn encode_path(path: &str, out: &mut String) {
    for (index, segment) in path.split('/').enumerate() {
        if index > 0 {
            out.push('/');
        }
        crate::rules::encode_iri_segment(segment, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_and_sentence_iris_name_their_document() {
        let document = "urn:kgrep:doc:news/a.txt";
        let matched = match_iri(document, 3);
        assert!(is_match(&matched) && is_support_graph(&matched) && !is_document(&matched));
        assert_eq!(document_of(&matched), document);
        assert_eq!(document_of(&sentence_iri(document, 2)), document);
        assert!(is_document(document) && !is_match(document));
        assert!(is_support_graph(LOADED_GRAPH) && !is_support_graph(META_GRAPH));
    }
}
