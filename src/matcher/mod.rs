//! The matcher: a [`RuleSet`] compiled to automata, run over sentences.
//!
//! Each rule becomes automata over its HIR (see `hir`): a search for where
//! matches start (a reverse lazy DFA's one pass over the sentence, or a
//! `meta` regex, leftmost-first, its backtracker off: see `Starts`), a lazy
//! DFA with `MatchKind::All` that finds the longest match from that start (a
//! PikeVM where the DFA gives up on word boundaries; counting, for a row of
//! classes counted so widely that the DFA would build a state a byte: see
//! `runs`), and a `Splitter` that assigns the captures of that span (a
//! bounded backtracker, else a PikeVM). Together they give the language's
//! leftmost-longest semantics in linear time per attempt. Aho–Corasick
//! automata over the rules' triggers (see `trigger`; big lexicons' names
//! in hash sets) pick the sentences each rule runs on: one over the text for
//! each rule's most selective set (its two halves at once: see `overlap`),
//! one over those sentences for the rest.
//!
//! **Invariant:** every engine is linear in its input — lazy DFAs and
//! PikeVMs by construction, the bounded backtracker because it visits each
//! (NFA state, position) pair at most once (no unbounded backtracking), the
//! row counter because it sweeps items × characters once;
//! sentence length is capped (`text::MAX_SENTENCE_BYTES`), so a rule's cost
//! per sentence is bounded.

mod hir;
mod lengths;
mod overlap;
mod runs;
mod trigger;

use std::collections::HashMap;
use std::ops::Range;

use regex_automata::hybrid::dfa::{Cache as DfaCache, DFA};
use regex_automata::meta::{self, Regex};
use regex_automata::nfa::thompson::backtrack::{self, BoundedBacktracker};
use regex_automata::nfa::thompson::{self, pikevm, pikevm::PikeVM};
use regex_automata::util::captures::{Captures, GroupInfo};
use regex_automata::{Anchored, Input, MatchKind};
use regex_syntax::hir::{Hir, Look};

pub use hir::{BIG_LEXICON, Group};

use crate::rules::EntryTarget;
use crate::rules::{
    CaptureId, Constraint, ConstraintTest, EntityId, LexiconId, Normalizer, RuleSet,
};
use crate::syntax::ast::{Compare, Side};
use crate::text::normalize_str;

/// A lexicon's entries by their normalised text: looked up for every
/// candidate of a big lexicon's stand-in, so hashed with foldhash (fast, not
/// keyed against floods: the keys are the rule author's).
type LexiconEntries = HashMap<String, EntryTarget, foldhash::fast::FixedState>;

/// A rule set compiled for matching.
#[derive(Debug)]
pub struct Matcher {
    rules: Vec<CompiledRule>,
    /// The literals of each rule's most selective trigger set: the scan over
    /// the whole text.
    triggers: Option<overlap::Scanner>,
    /// For each of those literals (by pattern id), the rules it triggers.
    trigger_rules: Vec<Vec<usize>>,
    /// The literals of the rules' other trigger sets, looked for only in the
    /// sentences the first scan found (few, so the literals that fire
    /// everywhere, such as surnames, cost little).
    confirm: Option<overlap::Scanner>,
    /// For each of those literals, the rules it confirms, with the bit of
    /// the rule's trigger set it belongs to (bit 0 is the first set's).
    confirm_rules: Targets,
    /// For each rule, the bits of all its trigger sets: a sentence is a
    /// candidate when it holds a trigger of every set.
    full_masks: Vec<u8>,
    /// Rules without triggers: they run on every sentence.
    untriggered: Vec<usize>,
    /// Rules triggered by big lexicons' names: for each, an automaton of the
    /// names of each of its trigger sets.
    big_triggers: Vec<(usize, Vec<Names>)>,
    /// For each rule, its trigger sets (for `kgrep try`).
    rule_triggers: Vec<Vec<Vec<String>>>,
    /// Lexicon entries, normalised (lower-cased for `ignore case`), for
    /// lookups.
    lexicon_entries: Vec<LexiconEntries>,
    /// By lexicon: `ignore case`.
    ignore_case: Vec<bool>,
    /// Entity constraints, compiled.
    entity_constraints: Vec<Vec<CompiledConstraint>>,
    /// Entity text normalisers.
    entity_normalizers: Vec<Vec<Normalizer>>,
}

#[derive(Debug)]
struct CompiledRule {
    /// Where matches may start (it may find starts where no match starts:
    /// see `hir::relaxed`).
    find: Starts,
    /// The same pattern followed by `\z`, to assign captures to a match of known end.
    exact: Splitter,
    /// `exact` with the pattern's own `$` never matching, for a match that
    /// ends before its sentence does (the haystack is cut at the match's end,
    /// where `$` would otherwise hold). `None` when the pattern has no `$`.
    exact_inside: Option<Splitter>,
    /// Longest match from a given start.
    longest: DFA,
    /// The same by counting, for a row of classes that `longest` would
    /// crawl on (see [`runs::Runs::counts_widely`]).
    longest_row: Option<runs::Runs>,
    /// The same on a PikeVM, for a pattern with word boundaries when the
    /// lazy DFA gives up on non-ASCII text (it knows Unicode word boundaries
    /// only on ASCII).
    longest_words: Option<PikeVM>,
    /// The role of capture group `i + 1`.
    groups: Vec<Group>,
    /// The names of the rule's captures, for messages.
    capture_names: Vec<String>,
    constraints: Vec<CompiledConstraint>,
}

impl CompiledRule {
    /// The end of the longest match that starts at `span.start` and ends by
    /// `span.end`.
    fn longest_end(
        &self,
        caches: &mut RuleScratch,
        sentence: &str,
        span: Range<usize>,
    ) -> Option<usize> {
        if let Some(row) = &self.longest_row {
            return row.longest(sentence, span, &mut caches.row);
        }
        let input = Input::new(sentence).range(span).anchored(Anchored::Yes);
        match self.longest.try_search_fwd(&mut caches.longest, &input) {
            Ok(found) => found.map(|half| half.offset()),
            Err(_) => match (&self.longest_words, &mut caches.longest_words) {
                (Some(vm), Some((cache, captures))) => {
                    vm.search(cache, &input, captures);
                    captures.get_match().map(|found| found.end())
                }
                _ => None,
            },
        }
    }
}

#[derive(Debug)]
struct CompiledConstraint {
    capture: Option<CaptureId>,
    negated: bool,
    test: CompiledTest,
    origin: crate::rules::Origin,
}

#[derive(Debug)]
enum CompiledTest {
    InLexicon(LexiconId),
    Regex(Regex),
    Length(Compare, u32),
    /// `followed by`: the pattern, searched anchored where the text ends.
    FollowedBy(Regex),
    /// `preceded by`: the pattern then `\z`, searched in the sentence cut
    /// where the text starts, no further back than the pattern's longest
    /// match (`None`: unbounded).
    PrecededBy(Regex, Option<usize>),
    Any(Vec<CompiledConstraint>),
}

/// Why compiling failed (a pattern too big for the automata).
#[derive(Debug, thiserror::Error)]
#[error("cannot compile {what}: {message}")]
pub struct CompileError {
    what: String,
    message: String,
    origin: Option<crate::rules::Origin>,
}

impl CompileError {
    /// The declaration that could not be compiled, if one.
    pub fn origin(&self) -> Option<crate::rules::Origin> {
        self.origin
    }

    /// What went wrong, without saying where.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Per-thread scratch space: automaton caches for every rule.
#[derive(Debug)]
pub struct Scratch {
    /// By rule, made the first time the rule runs on this thread: with
    /// thousands of rules, most never run on a given corpus.
    rules: Vec<Option<Box<RuleScratch>>>,
}

/// Why a candidate could not be taken apart into its groups.
enum Unassigned {
    /// The capture automaton found no split (should not happen).
    NoSplit,
    /// A big lexicon's stand-in holds text that is not one of its entries.
    NotAnEntry,
}

/// One rule's automaton caches.
#[derive(Debug)]
struct RuleScratch {
    find: StartsCache,
    exact: SplitCache,
    exact_inside: Option<SplitCache>,
    longest: DfaCache,
    row: runs::RowScratch,
    longest_words: Option<(pikevm::Cache, Captures)>,
}

impl RuleScratch {
    fn new(rule: &CompiledRule) -> Box<RuleScratch> {
        Box::new(RuleScratch {
            find: rule.find.cache(),
            exact: rule.exact.cache(),
            exact_inside: rule.exact_inside.as_ref().map(Splitter::cache),
            longest: rule.longest.create_cache(),
            row: runs::RowScratch::default(),
            longest_words: rule
                .longest_words
                .as_ref()
                .map(|vm| (vm.create_cache(), vm.create_captures())),
        })
    }
}

/// How much rejected candidate text a rule may retry in one sentence, per
/// byte of the sentence (see [`Matcher::find_all`]).
pub const RETRY_BUDGET_PER_BYTE: usize = 4;

/// Up to this many trigger literals, the trigger scan is a DFA.
const TRIGGER_DFA_PATTERNS: usize = 20_000;

/// The retry budget of a short sentence, in bytes.
pub const RETRY_BUDGET_MIN: usize = 16 * 1024;

/// One match of one rule in one sentence. Spans are byte ranges in the
/// normalised sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleMatch {
    /// The rule (index in [`RuleSet::rules`]).
    pub rule: usize,
    /// The whole match.
    pub span: Range<usize>,
    /// Each capture's span, `None` when an optional capture did not take part.
    pub captures: Vec<Option<Range<usize>>>,
    /// Every entity mention inside the match.
    pub entities: Vec<(EntityId, Range<usize>)>,
}

