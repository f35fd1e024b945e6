//! Triggers: literals at least one of which every match of a rule contains.
//!
//! One Aho–Corasick pass over a document finds each rule's most selective
//! set, the sentences found are searched for its others; a rule runs only on
//! the sentences that hold a trigger of each set. Verbs such as 成立, suffixes
//! such as 医院, lexicon entries — most text holds none, and costs only the scan.

use crate::rules::{Constraint, ConstraintTest, Normalizer, Pattern, Rule, RuleSet};
use crate::text::normalize_str;

/// More alternatives than this make a trigger set useless (it fires everywhere).
pub(crate) const MAX_TRIGGERS: usize = 20_000;

/// A lexicon's entries are a trigger set up to this size when none is a single
/// character: names, however many, are rare in text.
const MAX_LEXICON_TRIGGERS: usize = 2_000_000;

/// How many required sets a rule's triggers use at most.
pub(crate) const MAX_SETS: usize = 3;

/// Sets of literals such that every match contains one literal of EACH set
/// (the most selective few, best first); empty when none is known (the rule
/// then runs on every sentence).
pub(crate) fn trigger_sets(rule: &Rule, rules: &RuleSet) -> Vec<Vec<String>> {
    let mut sets = required_sets(&rule.pattern, Some(rule), rules);
    // Context conditions on the whole match need their text in the sentence.
    let whole = rule.constraints.iter().filter(|c| c.capture.is_none());
    sets.extend(whole.flat_map(|c| constraint_sets(c, rules)));
    best(sets)
}

fn best_sets(pattern: &Pattern, rule: Option<&Rule>, rules: &RuleSet) -> Vec<Vec<String>> {
    best(required_sets(pattern, rule, rules))
}

/// The most selective few of `sets`.
fn best(mut sets: Vec<Vec<String>>) -> Vec<Vec<String>> {
    // A big lexicon's names trigger only a rule that has no other trigger:
    // they cost an Aho–Corasick automaton of their size.
    if sets.iter().any(|set| set.len() <= MAX_TRIGGERS) {
        sets.retain(|set| set.len() <= MAX_TRIGGERS);
    }
    sets.sort_by(|a, b| score(b).total_cmp(&score(a)).then_with(|| a.cmp(b)));
    sets.dedup();
    sets.truncate(MAX_SETS);
    sets
}

/// Every set of literals the pattern requires (one literal of each). A
/// capture of `rule` and an entity mention also require what their positive
/// `where` constraints do (`contains "龘"` needs 龘 in the sentence), so a
/// sentence that cannot pass them is never tried.
fn required_sets(pattern: &Pattern, rule: Option<&Rule>, rules: &RuleSet) -> Vec<Vec<String>> {
    match pattern {
        Pattern::Literal(text) => finish(vec![normalize_str(text)]).into_iter().collect(),
        // Text in any case has no literal an exact scan could find.
        Pattern::LiteralNoCase(_)
        | Pattern::WordBoundary { .. }
        | Pattern::Class(_)
        | Pattern::Any
        | Pattern::Start
        | Pattern::End => Vec::new(),
        Pattern::Concat(parts) => parts
            .iter()
            .flat_map(|part| required_sets(part, rule, rules))
            .collect(),
        Pattern::Alternation(branches) => {
            // One literal of some branch's best set: the union of the best sets.
            let mut union = Vec::new();
            for branch in branches {
                let Some(best) = best_sets(branch, rule, rules).into_iter().next() else {
                    return Vec::new();
                };
                union.extend(best);
            }
            finish(union).into_iter().collect()
        }
        Pattern::Repeat { inner, min, .. } if *min > 0 => required_sets(inner, rule, rules),
        Pattern::Repeat { .. } => Vec::new(),
        Pattern::Lexicon(id) if rules.lexicons[id.0].ignore_case => Vec::new(),
        Pattern::Lexicon(id) => {
            let mut entries: Vec<String> = rules.lexicons[id.0]
                .entries
                .iter()
                .map(|entry| normalize_str(&entry.text))
                .collect();
            let names = entries.iter().all(|entry| entry.chars().nth(1).is_some());
            if names && entries.len() > MAX_TRIGGERS && entries.len() <= MAX_LEXICON_TRIGGERS {
                entries.sort();
                entries.dedup();
                return vec![entries];
            }
            finish(entries).into_iter().collect()
        }
        Pattern::Entity(id) => {
            let entity = &rules.entities[id.0];
            let mut sets = required_sets(&entity.pattern, None, rules);
            // Its constraints test the mention after its normalisers: only
            // those that keep the text as the sentence has it qualify.
            if entity
                .normalizers
                .iter()
                .all(|n| matches!(n, Normalizer::Trim | Normalizer::Nfkc))
            {
                let whole = entity.constraints.iter().filter(|c| c.capture.is_none());
                sets.extend(whole.flat_map(|c| constraint_sets(c, rules)));
            }
            sets
        }
        Pattern::Capture { capture, inner } => {
            let mut sets = required_sets(inner, rule, rules);
            if let Some(rule) = rule {
                let own = rule
                    .constraints
                    .iter()
                    .filter(|c| c.capture == Some(*capture));
                sets.extend(own.flat_map(|c| constraint_sets(c, rules)));
            }
            sets
        }
    }
}

/// What a positive constraint requires of the text it tests.
fn constraint_sets(constraint: &Constraint, rules: &RuleSet) -> Vec<Vec<String>> {
    if constraint.negated {
        return Vec::new();
    }
    match &constraint.test {
        ConstraintTest::Contains(pattern) | ConstraintTest::Matches(pattern) => {
            required_sets(pattern, None, rules)
        }
        ConstraintTest::InLexicon(lexicon) => {
            required_sets(&Pattern::Lexicon(*lexicon), None, rules)
        }
        // What must come before or after is in the sentence too.
        ConstraintTest::Context { pattern, .. } => required_sets(pattern, None, rules),
        ConstraintTest::Length(..) | ConstraintTest::Any(_) => Vec::new(),
    }
}

fn finish(mut literals: Vec<String>) -> Option<Vec<String>> {
    literals.sort();
    literals.dedup();
    (!literals.is_empty()
        && literals.len() <= MAX_TRIGGERS
        && literals.iter().all(|l| !l.is_empty()))
    .then_some(literals)
}

/// How selective a trigger set is: longer and fewer literals fire less often.
fn score(literals: &[String]) -> f64 {
    let shortest = literals
        .iter()
        .map(|l| l.chars().count())
        .min()
        .unwrap_or(0) as f64;
    // A Chinese character is about as selective as three Latin letters.
    let weight = literals
        .iter()
        .map(|l| if l.is_ascii() { 1.0 } else { 3.0 })
        .fold(f64::MAX, f64::min);
    shortest * weight - (literals.len() as f64).ln()
}
