//! Resolved patterns → `regex-syntax` HIR, the input of the automata.
//!
//! Lexicons become alternations of their (normalised) entries, longest first —
//! except big ones (more than [`BIG_LEXICON`] entries, gazetteers of a million
//! names), which no automaton holds cheaply: in a rule they become a hidden
//! group matching "so many characters, each one of the lexicon's", and the
//! matcher accepts the group only when its text is an entry (a hash lookup);
//! the rule's triggers (an Aho–Corasick pass) keep it off sentences without one;
//! entity types are inlined and wrapped in a hidden capture group, so a match
//! tells where every entity mention is; captures keep their own groups. Text in
//! rules is NFKC-normalised like the documents, so `"，"` matches `,`.

use regex_syntax::hir::{
    Capture, Class, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Look, Repetition,
};

use crate::rules::{CaptureId, EntityId, LexiconId, Pattern, RuleSet};
use crate::text::normalize_str;

/// What a capture group of a compiled rule stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// A capture of the rule.
    Capture(CaptureId),
    /// A mention of an entity type (written with or without a capture).
    Entity(EntityId),
    /// A big lexicon's stand-in: its text must be an entry.
    Lexicon(LexiconId),
}

/// Lexicons with more entries than this match through a stand-in checked by
/// lookup (see the module docs), so that they compile in time and memory
/// linear in their size.
pub const BIG_LEXICON: usize = 5_000;

/// Builds HIR for patterns of one rule set, numbering capture groups.
pub(crate) struct HirBuilder<'a> {
    rules: &'a RuleSet,
    /// `groups[i]` is the role of group `i + 1` (group 0 is the whole match).
    pub groups: Vec<Group>,
    /// Whether captures get groups (off for constraint patterns).
    with_groups: bool,
}

impl<'a> HirBuilder<'a> {
    /// A builder that numbers groups (for rules).
    pub fn new(rules: &'a RuleSet) -> Self {
        HirBuilder {
            rules,
            groups: Vec::new(),
            with_groups: true,
        }
    }

    /// A builder without groups (for constraint patterns).
    pub fn without_groups(rules: &'a RuleSet) -> Self {
        HirBuilder {
            rules,
            groups: Vec::new(),
            with_groups: false,
        }
    }

    /// The HIR of `pattern`.
    pub fn build(&mut self, pattern: &Pattern) -> Hir {
        match pattern {
            Pattern::Literal(text) => Hir::literal(normalize_str(text).into_bytes()),
            Pattern::LiteralNoCase(text) => no_case_literal(&normalize_str(text)),
            Pattern::WordBoundary { negated: false } => Hir::look(Look::WordUnicode),
            Pattern::WordBoundary { negated: true } => Hir::look(Look::WordUnicodeNegate),
            Pattern::Class(class) => Hir::class(Class::Unicode(normalize_class(class))),
            Pattern::Any => {
                Hir::class(Class::Unicode(ClassUnicode::new([ClassUnicodeRange::new(
                    '\0',
                    char::MAX,
                )])))
            }
            Pattern::Start => Hir::look(Look::Start),
            Pattern::End => Hir::look(Look::End),
            Pattern::Concat(parts) => {
                Hir::concat(parts.iter().map(|part| self.build(part)).collect())
            }
            Pattern::Alternation(branches) => {
                Hir::alternation(branches.iter().map(|b| self.build(b)).collect())
            }
            Pattern::Repeat { inner, min, max } => Hir::repetition(Repetition {
                min: *min,
                max: *max,
                greedy: true,
                sub: Box::new(self.build(inner)),
            }),
            Pattern::Lexicon(id) => self.lexicon(*id),
            Pattern::Entity(id) => {
                let group = self.group(Group::Entity(*id));
                let inner = self.build(&self.rules.entities[id.0].pattern);
                self.wrap(group, inner)
            }
            Pattern::Capture { capture, inner } => {
                let group = self.group(Group::Capture(*capture));
                let inner = self.build(inner);
                self.wrap(group, inner)
            }
        }
    }