/// Why a candidate was rejected, for `kgrep try`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The rule.
    pub rule: usize,
    /// The candidate match.
    pub span: Range<usize>,
    /// Which constraint failed, in words.
    pub reason: String,
    /// Where that constraint is written, when a `where` rejected it.
    pub constraint: Option<crate::rules::Origin>,
}

impl Matcher {
    /// Compiles `rules`.
    pub fn new(rules: &RuleSet) -> Result<Matcher, CompileError> {
        let lexicon_entries: Vec<LexiconEntries> = rules
            .lexicons
            .iter()
            .map(|lexicon| {
                lexicon
                    .entries
                    .iter()
                    .map(|entry| {
                        let text = normalize_str(&entry.text);
                        if !lexicon.ignore_case {
                            return (text, entry.target.clone());
                        }
                        // Found in any case, an entry stands for itself as written.
                        let target = match &entry.target {
                            EntryTarget::Text => EntryTarget::Canonical(entry.text.clone()),
                            target => target.clone(),
                        };
                        (text.to_lowercase(), target)
                    })
                    .collect()
            })
            .collect();
        let ignore_case = rules.lexicons.iter().map(|l| l.ignore_case).collect();
        use rayon::prelude::*;
        let sets: Vec<Vec<Vec<String>>> = rules
            .rules
            .par_iter()
            .map(|rule| trigger::trigger_sets(rule, rules))
            .collect();
        // The trigger automata are built while the rules compile.
        let (compiled, triggers) = rayon::join(
            || {
                rules
                    .rules
                    .par_iter()
                    .map(|rule| compile_rule(rules, rule))
                    .collect::<Vec<_>>()
                    .into_iter()
                    // The first rule that fails is the one reported.
                    .collect::<Result<Vec<_>, _>>()
            },
            || Triggers::new(sets),
        );
        let compiled = compiled?;
        let Triggers {
            triggers,
            trigger_rules,
            confirm,
            confirm_rules,
            full_masks,
            untriggered,
            big_triggers,
            rule_triggers,
        } = triggers?;
        let mut entity_constraints = Vec::new();
        for entity in &rules.entities {
            let compiled = compile_constraints(rules, &entity.constraints).map_err(|message| {
                CompileError {
                    what: format!("entity type `{}`", entity.name),
                    message,
                    origin: Some(entity.origin),
                }
            })?;
            entity_constraints.push(compiled);
        }
        let entity_normalizers = rules
            .entities
            .iter()
            .map(|entity| entity.normalizers.clone())
            .collect();
        Ok(Matcher {
            rules: compiled,
            triggers,
            trigger_rules,
            confirm,
            confirm_rules,
            full_masks,
            untriggered,
            big_triggers,
            rule_triggers,
            lexicon_entries,
            ignore_case,
            entity_constraints,
            entity_normalizers,
        })
    }

    /// Each rule's pattern as an ordinary regular expression (Rust `regex`
    /// syntax, which ripgrep reads), for comparing with other tools.
    pub fn regexes(rules: &RuleSet) -> Vec<String> {
        rules
            .rules
            .iter()
            .map(|rule| {
                let regex = hir::HirBuilder::without_groups(rules)
                    .build(&rule.pattern)
                    .to_string();
                // One a line: control characters (a class's \n) escaped, as
                // every regex syntax reads them.
                let mut escaped = String::with_capacity(regex.len());
                for c in regex.chars() {
                    if c.is_control() {
                        escaped.push_str(&format!("\\x{:02X}", c as u32));
                    } else {
                        escaped.push(c);
                    }
                }
                escaped
            })
            .collect()
    }

    /// Fresh automaton caches for one thread (each rule's made when it first runs).
    pub fn scratch(&self) -> Scratch {
        Scratch {
            rules: (0..self.rules.len()).map(|_| None).collect(),
        }
    }

    /// The role of each capture group of rule `rule`.
    pub fn groups(&self, rule: usize) -> &[Group] {
        &self.rules[rule].groups
    }

    /// For each sentence (byte ranges into `text`), the rules to run on it:
    /// those with a trigger of each of their trigger sets inside the
    /// sentence, and those without triggers. One pass over the text for each
    /// rule's most selective set; the sentences it finds are then searched
    /// for the other sets.
    pub fn candidates(&self, text: &str, sentences: &[Range<usize>]) -> Vec<Vec<usize>> {
        let mut candidates: Vec<Vec<usize>> = vec![self.untriggered.clone(); sentences.len()];
        let mut places = Places::default();
        for (rule, automata) in &self.big_triggers {
            for (index, range) in sentences.iter().enumerate() {
                let sentence = &text[range.clone()];
                if automata
                    .iter()
                    .all(|names| names.found_in(sentence, &mut places))
                {
                    candidates[index].push(*rule);
                }
            }
        }
        if let Some(triggers) = &self.triggers {
            // Two halves, cut where a sentence starts (no trigger that counts
            // crosses it), scanned at once: each with its next sentence and
            // the rules pending there.
            let middle = sentences.len() / 2;
            let cut = sentences.get(middle).map_or(text.len(), |s| s.start);
            let (offsets, ends) = ([0, cut], [middle, sentences.len()]);
            let mut halves = [0, middle].map(|sentence| {
                let pending = Pending {
                    masks: vec![0u8; self.rules.len()],
                    touched: Vec::new(),
                };
                (sentence, pending)
            });
            let bytes = text.as_bytes();
            let mut unconfirmed = Vec::new();
            triggers.find_in_halves([&bytes[..cut], &bytes[cut..]], |half, span, pattern| {
                let (start, end) = (span.start + offsets[half], span.end + offsets[half]);
                let (sentence, pending) = &mut halves[half];
                while *sentence < ends[half] && sentences[*sentence].end <= start {
                    let found = &mut candidates[*sentence];
                    pending.finish(self, *sentence, found, &mut unconfirmed);
                    *sentence += 1;
                }
                let Some(range) = sentences[..ends[half]].get(*sentence) else {
                    return;
                };
                if start >= range.start && end <= range.end {
                    for &rule in &self.trigger_rules[pattern.as_usize()] {
                        pending.add(rule);
                    }
                }
            });
            for ((sentence, mut pending), end) in halves.into_iter().zip(ends) {
                if sentence < end {
                    let found = &mut candidates[sentence];
                    pending.finish(self, sentence, found, &mut unconfirmed);
                }
            }
            self.confirm(text, sentences, &mut unconfirmed);
            for Unconfirmed { sentence, rules } in unconfirmed {
                let confirmed = rules
                    .iter()
                    .filter(|&&(rule, mask)| mask == self.full_masks[rule]);
                candidates[sentence].extend(confirmed.map(|&(rule, _)| rule));
            }
        }
        for list in &mut candidates {
            list.sort_unstable();
            list.dedup();
        }
        candidates
    }

    /// Looks for the other trigger sets of the rules waiting in each
    /// sentence of `unconfirmed`, two sentences at once.
    fn confirm(&self, text: &str, sentences: &[Range<usize>], unconfirmed: &mut [Unconfirmed]) {
        let Some(confirm) = &self.confirm else {
            return;
        };
        for pair in unconfirmed.chunks_mut(2) {
            let bytes = |index: usize| {
                pair.get(index)
                    .map_or(&b""[..], |u| text[sentences[u.sentence].clone()].as_bytes())
            };
            let texts = [bytes(0), bytes(1)];
            confirm.find_in_halves(texts, |half, _, pattern| {
                for &(rule, bit) in &self.confirm_rules[pattern.as_usize()] {
                    let waiting = pair[half].rules.iter_mut().find(|(r, _)| *r == rule);
                    if let Some((_, mask)) = waiting {
                        *mask |= bit;
                    }
                }
            });
        }
    }

