//! Length constraints compiled into the pattern they constrain.
//!
//! `$a:(\p{Han}{1,1000}) … where len($a) > 990` tests a capture of one
//! character repeated: its length is the repetition count, so the rule's
//! automata can carry the bound (`\p{Han}{991,1000}`) and never find the
//! candidates the test would reject one by one. The test itself stays (it
//! then always holds), so nothing else changes.

use crate::rules::{CaptureId, ConstraintTest, Pattern, Rule};
use crate::syntax::ast::Compare;

/// `rule`'s pattern with the repetition bounds its captures' `len` tests
/// allow; `None` when no test applies (the pattern is used as it is).
pub(super) fn pattern_with_lengths(rule: &Rule) -> Option<Pattern> {
    let bounds: Vec<(CaptureId, u32, Option<u32>)> = rule
        .constraints
        .iter()
        .filter(|constraint| !constraint.negated)
        .filter_map(|constraint| match (&constraint.test, constraint.capture) {
            (ConstraintTest::Length(op, value), Some(capture)) => {
                let value = *value;
                let (min, max) = match op {
                    Compare::Greater => (value.checked_add(1)?, None),
                    Compare::GreaterEqual => (value, None),
                    Compare::Less => (0, Some(value.checked_sub(1)?)),
                    Compare::LessEqual => (0, Some(value)),
                    Compare::Equal => (value, Some(value)),
                    Compare::NotEqual => return None,
                };
                Some((capture, min, max))
            }
            _ => None,
        })
        .collect();
    if bounds.is_empty() {
        return None;
    }
    let mut pattern = rule.pattern.clone();
    tighten(&mut pattern, &bounds, false).then_some(pattern)
}

/// Tightens the captures of `bounds` in `pattern` that hold one character
/// repeated, outside any repetition (a repeated capture keeps its last
/// round, which its test alone sees); whether any changed.
fn tighten(
    pattern: &mut Pattern,
    bounds: &[(CaptureId, u32, Option<u32>)],
    repeated: bool,
) -> bool {
    match pattern {
        Pattern::Concat(parts) | Pattern::Alternation(parts) => {
            parts.iter_mut().fold(false, |changed, part| {
                tighten(part, bounds, repeated) | changed
            })
        }
        Pattern::Repeat { inner, .. } => tighten(inner, bounds, true),
        Pattern::Capture { capture, inner } => {
            let mut changed = false;
            if !repeated {
                for (_, least, most) in bounds.iter().filter(|(id, ..)| id == capture) {
                    if let Pattern::Repeat {
                        inner: one,
                        min,
                        max,
                    } = inner.as_mut()
                        && one_character(one)
                    {
                        let new_min = (*min).max(*least);
                        let new_max = match (*max, *most) {
                            (Some(a), Some(b)) => Some(a.min(b)),
                            (a, b) => a.or(b),
                        };
                        // An empty range would need a pattern that never
                        // matches: the test rejects those candidates instead.
                        if new_max.is_none_or(|most| new_min <= most)
                            && (new_min, new_max) != (*min, *max)
                        {
                            (*min, *max) = (new_min, new_max);
                            changed = true;
                        }
                    }
                }
            }
            tighten(inner, bounds, repeated) | changed
        }
        _ => false,
    }
}

/// Whether every match of `pattern` is one character (of the normalised
/// sentence, as `len` counts).
fn one_character(pattern: &Pattern) -> bool {
    match pattern {
        Pattern::Class(_) | Pattern::Any => true,
        Pattern::Literal(text) => crate::text::normalize_str(text).chars().count() == 1,
        Pattern::Capture { inner, .. } => one_character(inner),
        Pattern::Alternation(branches) => branches.iter().all(one_character),
        _ => false,
    }
}