    fn lexicon(&mut self, id: LexiconId) -> Hir {
        let lexicon = &self.rules.lexicons[id.0];
        if self.with_groups && lexicon.entries.len() > BIG_LEXICON {
            // The characters of the entries, as a bit per code point.
            let mut seen = vec![0u64; (char::MAX as usize >> 6) + 1];
            let (mut shortest, mut longest) = (u32::MAX, 0);
            for entry in &lexicon.entries {
                let text = normalize_str(&entry.text);
                let count = text.chars().count() as u32;
                shortest = shortest.min(count);
                longest = longest.max(count);
                for c in text.chars() {
                    seen[c as usize >> 6] |= 1 << (c as usize & 63);
                }
            }
            let mut chars: Vec<char> = seen
                .iter()
                .enumerate()
                .filter(|(_, bits)| **bits != 0)
                .flat_map(|(word, bits)| {
                    (0..64)
                        .filter(move |bit| bits & (1 << bit) != 0)
                        .filter_map(move |bit| char::from_u32((word << 6 | bit) as u32))
                })
                .collect();
            if lexicon.ignore_case {
                let mut cased =
                    ClassUnicode::new(chars.iter().map(|&c| ClassUnicodeRange::new(c, c)));
                cased.case_fold_simple();
                chars = cased
                    .iter()
                    .flat_map(|range| range.start()..=range.end())
                    .collect();
            }
            let mut ranges: Vec<ClassUnicodeRange> = Vec::new();
            for c in chars {
                match ranges.last_mut() {
                    Some(last) if last.end() as u32 + 1 == c as u32 => {
                        *last = ClassUnicodeRange::new(last.start(), c);
                    }
                    _ => ranges.push(ClassUnicodeRange::new(c, c)),
                }
            }
            let stand_in = Hir::repetition(Repetition {
                min: shortest,
                max: Some(longest),
                greedy: true,
                sub: Box::new(Hir::class(Class::Unicode(ClassUnicode::new(ranges)))),
            });
            let group = self.group(Group::Lexicon(id));
            return self.wrap(group, stand_in);
        }
        let mut entries: Vec<String> = self.rules.lexicons[id.0]
            .entries
            .iter()
            .map(|entry| normalize_str(&entry.text))
            .collect();
        // Longest first, so that at one position the longest entry wins.
        entries.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        entries.dedup();
        if entries.is_empty() {
            return Hir::fail();
        }
        let ignore_case = lexicon.ignore_case;
        Hir::alternation(
            entries
                .into_iter()
                .map(|entry| {
                    if ignore_case {
                        no_case_literal(&entry)
                    } else {
                        Hir::literal(entry.into_bytes())
                    }
                })
                .collect(),
        )
    }

    fn group(&mut self, role: Group) -> Option<u32> {
        if !self.with_groups {
            return None;
        }
        self.groups.push(role);
        Some(self.groups.len() as u32)
    }

    fn wrap(&self, group: Option<u32>, inner: Hir) -> Hir {
        match group {
            Some(index) => Hir::capture(Capture {
                index,
                name: None,
                sub: Box::new(inner),
            }),
            None => inner,
        }
    }
}

/// `text` in any case: each character a class of its simple case foldings
/// (a character without case stays a literal).
fn no_case_literal(text: &str) -> Hir {
    Hir::concat(
        text.chars()
            .map(|c| {
                let mut class = ClassUnicode::new([ClassUnicodeRange::new(c, c)]);
                class.case_fold_simple();
                if class.ranges().len() == 1 && class.ranges()[0].start() == class.ranges()[0].end()
                {
                    Hir::literal(c.encode_utf8(&mut [0; 4]).as_bytes().to_vec())
                } else {
                    Hir::class(Class::Unicode(class))
                }
            })
            .collect(),
    )
}

