//! Triggers: literals at least one of which every match of a rule contains.
//!
//! One Aho–Corasick pass over a document finds every trigger; a rule runs only
//! on the sentences that hold one of its triggers. Verbs such as 成立, suffixes
//! such as 医院, lexicon entries — most text holds none, and costs only the scan.

use crate::rules::{Pattern, RuleSet};
use crate::text::normalize_str;

/// More alternatives than this make a trigger set useless (it fires everywhere).
const MAX_TRIGGERS: usize = 20_000;

/// A set of literals such that every match contains one of them; `None` when
/// no such set is known (the rule then runs on every sentence).
pub(crate) fn required_literals(pattern: &Pattern, rules: &RuleSet) -> Option<Vec<String>> {
    match pattern {
        Pattern::Literal(text) => {
            let text = normalize_str(text);
            (!text.is_empty()).then(|| vec![text])
        }
        Pattern::Class(_) | Pattern::Any | Pattern::Start | Pattern::End => None,
        Pattern::Concat(parts) => parts
            .iter()
            .filter_map(|part| required_literals(part, rules))
            .max_by(|a, b| score(a).total_cmp(&score(b))),
        Pattern::Alternation(branches) => {
            let mut all = Vec::new();
            for branch in branches {
                all.extend(required_literals(branch, rules)?);
            }
            finish(all)
        }
        Pattern::Repeat { inner, min, .. } => (*min > 0)
            .then(|| required_literals(inner, rules))
            .flatten(),
        Pattern::Lexicon(id) => {
            let entries = rules.lexicons[id.0]
                .entries
                .iter()
                .map(|entry| normalize_str(&entry.text))
                .collect();
            finish(entries)
        }
        Pattern::Entity(id) => required_literals(&rules.entities[id.0].pattern, rules),
        Pattern::Capture { inner, .. } => required_literals(inner, rules),
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
