//! The line editor's helper: completion (SPARQL keywords, prefixes,
//! dot-commands, predicates and classes in the store), highlighting
//! (keywords, IRIs, variables, strings), multi-line validation, hints.

use std::borrow::Cow;
use std::collections::BTreeSet;

use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hinter, HistoryHinter};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};

use super::commands::COMMANDS;
use super::statement::is_complete;

/// SPARQL keywords offered by completion and highlighted.
pub const KEYWORDS: &[&str] = &[
    "SELECT",
    "DISTINCT",
    "REDUCED",
    "WHERE",
    "FILTER",
    "OPTIONAL",
    "UNION",
    "MINUS",
    "GRAPH",
    "SERVICE",
    "BIND",
    "VALUES",
    "ORDER",
    "BY",
    "ASC",
    "DESC",
    "LIMIT",
    "OFFSET",
    "GROUP",
    "HAVING",
    "COUNT",
    "SUM",
    "MIN",
    "MAX",
    "AVG",
    "SAMPLE",
    "GROUP_CONCAT",
    "AS",
    "ASK",
    "CONSTRUCT",
    "DESCRIBE",
    "PREFIX",
    "BASE",
    "FROM",
    "NAMED",
    "INSERT",
    "DELETE",
    "DATA",
    "WITH",
    "USING",
    "CLEAR",
    "DROP",
    "CREATE",
    "LOAD",
    "EXISTS",
    "NOT",
    "IN",
    "STR",
    "LANG",
    "LANGMATCHES",
    "DATATYPE",
    "BOUND",
    "IRI",
    "URI",
    "BNODE",
    "REGEX",
    "CONTAINS",
    "STRSTARTS",
    "STRENDS",
    "STRLEN",
    "SUBSTR",
    "UCASE",
    "LCASE",
    "CONCAT",
    "COALESCE",
    "IF",
    "isIRI",
    "isLITERAL",
    "isBLANK",
    "a",
];

/// The REPL's helper; `terms` are the prefixed predicates and classes of the store.
#[derive(Default)]
pub struct ReplHelper {
    /// Declared prefixes (`ex:` …).
    pub prefixes: Vec<String>,
    /// Predicates and classes in the store, prefixed where possible.
    pub terms: BTreeSet<String>,
    hinter: HistoryHinter,
    /// Whether to colour.
    pub colour: bool,
}

impl ReplHelper {
    /// A helper; `colour` turns highlighting on.
    pub fn new(colour: bool) -> ReplHelper {
        ReplHelper {
            colour,
            ..ReplHelper::default()
        }
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        let start = before
            .rfind(|c: char| c.is_whitespace() || "{}(),;".contains(c))
            .map_or(0, |i| i + 1);
        let word = &before[start..];
        let mut candidates: Vec<String> = Vec::new();
        if start == 0 && word.starts_with('.') {
            candidates.extend(
                COMMANDS
                    .iter()
                    .map(|c| format!(".{}", c.name))
                    .filter(|c| c.starts_with(word)),
            );
        } else if word.contains(':') {
            candidates.extend(self.terms.iter().filter(|t| t.starts_with(word)).cloned());
        } else if !word.is_empty() {
            let upper = word.to_uppercase();
            candidates.extend(
                KEYWORDS
                    .iter()
                    .filter(|k| k.to_uppercase().starts_with(&upper))
                    .map(|k| (*k).to_owned()),
            );
            candidates.extend(
                self.prefixes
                    .iter()
                    .map(|p| format!("{p}:"))
                    .filter(|p| p.starts_with(word)),
            );
        }
        candidates.sort();
        candidates.dedup();
        Ok((
            start,
            candidates
                .into_iter()
                .map(|c| Pair {
                    display: c.clone(),
                    replacement: c,
                })
                .collect(),
        ))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<String> {
        self.hinter.hint(line, pos, ctx)
    }
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if !self.colour {
            return Cow::Borrowed(line);
        }
        Cow::Owned(highlight(line))
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.colour {
            Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
        } else {
            Cow::Borrowed(hint)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.colour
    }
}

/// ANSI colours for keywords (bold blue), IRIs and prefixed names (green),
/// variables (yellow), strings (magenta), comments (dim), dot-commands (cyan).
pub fn highlight(line: &str) -> String {
    if line.trim_start().starts_with('.') {
        return format!("\x1b[36m{line}\x1b[0m");
    }
    let mut out = String::with_capacity(line.len() * 2);
    let chars: Vec<char> = line.chars().collect();
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        let start = index;
        let (colour, end) = if c == '#' {
            ("2", chars.len())
        } else if c == '"' || c == '\'' {
            let mut end = index + 1;
            while end < chars.len() && chars[end] != c {
                end += if chars[end] == '\\' { 2 } else { 1 };
            }
            ("35", (end + 1).min(chars.len()))
        } else if c == '<'
            && chars[index + 1..]
                .iter()
                .take_while(|c| !c.is_whitespace())
                .any(|c| *c == '>')
        {
            let end = index + chars[index..].iter().position(|c| *c == '>').unwrap_or(0) + 1;
            ("32", end)
        } else if c == '?' || c == '$' {
            let end = index
                + 1
                + chars[index + 1..]
                    .iter()
                    .take_while(|c| c.is_alphanumeric() || **c == '_')
                    .count();
            ("33", end)
        } else if c.is_alphabetic() {
            let end = index
                + chars[index..]
                    .iter()
                    .take_while(|c| c.is_alphanumeric() || **c == '_' || **c == ':' || **c == '/')
                    .count();
            let word: String = chars[index..end].iter().collect();
            if word.contains(':') {
                ("32", end)
            } else if KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(&word)) {
                ("1;34", end)
            } else {
                ("", end)
            }
        } else {
            ("", index + 1)
        };
        let piece: String = chars[start..end.max(start + 1)].iter().collect();
        if colour.is_empty() {
            out.push_str(&piece);
        } else {
            out.push_str(&format!("\x1b[{colour}m{piece}\x1b[0m"));
        }
        index = end.max(start + 1);
    }
    out
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        let input = ctx.input();
        if input.trim().is_empty() || is_complete(input) {
            Ok(ValidationResult::Valid(None))
        } else {
            Ok(ValidationResult::Incomplete)
        }
    }
}

impl Helper for ReplHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlighting_keeps_the_text() {
        let line = "SELECT ?s WHERE { ?s ex:p <http://e/> ; rdfs:label \"雷神山\"@zh } # note";
        let plain = regex::Regex::new("\x1b\\[[0-9;]*m")
            .unwrap()
            .replace_all(&highlight(line), "")
            .into_owned();
        assert_eq!(plain, line);
        assert!(highlight(line).contains("\x1b[1;34mSELECT"));
    }
}