/// The class with each of its characters normalised as the text is (full-width
/// digits in a class match the ASCII digits the text holds after NFKC).
fn normalize_class(class: &ClassUnicode) -> ClassUnicode {
    let mut normalized = class.clone();
    for range in class.ranges() {
        // Only small ranges are walked: large ones (scripts, categories) are kept as they are.
        if (range.end() as u32) - (range.start() as u32) > 256 {
            continue;
        }
        for c in range.start()..=range.end() {
            if crate::text::keeps_char(c) {
                continue;
            }
            let text = normalize_str(c.encode_utf8(&mut [0; 4]));
            let mut chars = text.chars();
            if let (Some(single), None) = (chars.next(), chars.next())
                && single != c
            {
                normalized.push(ClassUnicodeRange::new(single, single));
            }
        }
    }
    normalized
}

/// `hir` with every `$` (end of the sentence) made a pattern that never
/// matches; `None` when `hir` has no `$`. For assigning captures to a match
/// that ends inside its sentence, on a haystack cut at the match's end.
pub(crate) fn without_end(hir: &Hir) -> Option<Hir> {
    fn has_end(hir: &Hir) -> bool {
        match hir.kind() {
            HirKind::Look(Look::End) => true,
            HirKind::Repetition(repetition) => has_end(&repetition.sub),
            HirKind::Capture(capture) => has_end(&capture.sub),
            HirKind::Concat(parts) | HirKind::Alternation(parts) => parts.iter().any(has_end),
            _ => false,
        }
    }
    fn rewrite(hir: &Hir) -> Hir {
        match hir.kind() {
            HirKind::Look(Look::End) => Hir::fail(),
            _ => with_parts(hir, rewrite),
        }
    }
    has_end(hir).then(|| rewrite(hir))
}

/// `hir` with `rewrite` applied to each of its direct parts (a repetition's
/// or a capture's, a concatenation's, an alternation's); a leaf as it is.
fn with_parts(hir: &Hir, rewrite: fn(&Hir) -> Hir) -> Hir {
    match hir.kind() {
        HirKind::Repetition(repetition) => Hir::repetition(regex_syntax::hir::Repetition {
            sub: Box::new(rewrite(&repetition.sub)),
            ..repetition.clone()
        }),
        HirKind::Capture(capture) => Hir::capture(regex_syntax::hir::Capture {
            sub: Box::new(rewrite(&capture.sub)),
            ..capture.clone()
        }),
        HirKind::Concat(parts) => Hir::concat(parts.iter().map(rewrite).collect()),
        HirKind::Alternation(parts) => Hir::alternation(parts.iter().map(rewrite).collect()),
        _ => hir.clone(),
    }
}

/// `hir` cut to what a match must take at its end: the last repetition to
/// its least rounds, an optional last part dropped, in turn, up to a
/// look-around (which stays). A match of `hir` starts wherever one of the
/// cut pattern does, so the search for where matches start (`Starts`) finds
/// the same starts, without scanning to the end of a trailing `\p{Han}{1,60}`
/// or `\p{Han}+` from every start. `None` when nothing needs to go.
pub(crate) fn without_tail(hir: &Hir) -> Option<Hir> {
    /// The cut; `Ok(None)` when all of it may match the empty text (so it
    /// goes), `Err(())` when it is unchanged.
    fn cut(hir: &Hir) -> Result<Option<Hir>, ()> {
        match hir.kind() {
            HirKind::Empty => Ok(None),
            HirKind::Repetition(repetition) if repetition.min == 0 => Ok(None),
            HirKind::Repetition(repetition) if repetition.max != Some(repetition.min) => {
                Ok(Some(Hir::repetition(regex_syntax::hir::Repetition {
                    max: Some(repetition.min),
                    ..repetition.clone()
                })))
            }
            HirKind::Capture(capture) => cut(&capture.sub).map(|sub| {
                sub.map(|sub| {
                    Hir::capture(regex_syntax::hir::Capture {
                        sub: Box::new(sub),
                        ..capture.clone()
                    })
                })
            }),
            HirKind::Concat(parts) => {
                let mut parts = parts.clone();
                let mut changed = false;
                while let Some(last) = parts.pop() {
                    match cut(&last) {
                        Err(()) => {
                            parts.push(last);
                            break;
                        }
                        Ok(Some(shorter)) => {
                            parts.push(shorter);
                            changed = true;
                            break;
                        }
                        Ok(None) => changed = true,
                    }
                }
                if !changed {
                    Err(())
                } else if parts.is_empty() {
                    Ok(None)
                } else {
                    Ok(Some(Hir::concat(parts)))
                }
            }
            HirKind::Alternation(branches) => {
                let cuts: Vec<_> = branches.iter().map(cut).collect();
                if cuts.iter().all(Result::is_err) {
                    return Err(());
                }
                // A branch that may match the empty text makes the whole
                // optional.
                if cuts.iter().any(|cut| matches!(cut, Ok(None))) {
                    return Ok(None);
                }
                Ok(Some(Hir::alternation(
                    cuts.into_iter()
                        .zip(branches)
                        .map(|(cut, branch)| cut.ok().flatten().unwrap_or_else(|| branch.clone()))
                        .collect(),
                )))
            }
            _ => Err(()),
        }
    }
    match cut(hir) {
        Ok(Some(shorter)) => Some(shorter),
        _ => None,
    }
}

