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
    for diagnostic in &loaded.diagnostics {
        if diagnostic.severity == Severity::Error || !quiet {
            output.diagnostic(diagnostic, &loaded.sources);
        }
    }
    let Some(rule_set) = loaded.rule_set else {
        let errors = loaded.count(Severity::Error);
        bail!(RulesHaveErrors(errors));
    };
    Ok((Extractor::new(rule_set)?, loaded.sources))
}

/// The rule files have errors (already shown); the command exits with 1.
#[derive(Debug, thiserror::Error)]
#[error("the rules have {0} error(s); nothing was run")]
pub struct RulesHaveErrors(pub usize);

/// Shortens an IRI with the rule set's prefixes, for people.
pub fn shorten(term: &str, prefixes: &[(String, String)]) -> String {
    let Some(iri) = term.strip_prefix('<').and_then(|t| t.strip_suffix('>')) else {
        return shorten_literal_datatype(term, prefixes);
    };
    let best = prefixes
        .iter()
        .filter(|(_, namespace)| iri.starts_with(namespace.as_str()))
        .max_by_key(|(_, namespace)| namespace.len());
    match best {
        Some((prefix, namespace))
            if iri[namespace.len()..]
                .chars()
                .all(|c| !c.is_whitespace() && !"<>\"{}|^`\\,;()[]#".contains(c)) =>
        {
            format!("{prefix}:{}", &iri[namespace.len()..])
        }
        _ => term.to_owned(),
    }
}

fn shorten_literal_datatype(term: &str, prefixes: &[(String, String)]) -> String {
    match term.rsplit_once("^^<") {
        Some((value, datatype)) => {
            format!("{value}^^{}", shorten(&format!("<{datatype}"), prefixes))
        }
        None => term.to_owned(),
    }
}
