//! Resolved patterns: the syntax tree's patterns with names looked up,
//! fragments inlined, classes turned into Unicode ranges, captures numbered.
//!
//! This is the last representation before the matcher compiles automata; it is
//! simple to analyse (can this match the empty string?).

use regex_syntax::hir::{Class as HirClass, ClassUnicode, ClassUnicodeRange, HirKind};

use super::{CaptureId, EntityId, LexiconId};
use crate::syntax::ast;

/// A resolved pattern.
#[derive(Clone, Debug, PartialEq)]
pub enum Pattern {
    /// Literal text.
    Literal(String),
    /// Literal text in any case (simple Unicode case folding).
    LiteralNoCase(String),
    /// A word boundary (`negated`: a position that is not one), by Unicode's
    /// word characters.
    WordBoundary {
        /// `\B`.
        negated: bool,
    },
    /// One character of the class.
    Class(ClassUnicode),
    /// Any one character.
    Any,
    /// The start of the sentence.
    Start,
    /// The end of the sentence.
    End,
    /// One after the other.
    Concat(Vec<Pattern>),
    /// One of them; leftmost-longest.
    Alternation(Vec<Pattern>),
    /// `inner` between `min` and `max` (or unboundedly many) times.
    Repeat {
        /// What is repeated.
        inner: Box<Pattern>,
        /// The least.
        min: u32,
        /// The most.
        max: Option<u32>,
    },
    /// An entry of the lexicon (longest first).
    Lexicon(LexiconId),
    /// A mention of the entity type.
    Entity(EntityId),
    /// A capture around `inner`.
    Capture {
        /// Which capture.
        capture: CaptureId,
        /// What it captures.
        inner: Box<Pattern>,
    },
}

impl Pattern {
    /// Whether the pattern can match without consuming a character. Lexicon
    /// entries and entity mentions never are empty (the checker makes sure).
    pub fn can_match_empty(&self) -> bool {
        match self {
            Pattern::Literal(text) | Pattern::LiteralNoCase(text) => text.is_empty(),
            Pattern::Class(_) | Pattern::Any | Pattern::Lexicon(_) | Pattern::Entity(_) => false,
            Pattern::Start | Pattern::End | Pattern::WordBoundary { .. } => true,
            Pattern::Concat(parts) => parts.iter().all(Pattern::can_match_empty),
            Pattern::Alternation(branches) => branches.iter().any(Pattern::can_match_empty),
            Pattern::Repeat { inner, min, .. } => *min == 0 || inner.can_match_empty(),
            Pattern::Capture { inner, .. } => inner.can_match_empty(),
        }
    }
}

impl Pattern {
    /// Whether the pattern can never match any sentence: an empty class, text
    /// required after the end of the sentence or before its start.
    pub fn can_never_match(&self) -> bool {
        match self {
            Pattern::Class(class) => class.ranges().is_empty(),
            Pattern::Literal(_)
            | Pattern::LiteralNoCase(_)
            | Pattern::WordBoundary { .. }
            | Pattern::Any
            | Pattern::Start
            | Pattern::End => false,
            Pattern::Lexicon(_) | Pattern::Entity(_) => false,
            Pattern::Concat(parts) => {
                parts.iter().any(Pattern::can_never_match)
                    || parts.iter().enumerate().any(|(index, part)| {
                        (matches!(part, Pattern::End)
                            && parts[index + 1..]
                                .iter()
                                .any(|later| !later.can_match_empty()))
                            || (matches!(part, Pattern::Start)
                                && parts[..index]
                                    .iter()
                                    .any(|earlier| !earlier.can_match_empty()))
                    })
            }
            Pattern::Alternation(branches) => branches.iter().all(Pattern::can_never_match),
            Pattern::Repeat { inner, min, .. } => *min > 0 && inner.can_never_match(),
            Pattern::Capture { inner, .. } => inner.can_never_match(),
        }
    }
}

/// Why a class could not be built.
pub(crate) struct ClassError {
    pub message: String,
    pub hint: Option<String>,
}

/// Turns a class of the syntax tree into Unicode ranges.
pub(crate) fn lower_class(
    class: &ast::Class,
) -> Result<ClassUnicode, (ast::ClassEscape, ClassError)> {
    match class {
        ast::Class::Escape(escape) => lower_escape(escape).map_err(|error| (escape.clone(), error)),
        ast::Class::Bracket { negated, items } => {
            let mut set = ClassUnicode::empty();
            for item in items {
                match item {
                    ast::ClassItem::Char(c) => set.push(ClassUnicodeRange::new(*c, *c)),
                    ast::ClassItem::Range(low, high) => {
                        set.push(ClassUnicodeRange::new(*low, *high))
                    }
                    ast::ClassItem::Escape(escape) => {
                        let inner =
                            lower_escape(escape).map_err(|error| (escape.clone(), error))?;
                        set.union(&inner);
                    }
                }
            }
            if *negated {
                set.negate();
            }
            Ok(set)
        }
    }
}