/// `hir` with every repetition lazy (`\p{Han}+?`). It matches at the same
/// starts; a leftmost-first search for the first start then stops at that
/// start's shortest match instead of following a greedy `\p{Han}+` to the
/// end of the sentence, from every start the matcher asks about.
pub(crate) fn lazy(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Repetition(repetition) => Hir::repetition(regex_syntax::hir::Repetition {
            greedy: false,
            sub: Box::new(lazy(&repetition.sub)),
            ..repetition.clone()
        }),
        _ => with_parts(hir, lazy),
    }
}

/// Repetitions with more than this many rounds are left open in the
/// automaton that finds where matches start (see [`relaxed`]).
const RELAX_ROUNDS: u32 = 16;

/// `hir` with each repetition of more than [`RELAX_ROUNDS`] rounds made
/// open (`C{991,1000}` → `C+`), captures dropped; `None` when it has none.
/// It matches wherever `hir` does and more, so its leftmost match never
/// starts after `hir`'s: the matcher finds starts with it and checks each
/// with the exact automaton. A DFA counts the rounds of a wide repetition in
/// its states (thousands, each a set of thousands of NFA states, so the lazy
/// DFA's cache overflows and the search falls back to a PikeVM that steps
/// every copy at every byte); the open one has a few states.
pub(crate) fn relaxed(hir: &Hir) -> Option<Hir> {
    fn wide(hir: &Hir) -> bool {
        match hir.kind() {
            HirKind::Repetition(repetition) => {
                repetition.max.is_some_and(|max| max > RELAX_ROUNDS)
                    || repetition.min > RELAX_ROUNDS
                    || wide(&repetition.sub)
            }
            HirKind::Capture(capture) => wide(&capture.sub),
            HirKind::Concat(parts) | HirKind::Alternation(parts) => parts.iter().any(wide),
            _ => false,
        }
    }
    fn rewrite(hir: &Hir) -> Hir {
        match hir.kind() {
            HirKind::Repetition(repetition) => {
                let sub = Box::new(rewrite(&repetition.sub));
                let open = repetition.max.is_some_and(|max| max > RELAX_ROUNDS)
                    || repetition.min > RELAX_ROUNDS;
                Hir::repetition(regex_syntax::hir::Repetition {
                    min: if open {
                        repetition.min.min(1)
                    } else {
                        repetition.min
                    },
                    max: if open { None } else { repetition.max },
                    sub,
                    ..repetition.clone()
                })
            }
            HirKind::Capture(capture) => rewrite(&capture.sub),
            HirKind::Concat(parts) => Hir::concat(parts.iter().map(rewrite).collect()),
            HirKind::Alternation(parts) => Hir::alternation(parts.iter().map(rewrite).collect()),
            _ => hir.clone(),
        }
    }
    wide(hir).then(|| rewrite(hir))
}