    /// Every match of rule `rule` in `sentence`: leftmost-longest, not
    /// overlapping, passing every constraint. Rejected candidates go to
    /// `rejections` when it is given.
    ///
    /// A rejected candidate is retried with every shorter end, then from the
    /// next start; that search is bounded: the candidates rejected in one
    /// sentence may hold at most [`RETRY_BUDGET_PER_BYTE`] times the
    /// sentence's length in text (at least [`RETRY_BUDGET_MIN`] bytes), after
    /// which the rule gives up on the sentence (and `try` says so). Each
    /// candidate costs time linear in its length, so a rule costs time linear
    /// in the sentence, whatever its constraints.
    pub fn find_all(
        &self,
        rule: usize,
        sentence: &str,
        scratch: &mut Scratch,
        mut rejections: Option<&mut Vec<Rejection>>,
    ) -> Vec<RuleMatch> {
        let compiled = &self.rules[rule];
        let mut matches = Vec::new();
        let mut at = 0;
        let mut budget = (RETRY_BUDGET_PER_BYTE * sentence.len()).max(RETRY_BUDGET_MIN);
        let caches = scratch.rules[rule].get_or_insert_with(|| RuleScratch::new(compiled));
        compiled.find.prepare(&mut caches.find, sentence);
        'starts: while at <= sentence.len() {
            let Some(start) = compiled.find.next(&mut caches.find, sentence, at) else {
                break;
            };
            let mut limit = sentence.len();
            let mut accepted = None;
            while limit > start {
                let Some(end) = compiled.longest_end(caches, sentence, start..limit) else {
                    break;
                };
                if end == start {
                    break;
                }
                let inside = end < sentence.len();
                let candidate = self.assign(rule, &sentence[..end], start, inside, caches);
                // A big lexicon's stand-in that is no entry is a cheap miss (a
                // lookup; at most a few per start): neither charged nor shown.
                if let Err(Unassigned::NotAnEntry) = candidate {
                    limit = end - 1;
                    continue;
                }
                match candidate
                    .map_err(|_| {
                        (
                            "the match could not be split into its captures".to_owned(),
                            None,
                        )
                    })
                    .and_then(|candidate| self.check(rule, sentence, candidate))
                {
                    Ok(found) => {
                        accepted = Some(found);
                        break;
                    }
                    Err(reason) => {
                        if let Some(rejections) = rejections.as_deref_mut() {
                            let (reason, constraint) = reason;
                            rejections.push(Rejection {
                                rule,
                                span: start..end,
                                reason,
                                constraint,
                            });
                        }
                        budget = budget.saturating_sub(end - start);
                        if budget == 0 {
                            if let Some(rejections) = rejections.as_deref_mut() {
                                rejections.push(Rejection {
                                    rule,
                                    span: start..end,
                                    reason: format!(
                                        "gave up on the rest of the sentence: its rejected candidates reached the retry budget ({}× the sentence's length)",
                                        RETRY_BUDGET_PER_BYTE
                                    ),
                                    constraint: None,
                                });
                            }
                            break 'starts;
                        }
                        limit = end - 1;
                    }
                }
            }
            match accepted {
                Some(found) => {
                    at = found.span.end;
                    matches.push(found);
                }
                None => at = next_char(sentence, start),
            }
        }
        matches
    }

    /// Captures of the match of rule `rule` that spans `start..haystack.len()`;
    /// `inside`: the sentence goes on after it (so the pattern's `$` cannot
    /// match at its end).
    fn assign(
        &self,
        rule: usize,
        haystack: &str,
        start: usize,
        inside: bool,
        scratch: &mut RuleScratch,
    ) -> Result<RuleMatch, Unassigned> {
        let compiled = &self.rules[rule];
        let captures = match (&compiled.exact_inside, &mut scratch.exact_inside) {
            (Some(splitter), Some(cache)) if inside => splitter.split(cache, haystack, start),
            _ => compiled.exact.split(&mut scratch.exact, haystack, start),
        };
        if !captures.is_match() {
            return Err(Unassigned::NoSplit);
        }
        let mut capture_spans = Vec::new();
        let mut entities = Vec::new();
        for (index, role) in compiled.groups.iter().enumerate() {
            let span = captures
                .get_group(index + 1)
                .map(|span| span.start..span.end);
            match role {
                Group::Capture(id) => {
                    if capture_spans.len() <= id.0 {
                        capture_spans.resize(id.0 + 1, None);
                    }
                    if span.is_some() {
                        capture_spans[id.0] = span;
                    }
                }
                Group::Entity(entity) => {
                    if let Some(span) = span {
                        entities.push((*entity, span));
                    }
                }
                Group::Lexicon(lexicon) => {
                    if let Some(span) = span {
                        let text = &haystack[span];
                        if self.lexicon_entry(*lexicon, text).is_none() {
                            return Err(Unassigned::NotAnEntry);
                        }
                    }
                }
            }
        }
        Ok(RuleMatch {
            rule,
            span: start..haystack.len(),
            captures: capture_spans,
            entities,
        })
    }

    /// Applies entity and rule constraints; a failure says why and names the
    /// constraint.
    fn check(
        &self,
        rule: usize,
        sentence: &str,
        found: RuleMatch,
    ) -> Result<RuleMatch, (String, Option<crate::rules::Origin>)> {
        for (entity, span) in &found.entities {
            let constraints = &self.entity_constraints[entity.0];
            if constraints.is_empty() {
                continue;
            }
            let text = self.entity_text(*entity, &sentence[span.clone()]);
            for constraint in constraints {
                if !self.holds(constraint, sentence, span, &text, &found) {
                    return Err((
                        format!("entity mention \"{text}\" fails a `where` of its entity type"),
                        Some(constraint.origin),
                    ));
                }
            }
        }
        for constraint in &self.rules[rule].constraints {
            let span = match constraint.capture {
                Some(capture) => match found.captures.get(capture.0) {
                    Some(Some(span)) => span.clone(),
                    _ => continue,
                },
                None => found.span.clone(),
            };
            let text = &sentence[span.clone()];
            if !self.holds(constraint, sentence, &span, text, &found) {
                let what = match constraint.capture {
                    Some(capture) => {
                        let name = &self.rules[rule].capture_names[capture.0];
                        format!("${name} = \"{text}\"")
                    }
                    None => format!("the match \"{text}\""),
                };
                return Err((
                    format!("{what} fails a `where` constraint"),
                    Some(constraint.origin),
                ));
            }
        }
        Ok(found)
    }

    /// The sets of (normalised) literals every match of rule `rule` holds one
    /// of each; a sentence without one of each is not tried.
    pub fn trigger_sets(&self, rule: usize) -> &[Vec<String>] {
        &self.rule_triggers[rule]
    }

    /// How far rule `rule` gets in `sentence`: the most leading parts of its
    /// pattern (a sequence) that match somewhere, out of how many, and where.
    /// Constraints are not applied. For `kgrep try`, not for extraction.
    pub fn longest_partial(
        &self,
        rules: &RuleSet,
        rule: usize,
        sentence: &str,
    ) -> Option<(usize, usize, Range<usize>)> {
        let parts: Vec<crate::rules::Pattern> = match &rules.rules[rule].pattern {
            crate::rules::Pattern::Concat(parts) => parts.clone(),
            other => vec![other.clone()],
        };
        let mut best = None;
        for count in 1..=parts.len() {
            let prefix = crate::rules::Pattern::Concat(parts[..count].to_vec());
            let hir = hir::HirBuilder::without_groups(rules).build(&prefix);
            let regex = meta_regex(&hir).ok()?;
            match regex.find(sentence) {
                Some(found) => best = Some((count, parts.len(), found.start()..found.end())),
                None => break,
            }
        }
        best
    }

    /// What the (normalised) lexicon entry `text` of `lexicon` stands for,
    /// if it is an entry.
    pub fn lexicon_entry(&self, lexicon: LexiconId, text: &str) -> Option<&EntryTarget> {
        let entries = &self.lexicon_entries[lexicon.0];
        if self.ignore_case[lexicon.0] {
            entries.get(&text.to_lowercase())
        } else {
            entries.get(text)
        }
    }

    /// The text of an entity mention after the entity's normalisers.
    pub fn entity_text(&self, entity: EntityId, text: &str) -> String {
        apply_text_normalizers(&self.entity_normalizers[entity.0], text)
    }

    /// Whether `constraint` holds of `text`, which is `span` of `sentence`
    /// (after its entity's normalisers, for an entity's constraint). An
    /// `or` of constraints tests the captures of `found` it names.
    fn holds(
        &self,
        constraint: &CompiledConstraint,
        sentence: &str,
        span: &Range<usize>,
        text: &str,
        found: &RuleMatch,
    ) -> bool {
        let result = match &constraint.test {
            CompiledTest::InLexicon(lexicon) => self.lexicon_entry(*lexicon, text).is_some(),
            CompiledTest::Regex(regex) => regex.is_match(text),
            CompiledTest::FollowedBy(regex) => {
                let input = Input::new(sentence)
                    .range(span.end..)
                    .anchored(Anchored::Yes)
                    .earliest(true);
                regex.search_half(&input).is_some()
            }
            CompiledTest::PrecededBy(regex, longest) => {
                let haystack = &sentence[..span.start];
                let mut from = longest.map_or(0, |longest| span.start.saturating_sub(longest));
                while !haystack.is_char_boundary(from) {
                    from -= 1;
                }
                regex.is_match(Input::new(haystack).range(from..))
            }
            CompiledTest::Any(alternatives) => alternatives.iter().any(|alternative| {
                let span = match alternative.capture {
                    Some(capture) => match found.captures.get(capture.0) {
                        Some(Some(span)) => span.clone(),
                        // An unbound capture passes its tests, as elsewhere.
                        _ => return true,
                    },
                    None => span.clone(),
                };
                let text = if alternative.capture.is_some() {
                    &sentence[span.clone()]
                } else {
                    text
                };
                self.holds(alternative, sentence, &span, text, found)
            }),
            CompiledTest::Length(op, bound) => {
                let length = text.chars().count() as u64;
                let bound = u64::from(*bound);
                match op {
                    Compare::Less => length < bound,
                    Compare::LessEqual => length <= bound,
                    Compare::Greater => length > bound,
                    Compare::GreaterEqual => length >= bound,
                    Compare::Equal => length == bound,
                    Compare::NotEqual => length != bound,
                }
            }
        };
        result != constraint.negated
    }
}