fn lower_escape(escape: &ast::ClassEscape) -> Result<ClassUnicode, ClassError> {
    let text = match escape {
        ast::ClassEscape::Digit { negated } => if *negated { "\\D" } else { "\\d" }.to_owned(),
        ast::ClassEscape::Word { negated } => if *negated { "\\W" } else { "\\w" }.to_owned(),
        ast::ClassEscape::Space { negated } => if *negated { "\\S" } else { "\\s" }.to_owned(),
        ast::ClassEscape::Property { negated, name, .. } => {
            if name.is_empty() || name.contains(['\\', '{', '}', '[', ']']) {
                return Err(unknown_property(name));
            }
            format!("\\{}{{{name}}}", if *negated { 'P' } else { 'p' })
        }
    };
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(true)
        .build()
        .parse(&text)
        .map_err(|_| match escape {
            ast::ClassEscape::Property { name, .. } => unknown_property(name),
            _ => ClassError {
                message: format!("cannot build class `{text}`"),
                hint: None,
            },
        })?;
    match hir.kind() {
        HirKind::Class(HirClass::Unicode(class)) => Ok(class.clone()),
        _ => Err(ClassError {
            message: format!("`{text}` is not a character class"),
            hint: None,
        }),
    }
}

/// Well-known property names, for "did you mean".
const PROPERTY_NAMES: &[&str] = &[
    "Han",
    "Latin",
    "Hiragana",
    "Katakana",
    "Hangul",
    "Cyrillic",
    "Greek",
    "Arabic",
    "Common",
    "L",
    "Lu",
    "Ll",
    "Lo",
    "N",
    "Nd",
    "Nl",
    "No",
    "P",
    "Pc",
    "Pd",
    "Ps",
    "Pe",
    "Pi",
    "Pf",
    "Po",
    "S",
    "Sm",
    "Sc",
    "Sk",
    "So",
    "Z",
    "Zs",
    "Letter",
    "Number",
    "Punctuation",
    "Symbol",
    "Separator",
    "Alphabetic",
    "White_Space",
];

fn unknown_property(name: &str) -> ClassError {
    let hint = crate::diagnostic::did_you_mean(name, PROPERTY_NAMES.iter().copied())
        .map(|near| format!("did you mean `\\p{{{near}}}`?"))
        .or_else(|| {
            Some(
                "use a script (`Han`, `Latin`), a category (`L`, `N`, `P`) or `Script=Han`"
                    .to_owned(),
            )
        });
    ClassError {
        message: format!("unknown Unicode property `{name}`"),
        hint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(text: &str) -> ClassUnicode {
        let (file, errors) = crate::syntax::parse(&format!("fragment F = {text}"));
        assert!(errors.is_empty(), "{errors:?}");
        let ast::ItemKind::Fragment(fragment) = &file.items[0].kind else {
            unreachable!()
        };
        let ast::PatternKind::Class(class) = &fragment.pattern.kind else {
            panic!("not a class")
        };
        lower_class(class).unwrap_or_else(|(_, error)| panic!("{}", error.message))
    }

    fn contains(class: &ClassUnicode, c: char) -> bool {
        class
            .ranges()
            .iter()
            .any(|range| range.start() <= c && c <= range.end())
    }

    #[test]
    fn han_and_negated_classes() {
        let han = class("\\p{Han}");
        assert!(contains(&han, '党') && !contains(&han, 'a'));
        let not_stop = class("[^，。]");
        assert!(contains(&not_stop, '党') && !contains(&not_stop, '。'));
        let digits = class("[0-9一二三]");
        assert!(contains(&digits, '7') && contains(&digits, '二') && !contains(&digits, '四'));
    }

    #[test]
    fn empty_matches_are_found() {
        let literal = |text: &str| Pattern::Literal(text.to_owned());
        assert!(
            Pattern::Repeat {
                inner: Box::new(literal("a")),
                min: 0,
                max: Some(3)
            }
            .can_match_empty()
        );
        assert!(!Pattern::Concat(vec![Pattern::Start, literal("a")]).can_match_empty());
        assert!(Pattern::Alternation(vec![literal("a"), literal("")]).can_match_empty());
    }

    #[test]
    fn text_after_the_end_never_matches() {
        let literal = |text: &str| Pattern::Literal(text.to_owned());
        assert!(Pattern::Concat(vec![literal("a"), Pattern::End, literal("b")]).can_never_match());
        assert!(Pattern::Concat(vec![literal("a"), Pattern::Start]).can_never_match());
        assert!(
            !Pattern::Concat(vec![Pattern::Start, literal("a"), Pattern::End]).can_never_match()
        );
    }
}
