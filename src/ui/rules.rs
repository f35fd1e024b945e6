//! Loading rule files for the commands that run them: diagnostics are shown,
//! errors stop the command, warnings do not.

use std::path::PathBuf;

use anyhow::{Result, bail};

use super::Output;
use kgrep::diagnostic::Severity;
use kgrep::extract::Extractor;
use kgrep::rules;
use kgrep::source::{FileSystem, SourceMap};

/// Loads and compiles `paths` as one rule set, printing its diagnostics.
/// Errors in the rules end the command (exit status 1).
pub fn load_rules(
    paths: &[PathBuf],
    output: &Output,
    quiet: bool,
) -> Result<(Extractor, SourceMap)> {
    let loaded = rules::load_all(paths, &FileSystem)?;
    let shown = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error || !quiet);
    show_diagnostics(output, shown, &loaded.sources, MAX_DIAGNOSTICS);
    let Some(rule_set) = loaded.rule_set else {
        let errors = loaded.count(Severity::Error);
        bail!(RulesHaveErrors(errors));
    };
    Ok((Extractor::new(rule_set)?, loaded.sources))
}

/// How many diagnostics a command shows by default (`kgrep check
/// --max-diagnostics` changes it): a file of broken rules gives a screenful
/// and a count, not 95,000 reports.
pub const MAX_DIAGNOSTICS: usize = 50;

/// Shows the first `limit` of `diagnostics` (all when `limit` is 0), then
/// how many more there are.
pub fn show_diagnostics<'a>(
    output: &Output,
    diagnostics: impl Iterator<Item = &'a kgrep::diagnostic::Diagnostic>,
    sources: &SourceMap,
    limit: usize,
) {
    let mut hidden = 0;
    for (index, diagnostic) in diagnostics.enumerate() {
        if limit == 0 || index < limit {
            output.diagnostic(diagnostic, sources);
        } else {
            hidden += 1;
        }
    }
    if hidden > 0 {
        output.note(&format!(
            "{hidden} more diagnostic{} not shown (`kgrep check --max-diagnostics 0` shows them all)",
            if hidden == 1 { "" } else { "s" }
        ));
    }
}

/// The rule files have errors (already shown); the command exits with 1.
#[derive(Debug, thiserror::Error)]
#[error("the rules have {0} error(s); nothing was run")]
pub struct RulesHaveErrors(pub usize);

/// Shortens an IRI (or a literal's datatype) with the rule set's prefixes,
/// for people: a prefixed name only where SPARQL accepts it, so what a
/// table or a test report shows can be pasted into a query.
pub fn shorten(term: &str, prefixes: &[(String, String)]) -> String {
    match term.strip_prefix('<').and_then(|t| t.strip_suffix('>')) {
        Some(iri) => kgrep::prefixes::sparql_iri(iri, prefixes),
        None => shorten_literal_datatype(term, prefixes),
    }
}

fn shorten_literal_datatype(term: &str, prefixes: &[(String, String)]) -> String {
    let Some((value, datatype)) = term.rsplit_once("^^<") else {
        return term.to_owned();
    };
    // Integers and booleans as Turtle and SPARQL write them bare.
    let lexical = value.strip_prefix('"').and_then(|v| v.strip_suffix('"'));
    let bare = match (lexical, datatype) {
        (Some(v), "http://www.w3.org/2001/XMLSchema#integer>") => {
            let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
            !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
        }
        (Some(v), "http://www.w3.org/2001/XMLSchema#boolean>") => v == "true" || v == "false",
        _ => false,
    };
    match (bare, lexical) {
        (true, Some(lexical)) => lexical.to_owned(),
        _ => format!("{value}^^{}", shorten(&format!("<{datatype}"), prefixes)),
    }
}