/// Applies text normalisers in order.
pub fn apply_text_normalizers(normalizers: &[Normalizer], text: &str) -> String {
    let mut text = text.to_owned();
    for normalizer in normalizers {
        match normalizer {
            Normalizer::StripQuotes => strip_quotes(&mut text),
            Normalizer::Trim => {
                let trimmed = text.trim();
                if trimmed.len() != text.len() {
                    text = trimmed.to_owned();
                }
            }
            Normalizer::Nfkc => text = normalize_str(&text),
            Normalizer::Lowercase => {
                let lower = |c: char| {
                    let mut lower = c.to_lowercase();
                    lower.next() == Some(c) && lower.next().is_none()
                };
                if !text.chars().all(lower) {
                    text = text.to_lowercase();
                }
            }
            Normalizer::Number | Normalizer::Date | Normalizer::Approximate => {}
        }
    }
    text
}

/// What `strip_quotes` removes.
const QUOTES: &[char] = &[
    '“', '”', '‘', '’', '「', '」', '『', '』', '《', '》', '〈', '〉', '"', '\'', '«', '»', '„',
    '‟', '<', '>',
];

/// Removes the quotation marks of `text`; an apostrophe between two letters
/// or digits belongs to the word (Acme Corp's, O'Brien) and stays. Text
/// without quotes (most names) is left as it is, unread twice.
fn strip_quotes(text: &mut String) {
    if !text.contains(QUOTES) {
        return;
    }
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let mut stripped = String::with_capacity(text.len());
    let mut before = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let apostrophe = matches!(c, '\'' | '’') && word(before) && word(chars.peek().copied());
        if apostrophe || !QUOTES.contains(&c) {
            stripped.push(c);
        }
        before = Some(c);
    }
    *text = stripped;
}

/// A big lexicon's names as a trigger: the names in a hash set, and a filter
/// of their first two characters, so that the set is asked only where a name
/// may start (then once for each length a name has). Neither Aho–Corasick
/// (ten seconds and a gigabyte for a million names) nor a finite-state
/// automaton (over a second) builds as fast.
#[derive(Debug)]
struct Names {
    names: std::collections::HashSet<String, foldhash::fast::FixedState>,
    /// The fewest and the most characters a name has.
    shortest: usize,
    longest: usize,
    /// A bit per hash of a name's first two characters; `None` when a name
    /// is one character.
    starts: Option<Vec<u64>>,
    /// A bit per hash of a name's first three characters, asked where
    /// `starts` lets a name start (a table the size of the names, so a few
    /// in a hundred pass); `None` when a name is shorter.
    triples: Option<Vec<u64>>,
}

/// Bits of the filter of [`Names`]: a 2 MB table, mostly empty for a
/// million names.
const NAME_START_BITS: u32 = 24;

impl Names {
    fn new(names: &[String]) -> Names {
        let mut starts = Some(vec![0u64; 1 << (NAME_START_BITS - 6)]);
        let triple_bits = triple_bits(names.len());
        let mut triples = Some(vec![0u64; 1 << (triple_bits - 6)]);
        let (mut shortest, mut longest) = (usize::MAX, 0);
        for name in names {
            let count = name.chars().count();
            (shortest, longest) = (shortest.min(count), longest.max(count));
            let mut chars = name.chars();
            let (first, second, third) = (chars.next(), chars.next(), chars.next());
            match (first, second, &mut starts) {
                (Some(first), Some(second), Some(bits)) => {
                    set_bit(bits, start_hash(first, second));
                    match (third, &mut triples) {
                        (Some(third), Some(bits)) => {
                            set_bit(bits, triple_hash(first, second, third, triple_bits));
                        }
                        _ => triples = None,
                    }
                }
                _ => (starts, triples) = (None, None),
            }
        }
        Names {
            names: {
                let mut set = std::collections::HashSet::with_capacity_and_hasher(
                    names.len(),
                    foldhash::fast::FixedState::default(),
                );
                set.extend(names.iter().cloned());
                set
            },
            shortest,
            longest,
            starts,
            triples,
        }
    }

    /// Whether `text` holds one of the names. `places` is a buffer the
    /// caller keeps between calls.
    ///
    /// The filters are asked for every place first, without a branch on
    /// their answers, so that their lookups (misses in tables of megabytes)
    /// overlap instead of waiting one for another; only the places both let
    /// through are looked up in the set.
    fn found_in(&self, text: &str, places: &mut Places) -> bool {
        let Places { chars, at } = places;
        chars.clear();
        chars.extend(text.char_indices());
        chars.push((text.len(), '\0'));
        let count = chars.len() - 1;
        at.clear();
        at.resize(count, 0);
        let mut kept = 0;
        match &self.starts {
            Some(bits) => {
                for index in 0..count.saturating_sub(1) {
                    at[kept] = index;
                    kept += usize::from(has_bit(
                        bits,
                        start_hash(chars[index].1, chars[index + 1].1),
                    ));
                }
            }
            None => {
                at.iter_mut()
                    .enumerate()
                    .for_each(|(index, at)| *at = index);
                kept = count;
            }
        }
        if let Some(bits) = &self.triples {
            let bits_len = (bits.len() << 6).trailing_zeros();
            let mut through = 0;
            for next in 0..kept {
                let index = at[next];
                at[through] = index;
                let (first, second, third) =
                    (chars[index].1, chars[index + 1].1, chars[index + 2].1);
                through += usize::from(has_bit(bits, triple_hash(first, second, third, bits_len)));
            }
            kept = through;
        }
        at[..kept].iter().any(|&index| {
            let start = chars[index].0;
            let ends = chars[index + 1..].iter().map(|&(end, _)| end);
            (1..=self.longest).zip(ends).any(|(count, end)| {
                count >= self.shortest && self.names.contains(&text[start..end])
            })
        })
    }
}

/// Buffers for [`Names::found_in`]: a sentence's characters and the places
/// a name may start.
#[derive(Default)]
struct Places {
    /// Each character with its offset, then the end of the text.
    chars: Vec<(usize, char)>,
    at: Vec<usize>,
}

/// The rules whose first trigger set the sentence at hand holds, waiting
/// for their other sets to be looked for (see [`Matcher::candidates`]).
struct Pending {
    /// By rule: bit 0 for the first set, the others as they are found;
    /// 0 for a rule not touched.
    masks: Vec<u8>,
    touched: Vec<usize>,
}

impl Pending {
    fn add(&mut self, rule: usize) {
        if self.masks[rule] == 0 {
            self.touched.push(rule);
            self.masks[rule] = 1;
        }
    }

