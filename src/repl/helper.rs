//! The line editor's helper: completion from the statement's context
//! (classes after `a`, predicates in a triple's middle, entities at its ends,
//! the statement's variables, dot-commands with their arguments and file
//! names, keywords and prefixes), highlighting, and hints from history.

use std::borrow::Cow;
use std::collections::BTreeSet;

use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hinter, HistoryHinter};
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

use super::commands::{COMMANDS, MODE_NAMES};

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

/// What completion offers from the store, shortened as tables show it.
#[derive(Default)]
pub struct Vocabulary {
    /// Predicates in the default graph.
    pub predicates: BTreeSet<String>,
    /// Classes (objects of `a`).
    pub classes: BTreeSet<String>,
    /// Typed entities (subjects of `a`), as IRIs.
    pub entities: BTreeSet<String>,
    /// Entities' labels, for the commands that take an entity.
    pub labels: BTreeSet<String>,
}

/// The REPL's helper: completion from the statement's context, highlighting, hints.
#[derive(Default)]
pub struct ReplHelper {
    /// Declared prefixes (`ex:` …).
    pub prefixes: Vec<String>,
    /// The store's terms.
    pub vocabulary: Vocabulary,
    /// The lines of the statement typed so far (before the current line).
    pub pending: String,
    hinter: HistoryHinter,
    files: FilenameCompleter,
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

/// Where in a statement the word being completed stands.
#[derive(Debug, PartialEq, Eq)]
enum Place {
    /// The name of a dot-command.
    Command,
    /// An argument of a dot-command.
    Argument(&'static str),
    /// A variable (`?` or `$`).
    Variable,
    /// After `a`: a class.
    Class,
    /// A triple's predicate.
    Predicate,
    /// A triple's subject or object.
    Node,
    /// Anything else: keywords and prefixes.
    Other,
}

/// The place of the word that starts at `start` in `before` (the current
/// line up to the cursor), after `pending` (earlier lines of the statement).
fn place(pending: &str, before: &str, start: usize) -> Place {
    let word = &before[start..];
    if pending.is_empty() && before.trim_start().starts_with('.') {
        let line = before.trim_start();
        let Some((command, _)) = line.split_once(char::is_whitespace) else {
            return Place::Command;
        };
        return Place::Argument(
            COMMANDS
                .iter()
                .find(|c| c.name == &command[1..])
                .map_or("", |c| c.name),
        );
    }
    if word.starts_with('?') || word.starts_with('$') {
        return Place::Variable;
    }
    // The terms of the triple being written: after the last `{` or `.`.
    let text = format!("{pending}{}", &before[..start]);
    let inside = text.rsplit_once('{').map_or("", |(_, rest)| rest);
    if !text.contains('{') {
        return Place::Other;
    }
    let mut terms = 0;
    let mut previous = "";
    for token in inside.split_whitespace() {
        match token {
            "." | "}" => terms = 0,
            ";" => terms = 1,
            "," => terms = 2,
            _ if token.ends_with(';') => terms = 1,
            _ if token.ends_with(',') => terms = 2,
            _ if token.ends_with('.') && !token.ends_with("..") => terms = 0,
            _ => terms += 1,
        }
        previous = token;
    }
    if previous == "a" && terms == 2 {
        return Place::Class;
    }
    match terms % 3 {
        1 => Place::Predicate,
        _ if word.is_empty() || word.contains(':') || word.starts_with('<') => Place::Node,
        _ => Place::Other,
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        context: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        let start = before
            .rfind(|c: char| c.is_whitespace() || "{}(),;".contains(c))
            .map_or(0, |i| i + 1);
        let word = &before[start..];
        let starting = |candidate: &&String| candidate.starts_with(word);
        let mut candidates: Vec<String> = Vec::new();
        let vocabulary = &self.vocabulary;
        match place(&self.pending, before, start) {
            Place::Command => candidates.extend(
                COMMANDS
                    .iter()
                    .map(|c| format!(".{}", c.name))
                    .filter(|c| c.starts_with(word)),
            ),
            Place::Argument(command) => match command {
                "read" | "output" | "once" | "export" | "rules" | "load" => {
                    return self.files.complete(line, pos, context);
                }
                "mode" => candidates.extend(
                    MODE_NAMES
                        .split('|')
                        .filter(|m| m.starts_with(word))
                        .map(str::to_owned),
                ),
                "help" => candidates.extend(
                    COMMANDS
                        .iter()
                        .map(|c| c.name.to_owned())
                        .filter(|c| c.starts_with(word)),
                ),
                "timer" | "headers" | "pager" | "x" => candidates.extend(
                    ["on", "off"]
                        .iter()
                        .filter(|w| w.starts_with(word))
                        .map(|w| (*w).to_owned()),
                ),
                "why" | "path" | "neighbors" | "dot" => candidates.extend(
                    vocabulary
                        .labels
                        .iter()
                        .chain(&vocabulary.entities)
                        .filter(starting)
                        .cloned(),
                ),
                "rank" => candidates.extend(
                    ["degree", "pagerank"]
                        .iter()
                        .filter(|w| w.starts_with(word))
                        .map(|w| (*w).to_owned()),
                ),
                _ => {}
            },
            Place::Variable => {
                let text = format!("{}{line}", self.pending);
                candidates.extend(
                    variables(&text)
                        .into_iter()
                        .filter(|v| v.starts_with(&word[1..]) && v.len() + 1 > word.len())
                        .map(|v| format!("{}{v}", &word[..1])),
                );
            }
            Place::Class => candidates.extend(vocabulary.classes.iter().filter(starting).cloned()),
            Place::Predicate => {
                if word.is_empty() || "a".starts_with(word) {
                    candidates.push("a".to_owned());
                }
                candidates.extend(vocabulary.predicates.iter().filter(starting).cloned());
                candidates.extend(self.prefix_names(word));
            }
            Place::Node => {
                candidates.extend(vocabulary.entities.iter().filter(starting).cloned());
                candidates.extend(vocabulary.classes.iter().filter(starting).cloned());
                candidates.extend(self.prefix_names(word));
            }
            Place::Other if word.is_empty() => {}
            Place::Other => {
                let upper = word.to_uppercase();
                candidates.extend(
                    KEYWORDS
                        .iter()
                        .filter(|k| k.to_uppercase().starts_with(&upper))
                        .map(|k| (*k).to_owned()),
                );
                candidates.extend(self.prefix_names(word));
                if word.contains(':') {
                    candidates.extend(
                        vocabulary
                            .predicates
                            .iter()
                            .chain(&vocabulary.classes)
                            .chain(&vocabulary.entities)
                            .filter(starting)
                            .cloned(),
                    );
                }
            }
        }
        candidates.sort();
        candidates.dedup();
        candidates.truncate(MAX_CANDIDATES);
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

/// At most this many candidates are listed.
const MAX_CANDIDATES: usize = 500;

impl ReplHelper {
    fn prefix_names(&self, word: &str) -> Vec<String> {
        if word.contains(':') {
            return Vec::new();
        }
        self.prefixes
            .iter()
            .map(|p| format!("{p}:"))
            .filter(|p| p.starts_with(word))
            .collect()
    }
}

/// The variable names in `text`, in order of first appearance.
fn variables(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let chars = text.char_indices().peekable();
    for (at, c) in chars {
        if c == '?' || c == '$' {
            let name: String = text[at + 1..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
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

/// Each line is read on its own (the REPL's loop joins a statement's lines
/// under a continuation prompt), so every line is accepted as typed.
impl Validator for ReplHelper {}

impl Helper for ReplHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_knows_where_the_word_stands() {
        let at = |pending: &str, before: &str| {
            let start = before
                .rfind(|c: char| c.is_whitespace() || "{}(),;".contains(c))
                .map_or(0, |i| i + 1);
            place(pending, before, start)
        };
        assert_eq!(at("", ".mo"), Place::Command);
        assert_eq!(at("", ".mode c"), Place::Argument("mode"));
        assert_eq!(at("", ".read ./scr"), Place::Argument("read"));
        assert_eq!(at("", "SELECT ?t WHERE { ?t a sch"), Place::Class);
        assert_eq!(at("", "SELECT ?t WHERE { ?t ex:dep"), Place::Predicate);
        assert_eq!(at("", "SELECT ?t WHERE { ?t ex:p team:"), Place::Node);
        assert_eq!(
            at("SELECT ?t WHERE {\n", "  ?t ex:p ?o ; ex:"),
            Place::Predicate
        );
        assert_eq!(
            at("", "SELECT ?t WHERE { ?t ex:p ?o . ?o ex:"),
            Place::Predicate
        );
        assert_eq!(at("", "SELECT ?t WHERE { ?t ex:p ?o . team:"), Place::Node);
        assert_eq!(at("", "SELECT ?t"), Place::Variable);
        assert_eq!(at("", "SEL"), Place::Other);
        assert_eq!(
            variables("SELECT ?b ?a WHERE { ?a ?p $c . ?b }"),
            ["b", "a", "p", "c"]
        );
    }

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