    /// Adds to `candidates` the rules touched whose trigger sets are all
    /// found, queues the others in `unconfirmed` (their other sets are looked
    /// for later, see [`Matcher::confirm`]), and starts afresh.
    fn finish(
        &mut self,
        matcher: &Matcher,
        sentence: usize,
        candidates: &mut Vec<usize>,
        unconfirmed: &mut Vec<Unconfirmed>,
    ) {
        if self.touched.is_empty() {
            return;
        }
        let mut waiting = Vec::new();
        for rule in self.touched.drain(..) {
            let mask = std::mem::take(&mut self.masks[rule]);
            if mask == matcher.full_masks[rule] {
                candidates.push(rule);
            } else {
                waiting.push((rule, mask));
            }
        }
        if !waiting.is_empty() {
            unconfirmed.push(Unconfirmed {
                sentence,
                rules: waiting,
            });
        }
    }
}

/// The automata that find each rule's candidate sentences (see the fields
/// of [`Matcher`] of the same names), built from the rules' trigger sets.
struct Triggers {
    triggers: Option<overlap::Scanner>,
    trigger_rules: Vec<Vec<usize>>,
    confirm: Option<overlap::Scanner>,
    confirm_rules: Targets,
    full_masks: Vec<u8>,
    untriggered: Vec<usize>,
    big_triggers: Vec<(usize, Vec<Names>)>,
    rule_triggers: Vec<Vec<Vec<String>>>,
}

impl Triggers {
    /// From each rule's trigger sets.
    fn new(rule_triggers: Vec<Vec<Vec<String>>>) -> Result<Triggers, CompileError> {
        let (mut first, mut others) = (Literals::default(), Literals::default());
        let (mut full_masks, mut untriggered, mut big_triggers) =
            (Vec::new(), Vec::new(), Vec::new());
        for (index, sets) in rule_triggers.iter().enumerate() {
            if sets.is_empty() {
                untriggered.push(index);
            }
            full_masks.push(((1u16 << sets.len()) - 1) as u8);
            if sets.iter().any(|set| set.len() > trigger::MAX_TRIGGERS) {
                // A big lexicon's names (then all its sets are such: see
                // `trigger::best`).
                let automata = sets.iter().map(|set| Names::new(set)).collect();
                big_triggers.push((index, automata));
                continue;
            }
            for (bit, set) in sets.iter().enumerate() {
                let literals = if bit == 0 { &mut first } else { &mut others };
                for literal in set {
                    literals.add(literal, (index, 1 << bit));
                }
            }
        }
        let (triggers, trigger_rules) = first.scanner()?;
        let trigger_rules = trigger_rules
            .into_iter()
            .map(|rules| rules.into_iter().map(|(rule, _)| rule).collect())
            .collect();
        let (confirm, confirm_rules) = others.scanner()?;
        Ok(Triggers {
            triggers,
            trigger_rules,
            confirm,
            confirm_rules,
            full_masks,
            untriggered,
            big_triggers,
            rule_triggers,
        })
    }
}

/// A sentence whose rules hold their first trigger set and wait for the
/// others: `(rule, the bits of its sets found)`.
struct Unconfirmed {
    sentence: usize,
    rules: Vec<(usize, u8)>,
}

/// For each literal (by pattern id), the rules it triggers, with the bit of
/// the rule's trigger set it stands for.
type Targets = Vec<Vec<(usize, u8)>>;

/// Trigger literals being collected, each once, with what each stands for.
#[derive(Default)]
struct Literals {
    ids: HashMap<String, usize>,
    literals: Vec<String>,
    targets: Targets,
}

impl Literals {
    fn add(&mut self, literal: &str, target: (usize, u8)) {
        let next = self.literals.len();
        let id = *self.ids.entry(literal.to_owned()).or_insert(next);
        if id == next {
            self.literals.push(literal.to_owned());
            self.targets.push(Vec::new());
        }
        self.targets[id].push(target);
    }

    /// The scanner finding every literal (overlapping) in a text, and the
    /// targets by pattern id; none without literals.
    fn scanner(self) -> Result<(Option<overlap::Scanner>, Targets), CompileError> {
        if self.literals.is_empty() {
            return Ok((None, self.targets));
        }
        let scanner = overlap::Scanner::new(&self.literals).map_err(|error| CompileError {
            what: "the triggers".into(),
            message: error.to_string(),
            origin: None,
        })?;
        Ok((Some(scanner), self.targets))
    }
}

/// Bits of the filter of names' first three characters: about 64 a name
/// (so a few in a hundred places pass), from 64 KB to 32 MB.
fn triple_bits(names: usize) -> u32 {
    (names
        .saturating_mul(64)
        .next_power_of_two()
        .trailing_zeros())
    .clamp(19, 28)
}

fn triple_hash(first: char, second: char, third: char, bits: u32) -> usize {
    let key = (u64::from(first) << 42 | u64::from(second) << 21 | u64::from(third))
        .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (key >> (64 - bits)) as usize
}

fn set_bit(bits: &mut [u64], at: usize) {
    bits[at >> 6] |= 1 << (at & 63);
}

fn has_bit(bits: &[u64], at: usize) -> bool {
    bits[at >> 6] & (1 << (at & 63)) != 0
}

fn start_hash(first: char, second: char) -> usize {
    let key = (u64::from(first) << 21 | u64::from(second)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (key >> (64 - NAME_START_BITS)) as usize
}

/// Compiles one rule (rules compile in parallel).
fn compile_rule(rules: &RuleSet, rule: &crate::rules::Rule) -> Result<CompiledRule, CompileError> {
    let what = || format!("rule `{}`", rule.name);
    let origin = Some(rule.origin);
    let mut builder = hir::HirBuilder::new(rules);
    let tightened = lengths::pattern_with_lengths(rule);
    let hir = builder.build(tightened.as_ref().unwrap_or(&rule.pattern));
    let groups = builder.groups;
    let error = |message| CompileError {
        what: what(),
        message,
        origin,
    };
    // Where matches start; with wide repetitions left open (`hir::relaxed`).
    let find = Starts::new(hir::relaxed(&hir).as_ref().unwrap_or(&hir)).map_err(error)?;
    let exact =
        Splitter::new(Hir::concat(vec![hir.clone(), Hir::look(Look::End)])).map_err(error)?;
    let exact_inside = hir::without_end(&hir)
        .map(|inside| Splitter::new(Hir::concat(vec![inside, Hir::look(Look::End)])))
        .transpose()
        .map_err(error)?;
    let longest = all_matches_dfa(&hir, false).map_err(error)?;
    let longest_row = runs::Runs::new(&hir)
        .filter(|row| hir.properties().look_set().is_empty() && row.counts_widely());
    let longest_words = if hir.properties().look_set().contains_word_unicode() {
        Some(longest_pikevm(&hir).map_err(error)?)
    } else {
        None
    };
    let constraints = compile_constraints(rules, &rule.constraints).map_err(error)?;
    let capture_names = rule
        .captures
        .iter()
        .map(|capture| capture.name.clone())
        .collect();
    Ok(CompiledRule {
        find,
        exact,
        exact_inside,
        longest,
        longest_row,
        longest_words,
        groups,
        capture_names,
        constraints,
    })
}

fn next_char(text: &str, at: usize) -> usize {
    text[at..]
        .chars()
        .next()
        .map_or(at + 1, |c| at + c.len_utf8())
}

/// Where a rule's matches start, found before the match's end is.
///
/// Both search the pattern cut to what a match must take at its end
/// (`hir::without_tail`): it starts where the pattern does.
///
/// For a pattern that ends no more loosely than it starts (see
/// [`ends_better_than_it_starts`]), or that opens with an open repetition
/// of a wide class: one pass of a reverse lazy DFA that
/// reports every match (`MatchKind::All`), from the sentence's end to its
/// start, is in a matching state exactly where a match starts; the starts
/// are kept and asked in order. A forward unanchored search would follow
/// every start at once through the pattern's leading repetition
/// (`\p{Han}{2,12}…`): its DFA has far more states, each built once per
/// thread. Other patterns, and those with a Unicode word boundary (which the
/// lazy DFA gives up on outside ASCII), are searched with a meta regex
/// (leftmost-first, from each position on, its repetitions lazy so that a
/// search stops at the first start's shortest match: `hir::lazy`). Both are
/// linear in the sentence: one pass per rule and sentence, or one search
/// per start, as long as the shortest match (an open start would make the
/// meta regex's reverse half run back to where the search began).
#[derive(Debug)]
enum Starts {
    Reverse(Box<DFA>),
    Meta(Regex),
}

/// A thread's caches for one [`Starts`].
#[derive(Debug)]
enum StartsCache {
    /// The lazy DFA's cache and, from the end, the starts not yet asked for.
    Reverse(Box<DfaCache>, Vec<usize>),
    Meta(Box<meta::Cache>),
}

impl Starts {
    fn new(hir: &Hir) -> Result<Starts, String> {
        // Its matches start where those of `hir` do.
        let cut = hir::without_tail(hir);
        let cut = cut.as_ref().unwrap_or(hir);
        let opens_wide = loose_chars(cut, false).0 == usize::MAX;
        if hir.properties().look_set().contains_word_unicode()
            || !(ends_better_than_it_starts(hir) || opens_wide)
        {
            Starts::meta(cut)
        } else {
            Starts::reverse(cut)
        }
    }

    /// The forward search, its repetitions made lazy.
    fn meta(hir: &Hir) -> Result<Starts, String> {
        meta_regex(&hir::lazy(hir)).map(Starts::Meta)
    }

    fn reverse(hir: &Hir) -> Result<Starts, String> {
        all_matches_dfa(hir, true).map(|dfa| Starts::Reverse(Box::new(dfa)))
    }

    fn cache(&self) -> StartsCache {
        match self {
            Starts::Reverse(dfa) => StartsCache::Reverse(Box::new(dfa.create_cache()), Vec::new()),
            Starts::Meta(regex) => StartsCache::Meta(Box::new(regex.create_cache())),
        }
    }

    /// Finds the starts in `sentence` (for the reverse DFA).
    fn prepare(&self, cache: &mut StartsCache, sentence: &str) {
        if let (Starts::Reverse(dfa), StartsCache::Reverse(cache, starts)) = (self, cache) {
            starts.clear();
            reverse_starts(dfa, cache, sentence, starts);
        }
    }

    /// The first start at or after `at` (on a character boundary).
    fn next(&self, cache: &mut StartsCache, sentence: &str, at: usize) -> Option<usize> {
        match (self, cache) {
            (Starts::Reverse(_), StartsCache::Reverse(_, starts)) => {
                // Kept from the end: the next start is the last one.
                while let Some(&start) = starts.last() {
                    if start >= at && sentence.is_char_boundary(start) {
                        return Some(start);
                    }
                    starts.pop();
                }
                None
            }
            (Starts::Meta(regex), StartsCache::Meta(cache)) => regex
                .search_with(cache, &Input::new(sentence).range(at..))
                .map(|found| found.start()),
            _ => unreachable!("a cache is made by its own kind of search"),
        }
    }
}

/// Whether a pattern is better searched from its end: it takes no more
/// characters of a wide class (such as `\p{Han}`) before its last literal or
/// narrow class than before its first, and not an open number. Names before
/// their suffix (`\p{Han}{2,12} "党委"`) start loosely and end on a word: a
/// forward search follows every start through the repetition at once, a
/// reverse one only the ends of words. `\p{Han}{1,4} "的" \p{Han}{2,12}` and
/// `"新华社" \p{Han}{2,4}` end more loosely than they start, and are searched
/// forward (the second with a prefilter for its literal).
fn ends_better_than_it_starts(hir: &Hir) -> bool {
    let (trailing, _) = loose_chars(hir, true);
    let (leading, _) = loose_chars(hir, false);
    trailing <= leading && trailing != usize::MAX
}

/// A class of more characters than this is wide (a narrow one, such as a
/// few place suffixes, stops a search as a literal does).
const WIDE_CLASS: u32 = 64;

/// How many characters of wide classes `hir` may take from its start (or
/// its end) before a literal or a narrow class, at most (`usize::MAX` for
/// an open repetition), and whether every path reaches one.
fn loose_chars(hir: &Hir, from_end: bool) -> (usize, bool) {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => (0, false),
        HirKind::Literal(_) => (0, true),
        HirKind::Class(class) => {
            let size: u32 = match class {
                Class::Unicode(class) => class
                    .ranges()
                    .iter()
                    .map(|range| u32::from(range.end()) - u32::from(range.start()) + 1)
                    .sum(),
                Class::Bytes(class) => class
                    .ranges()
                    .iter()
                    .map(|range| u32::from(range.end()) - u32::from(range.start()) + 1)
                    .sum(),
            };
            if size > WIDE_CLASS {
                (1, false)
            } else {
                (0, true)
            }
        }
        HirKind::Capture(capture) => loose_chars(&capture.sub, from_end),
        HirKind::Repetition(repetition) => {
            let (loose, stops) = loose_chars(&repetition.sub, from_end);
            if stops && repetition.min > 0 {
                return (loose, true);
            }
            let times = repetition.max.map_or(usize::MAX, |max| max as usize);
            let loose = if loose == 0 {
                0
            } else {
                loose.saturating_mul(times)
            };
            (loose, false)
        }
        HirKind::Concat(parts) => {
            let mut total = 0usize;
            let mut step = |part: &Hir| {
                let (loose, stops) = loose_chars(part, from_end);
                total = total.saturating_add(loose);
                stops
            };
            let stops = if from_end {
                parts.iter().rev().any(&mut step)
            } else {
                parts.iter().any(&mut step)
            };
            (total, stops)
        }
        HirKind::Alternation(alternatives) => alternatives
            .iter()
            .map(|alternative| loose_chars(alternative, from_end))
            .fold((0, true), |(loose, stops), (other, other_stops)| {
                (loose.max(other), stops && other_stops)
            }),
    }
}

/// Pushes, from the last to the first, every position of `sentence` where
/// `dfa` (reverse, every match) finds a match starting. The lazy DFA's match
/// states are one byte late: a matching state after the byte at `at` is a
/// match starting at `at + 1`, and after the end of input one at 0. Should
/// the DFA fail (it is built so that it cannot: no quit bytes, no cache
/// limit to give up at), every character boundary is a start: slower, but
/// no match is lost.
fn reverse_starts(dfa: &DFA, cache: &mut DfaCache, sentence: &str, starts: &mut Vec<usize>) {
    if reverse_pass(dfa, cache, sentence, starts).is_none() {
        starts.clear();
        starts.extend(
            (0..=sentence.len())
                .rev()
                .filter(|&at| sentence.is_char_boundary(at)),
        );
    }
}

/// [`reverse_starts`]' pass; `None` when the DFA fails.
fn reverse_pass(
    dfa: &DFA,
    cache: &mut DfaCache,
    sentence: &str,
    starts: &mut Vec<usize>,
) -> Option<()> {
    let bytes = sentence.as_bytes();
    let mut state = dfa.start_state_reverse(cache, &Input::new(sentence)).ok()?;
    let mut at = bytes.len();
    while at > 0 {
        at -= 1;
        state = dfa.next_state(cache, state, bytes[at]).ok()?;
        if state.is_tagged() {
            if state.is_match() {
                starts.push(at + 1);
            } else if state.is_dead() {
                return Some(());
            } else if state.is_quit() {
                return None;
            }
        }
    }
    if dfa.next_eoi_state(cache, state).ok()?.is_match() {
        starts.push(0);
    }
    Some(())
}

fn meta_regex(hir: &Hir) -> Result<Regex, String> {
    Regex::builder()
        .configure(
            Regex::config()
                .backtrack(false)
                .hybrid_cache_capacity(16 << 20)
                .nfa_size_limit(Some(64 << 20)),
        )
        .build_from_hir(hir)
        .map_err(|error| error.to_string())
}

/// Assigns the captures of a match whose span is known. For a pattern that
/// is a row of characters repeated, by counting rounds (see [`runs`]): an NFA
/// would hold a copy of the class for every round. Otherwise a bounded
/// backtracker, when the match is short enough for its visited set: it
/// follows the preferred path first, so a greedy split costs about the match's
/// length; else a PikeVM (which steps every NFA state at every byte), both
/// over one NFA. All three split leftmost-first, alike, and all are linear:
/// the backtracker visits each (state, position) pair at most once, the row
/// fills a table of items × characters.
#[derive(Debug)]
enum Splitter {
    Runs {
        runs: runs::Runs,
        groups: GroupInfo,
    },
    Automata {
        backtracker: BoundedBacktracker,
        pikevm: PikeVM,
    },
}

/// A thread's caches for one [`Splitter`].
#[derive(Debug)]
struct SplitCache {
    captures: Captures,
    backtrack: Option<backtrack::Cache>,
    pikevm: Option<pikevm::Cache>,
}

/// The visited set of a split's backtracker may take this many bytes (a bit
/// per NFA state and haystack byte); longer matches go to the PikeVM.
const BACKTRACK_VISITED_BYTES: usize = 1 << 20;

impl Splitter {
    fn new(hir: Hir) -> Result<Splitter, String> {
        if let Some(runs) = runs::Runs::new(&hir) {
            let groups = vec![None::<&str>; hir.properties().explicit_captures_len() + 1];
            if let Ok(groups) = GroupInfo::new([groups]) {
                return Ok(Splitter::Runs { runs, groups });
            }
        }
        let nfa = thompson::Compiler::new()
            .configure(thompson::Config::new().nfa_size_limit(Some(64 << 20)))
            .build_from_hir(&hir)
            .map_err(|error| error.to_string())?;
        let backtracker = BoundedBacktracker::builder()
            .configure(BoundedBacktracker::config().visited_capacity(BACKTRACK_VISITED_BYTES))
            .build_from_nfa(nfa.clone())
            .map_err(|error| error.to_string())?;
        let pikevm = PikeVM::new_from_nfa(nfa).map_err(|error| error.to_string())?;
        Ok(Splitter::Automata {
            backtracker,
            pikevm,
        })
    }

    fn cache(&self) -> SplitCache {
        let captures = match self {
            Splitter::Runs { groups, .. } => Captures::all(groups.clone()),
            Splitter::Automata { pikevm, .. } => pikevm.create_captures(),
        };
        SplitCache {
            captures,
            backtrack: None,
            pikevm: None,
        }
    }

    /// The captures of the match of `haystack[start..]` (none found: not a
    /// match).
    fn split<'c>(&self, cache: &'c mut SplitCache, haystack: &str, start: usize) -> &'c Captures {
        let (backtracker, pikevm) = match self {
            Splitter::Runs { runs, .. } => {
                runs.split(haystack, start..haystack.len(), &mut cache.captures);
                return &cache.captures;
            }
            Splitter::Automata {
                backtracker,
                pikevm,
            } => (backtracker, pikevm),
        };
        let input = &Input::new(haystack).range(start..).anchored(Anchored::Yes);
        if input.get_span().len() <= backtracker.max_haystack_len() {
            let bt_cache = cache
                .backtrack
                .get_or_insert_with(|| backtracker.create_cache());
            if backtracker
                .try_search(bt_cache, input, &mut cache.captures)
                .is_ok()
            {
                return &cache.captures;
            }
        }
        let vm_cache = cache.pikevm.get_or_insert_with(|| pikevm.create_cache());
        pikevm.search(vm_cache, input, &mut cache.captures);
        &cache.captures
    }
}

fn longest_pikevm(hir: &Hir) -> Result<PikeVM, String> {
    let nfa = thompson::Compiler::new()
        .configure(thompson::Config::new().nfa_size_limit(Some(64 << 20)))
        .build_from_hir(hir)
        .map_err(|error| error.to_string())?;
    PikeVM::builder()
        .configure(PikeVM::config().match_kind(MatchKind::All))
        .build_from_nfa(nfa)
        .map_err(|error| error.to_string())
}

/// A lazy DFA that reports every match (`MatchKind::All`): forward, the
/// longest end from a start; reverse, every start (see [`Starts`]).
fn all_matches_dfa(hir: &Hir, reverse: bool) -> Result<DFA, String> {
    let captures = if reverse {
        thompson::WhichCaptures::None
    } else {
        thompson::WhichCaptures::All
    };
    let nfa = thompson::Compiler::new()
        .configure(
            thompson::Config::new()
                .reverse(reverse)
                .which_captures(captures)
                .nfa_size_limit(Some(64 << 20)),
        )
        .build_from_hir(hir)
        .map_err(|error| error.to_string())?;
    DFA::builder()
        .configure(
            DFA::config()
                .match_kind(MatchKind::All)
                .unicode_word_boundary(true)
                .cache_capacity(if reverse { 16 << 20 } else { 4 << 20 }),
        )
        .build_from_nfa(nfa)
        .map_err(|error| error.to_string())
}

fn compile_constraints(
    rules: &RuleSet,
    constraints: &[Constraint],
) -> Result<Vec<CompiledConstraint>, String> {
    constraints
        .iter()
        .map(|constraint| {
            let test = match &constraint.test {
                ConstraintTest::InLexicon(lexicon) => CompiledTest::InLexicon(*lexicon),
                ConstraintTest::Length(op, bound) => CompiledTest::Length(*op, *bound),
                ConstraintTest::Matches(pattern) | ConstraintTest::Contains(pattern) => {
                    let inner = hir::HirBuilder::without_groups(rules).build(pattern);
                    let hir = if matches!(constraint.test, ConstraintTest::Matches(_)) {
                        Hir::concat(vec![Hir::look(Look::Start), inner, Hir::look(Look::End)])
                    } else {
                        inner
                    };
                    CompiledTest::Regex(meta_regex(&hir)?)
                }
                ConstraintTest::Context { side, pattern } => {
                    let hir = hir::HirBuilder::without_groups(rules).build(pattern);
                    match side {
                        Side::After => CompiledTest::FollowedBy(meta_regex(&hir)?),
                        Side::Before => {
                            let longest = hir.properties().maximum_len();
                            let hir = Hir::concat(vec![hir, Hir::look(Look::End)]);
                            CompiledTest::PrecededBy(meta_regex(&hir)?, longest)
                        }
                    }
                }
                ConstraintTest::Any(alternatives) => {
                    CompiledTest::Any(compile_constraints(rules, alternatives)?)
                }
            };
            Ok(CompiledConstraint {
                capture: constraint.capture,
                negated: constraint.negated,
                test,
                origin: constraint.origin,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_starts_are_where_leftmost_matches_start() {
        let sentences = [
            "莲湖区枣园街道唐都花园社区党支部成立党员突击队",
            "中国移动湖北分公司党委成立党员突击队，武汉市委组建医疗队",
            "他的的确确是我们的好朋友的朋友",
            "Acme Corp formed a team; the team joined Acme Labs.",
            "",
            "党委",
        ];
        for (pattern, reverse) in [
            (
                r"\p{Han}{2,12}(?:党委|党支部)(?:成立|组建)\p{Han}{0,4}(?:突击队|医疗队)",
                true,
            ),
            (r"\p{Han}{1,4}的\p{Han}{2,12}", false),
            (r"(?:新华社|党委)\p{Han}{2,4}", false),
            (r"党委|党支部", true),
            (r"[A-Z][a-z]+ (?:Corp|Labs)", true),
            (r"\p{Han}*的?", false),
            (r"(?:^|，)\p{Han}{1,3}委", true),
        ]
        .into_iter()
        .map(|(pattern, reverse)| (pattern, Some(reverse)))
        // Patterns whose tails the forward search cuts (`hir::without_tail`).
        .chain(
            [
                r"党委(?:成立)?",
                r"\p{Han}{1,4}的(?:\p{Han}{2,12}|的+)?",
                r"党委\p{Han}+$",
                r"党(委|支部\p{Han}*)",
                r"的(?:的|)",
                r"(的\p{Han}{1,3}){2,4}",
                r"[A-Z][a-z]+( (Corp|Labs))*",
                r"(?:\p{Han}{1,2}的)+\p{Han}?",
            ]
            .map(|pattern| (pattern, None)),
        ) {
            let hir = regex_syntax::parse(pattern).expect("parses");
            if let Some(reverse) = reverse {
                assert_eq!(ends_better_than_it_starts(&hir), reverse, "{pattern}");
            }
            // The forward search on the cut pattern, the reverse pass on
            // the whole one.
            let cut = hir::without_tail(&hir).unwrap_or_else(|| hir.clone());
            let (forward, backward) = (
                Starts::meta(&cut).expect("builds"),
                Starts::reverse(&hir).expect("builds"),
            );
            for sentence in sentences {
                let (mut ahead, mut behind) = (forward.cache(), backward.cache());
                backward.prepare(&mut behind, sentence);
                for at in (0..=sentence.len()).filter(|&at| sentence.is_char_boundary(at)) {
                    assert_eq!(
                        backward.next(&mut behind, sentence, at),
                        forward.next(&mut ahead, sentence, at),
                        "{pattern} in {sentence:?} from {at}"
                    );
                }
            }
        }
    }

    #[test]
    fn strip_quotes_keeps_apostrophes_inside_words() {
        for (text, stripped) in [
            ("“摩托先锋队”", "摩托先锋队"),
            ("Acme Corp's", "Acme Corp's"),
            ("O’Brien", "O’Brien"),
            ("'Rapid Response'", "Rapid Response"),
            ("《人民日报》", "人民日报"),
            ("<Team>", "Team"),
        ] {
            let mut text = text.to_owned();
            strip_quotes(&mut text);
            assert_eq!(text, stripped);
        }
    }
    use crate::source::MemoryFiles;

    fn matcher(rules: &str) -> (RuleSet, Matcher) {
        let mut files = MemoryFiles::new();
        files.insert("r.kgr", format!("prefix ex: <http://e/>\n{rules}"));
        let loaded = crate::rules::load(std::path::Path::new("r.kgr"), &files).expect("loads");
        let errors: Vec<_> = loaded.diagnostics.iter().filter(|d| d.is_error()).collect();
        assert!(errors.is_empty(), "{errors:#?}");
        let set = loaded.rule_set.expect("rule set");
        let matcher = Matcher::new(&set).expect("compiles");
        (set, matcher)
    }

    fn spans(matcher: &Matcher, sentence: &str) -> Vec<String> {
        let mut scratch = matcher.scratch();
        matcher
            .find_all(0, sentence, &mut scratch, None)
            .into_iter()
            .map(|m| sentence[m.span].to_owned())
            .collect()
    }

    #[test]
    fn leftmost_longest_not_leftmost_first() {
        let (_, matcher) = matcher("rule r = \"党委\" | \"党委会\" => ex:a ex:b ex:c\n");
        assert_eq!(spans(&matcher, "甲党委会乙党委"), ["党委会", "党委"]);
    }

    #[test]
    fn constraints_make_the_matcher_try_shorter_and_later_matches() {
        let (_, matcher) = matcher(
            "entity Org a ex:Org = \\p{Han}{2,8} \"党委\" iri ex:o/{text} where text not contains \"在\"\n\
             rule r = $o:Org \"成立\" => $o ex:b ex:c\n",
        );
        assert_eq!(spans(&matcher, "他在公司党委成立了"), ["公司党委成立"]);
    }

    #[test]
    fn captures_and_entity_mentions_are_reported() {
        let (set, matcher) = matcher(
            "lexicon Verb = \"成立\", \"组建\"\n\
             entity Team a ex:T = \\p{Han}{0,6} \"突击队\" iri ex:t/{text}\n\
             rule r = $who:(\\p{Han}{2,6} \"党委\") Verb $t:Team => $t ex:by $who\n",
        );
        let sentence = "湖北分公司党委组建党员突击队";
        let mut scratch = matcher.scratch();
        let found = matcher.find_all(0, sentence, &mut scratch, None);
        assert_eq!(found.len(), 1);
        let who = set.rules[0]
            .captures
            .iter()
            .position(|c| c.name == "who")
            .unwrap();
        let t = set.rules[0]
            .captures
            .iter()
            .position(|c| c.name == "t")
            .unwrap();
        assert_eq!(
            &sentence[found[0].captures[who].clone().unwrap()],
            "湖北分公司党委"
        );
        assert_eq!(
            &sentence[found[0].captures[t].clone().unwrap()],
            "党员突击队"
        );
        assert_eq!(found[0].entities.len(), 1);
    }

    #[test]
    fn triggers_pick_sentences() {
        let (_, matcher) = matcher("rule r = \\p{Han}+ \"医院\" => ex:a ex:b ex:c\n");
        let text = "今天下雨。雷神山医院开诊。";
        let sentences = crate::text::split_sentences(text);
        let candidates = matcher.candidates(text, &sentences);
        assert_eq!(candidates, vec![vec![], vec![0]]);
    }

    #[test]
    fn a_sentence_needs_a_trigger_of_every_set() {
        let (_, matcher) =
            matcher("rule r = \"成立\" .{0,5} (\"突击队\" | \"先锋队\") => ex:a ex:b ex:c\n");
        let text = "他们成立了公司。成立党员突击队。先锋队来了。";
        let sentences = crate::text::split_sentences(text);
        assert_eq!(
            matcher.candidates(text, &sentences),
            vec![vec![], vec![0], vec![]]
        );
    }

    /// The two-step scan (each rule's first set over the text, the other sets
    /// over the sentences it found) picks exactly the sentences that hold a
    /// literal of every set, with literals inside, overlapping and ending
    /// other literals, several rules sharing sets in different places.
    #[test]
    fn candidates_are_the_sentences_holding_every_set() {
        let (_, matcher) = matcher(
            "lexicon Role = \"书记\", \"党支部书记\", \"支书\"\n\
             lexicon Verb = \"成立\", \"组建\"\n\
             rule r0 = \\p{Han}{0,4} Role \"说\" => ex:a ex:b ex:c\n\
             rule r1 = Verb .{0,6} Role => ex:a ex:b ex:c\n\
             rule r2 = \"党支部\" .{0,6} Verb .{0,6} (\"队\" | \"组\") => ex:a ex:b ex:c\n\
             rule r3 = \\p{Han}+ => ex:a ex:b ex:c\n",
        );
        let words = [
            "党支部书记",
            "党支部",
            "书",
            "记",
            "支书",
            "说",
            "成立",
            "组建",
            "组",
            "建",
            "队",
            "立",
            "成",
            "甲",
            "a",
            ",",
        ];
        // Every sentence of up to four words (a word may repeat).
        let mut sentences_text = Vec::new();
        let mut stack = vec![String::new()];
        while let Some(prefix) = stack.pop() {
            sentences_text.push(prefix.clone());
            if prefix.chars().count() < 9 {
                for word in words {
                    if prefix.len() + word.len() <= 4 * 6 && sentences_text.len() < 40_000 {
                        stack.push(format!("{prefix}{word}"));
                    }
                }
            }
        }
        let text: String = sentences_text.iter().map(|s| format!("{s}\n")).collect();
        let mut sentences = Vec::new();
        let mut start = 0;
        for sentence in &sentences_text {
            sentences.push(start..start + sentence.len());
            start += sentence.len() + 1;
        }
        let candidates = matcher.candidates(&text, &sentences);
        for (sentence, found) in sentences_text.iter().zip(&candidates) {
            let expected: Vec<usize> = (0..matcher.rules.len())
                .filter(|&rule| {
                    matcher.rule_triggers[rule].iter().all(|set| {
                        set.iter()
                            .any(|literal| sentence.contains(literal.as_str()))
                    })
                })
                .collect();
            assert_eq!(found, &expected, "in {sentence:?}");
        }
        // The sets are what the test means to exercise.
        assert!(matcher.rule_triggers[1].len() == 2 && matcher.rule_triggers[2].len() == 3);
        assert!(matcher.rule_triggers[3].is_empty());
    }

    /// A big lexicon's names are found wherever a plain substring search
    /// finds them, whatever their lengths (with the three-character filter
    /// when every name has three, without it when one is shorter), and only
    /// there, at the start, middle and end of a text.
    #[test]
    fn names_are_found_where_a_substring_search_finds_them() {
        // Characters from a small alphabet, so that texts hold names, parts
        // of names and names overlapping others.
        let han = |i: usize| char::from_u32(0x4e00 + (i % 40) as u32).unwrap();
        let word = |seed: usize, len: usize| -> String {
            (0..len)
                .map(|k| han(seed.wrapping_mul(2654435761).rotate_left(k as u32 * 7) >> 3))
                .collect()
        };
        for shortest in [1, 2, 3] {
            // A few names of `shortest` characters, the others of three to five.
            let names: Vec<String> = (0..400)
                .map(|i| word(i, if i % 50 == 0 { shortest } else { 3 + i % 3 }))
                .collect();
            let filter = Names::new(&names);
            assert_eq!(filter.triples.is_some(), shortest >= 3);
            let mut places = Places::default();
            let mut found = 0;
            for seed in 0..6_000 {
                let name = &names[seed % names.len()];
                // A name, or all of it but its last character, inside other text.
                let inner: String = match seed % 3 {
                    0 => name.clone(),
                    1 => name.chars().take(name.chars().count() - 1).collect(),
                    _ => String::new(),
                };
                let text = format!(
                    "{}{inner}{}",
                    word(seed, seed % 4),
                    word(seed + 1, seed % 5)
                );
                let expected = names.iter().any(|n| text.contains(n.as_str()));
                assert_eq!(filter.found_in(&text, &mut places), expected, "{text:?}");
                found += usize::from(expected);
            }
            assert!(
                found > 1_000 && found < 5_900,
                "{found} of 6,000 texts hold a name"
            );
        }
    }

    #[test]
    fn nested_unbounded_repetition_is_not_exponential() {
        let (_, matcher) = matcher("rule r = ((\\p{Han}+)+)+ \"!\" => ex:a ex:b ex:c\n");
        let sentence = "字".repeat(1300);
        assert!(spans(&matcher, &sentence).is_empty());
    }
}
