//! Every trigger literal in a text, found by stepping through two halves at once.
//!
//! An Aho–Corasick automaton's step waits for the step before it (the next
//! state depends on the current one), so one scan leaves the processor idle
//! between loads. Stepping through the two halves of a text in one loop gives
//! it two independent chains to overlap. `aho-corasick` searches one haystack
//! at a time, so this loop is written here over its [`Automaton`] trait; it
//! reports what `find_overlapping_iter` does on each half (the tests check).

use std::ops::Range;

use aho_corasick::automaton::Automaton;
use aho_corasick::{Anchored, BuildError, MatchKind, PatternID, dfa, nfa};

/// An automaton finding every occurrence of some literals.
#[derive(Clone, Debug)]
pub(crate) enum Scanner {
    Dfa(dfa::DFA),
    Nfa(nfa::contiguous::NFA),
}

impl Scanner {
    pub(crate) fn new(literals: &[String]) -> Result<Scanner, BuildError> {
        // A DFA scans fastest, but grows with the literals: past a few
        // thousand (a big lexicon's names) a contiguous NFA is the one that
        // builds in seconds and fits in memory. No prefilter: the loop below
        // steps through every byte.
        Ok(if literals.len() <= super::TRIGGER_DFA_PATTERNS {
            Scanner::Dfa(
                dfa::Builder::new()
                    .match_kind(MatchKind::Standard)
                    .prefilter(false)
                    .build(literals)?,
            )
        } else {
            Scanner::Nfa(
                nfa::contiguous::Builder::new()
                    .match_kind(MatchKind::Standard)
                    .prefilter(false)
                    .build(literals)?,
            )
        })
    }

    /// Every occurrence in `halves[0]` and in `halves[1]` (none across
    /// them), as `(half, start..end, literal)`: in each half by end, as
    /// `find_overlapping_iter` reports them, the two halves interleaved.
    pub(crate) fn find_in_halves(
        &self,
        halves: [&[u8]; 2],
        found: impl FnMut(usize, Range<usize>, PatternID),
    ) {
        match self {
            Scanner::Dfa(dfa) => find_in_halves(dfa, halves, found),
            Scanner::Nfa(nfa) => find_in_halves(nfa, halves, found),
        }
    }
}

fn find_in_halves<A: Automaton>(
    automaton: &A,
    halves: [&[u8]; 2],
    mut found: impl FnMut(usize, Range<usize>, PatternID),
) {
    let start = automaton
        .start_state(Anchored::No)
        .expect("an unanchored start state");
    let mut report = |half: usize, state, end: usize| {
        for index in 0..automaton.match_len(state) {
            let pattern = automaton.match_pattern(state, index);
            found(half, end - automaton.pattern_len(pattern)..end, pattern);
        }
    };
    let [first, second] = halves;
    let both = first.len().min(second.len());
    let (mut one, mut two) = (start, start);
    for (at, (&a, &b)) in first[..both].iter().zip(&second[..both]).enumerate() {
        one = automaton.next_state(Anchored::No, one, a);
        two = automaton.next_state(Anchored::No, two, b);
        // Without a prefilter, the special states of an unanchored search
        // are its match states (it never dies).
        if automaton.is_special(one) {
            report(0, one, at + 1);
        }
        if automaton.is_special(two) {
            report(1, two, at + 1);
        }
    }
    for (half, (bytes, mut state)) in [(first, one), (second, two)].into_iter().enumerate() {
        for (at, &byte) in bytes.iter().enumerate().skip(both) {
            state = automaton.next_state(Anchored::No, state, byte);
            if automaton.is_special(state) {
                report(half, state, at + 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both automata report on each half what `find_overlapping_iter` does,
    /// for literals that overlap, nest and share prefixes and suffixes.
    #[test]
    fn halves_are_searched_as_one_search_each_would() {
        let words = [
            "党委",
            "委",
            "党",
            "成立",
            "立党",
            "a",
            "ab",
            "b",
            "，",
            "党员突击队",
            "员",
        ];
        let alphabet = [
            "党", "委", "成", "立", "员", "突", "击", "队", "a", "b", "，", "中",
        ];
        let mut random = crate::testing::Xorshift::new(0x9e37_79b9_7f4a_7c15);
        let mut next = |bound: usize| random.below(bound);
        for round in 0..400 {
            let count = 1 + next(words.len());
            let literals: Vec<String> = (0..count)
                .map(|_| words[next(words.len())].to_owned())
                .collect();
            let mut literals = literals;
            literals.sort();
            literals.dedup();
            let reference = aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::Standard)
                .build(&literals)
                .unwrap();
            let halves: Vec<String> = (0..2)
                .map(|_| {
                    (0..next(30))
                        .map(|_| alphabet[next(alphabet.len())])
                        .collect()
                })
                .collect();
            let automata = [
                Scanner::new(&literals).unwrap(),
                Scanner::Nfa(
                    nfa::contiguous::Builder::new()
                        .match_kind(MatchKind::Standard)
                        .prefilter(false)
                        .build(&literals)
                        .unwrap(),
                ),
            ];
            for automaton in &automata {
                let mut found = [Vec::new(), Vec::new()];
                automaton.find_in_halves(
                    [halves[0].as_bytes(), halves[1].as_bytes()],
                    |half, span, pattern| found[half].push((span, pattern)),
                );
                for (half, text) in halves.iter().enumerate() {
                    let expected: Vec<_> = reference
                        .find_overlapping_iter(text)
                        .map(|hit| (hit.range(), hit.pattern()))
                        .collect();
                    assert_eq!(
                        found[half], expected,
                        "round {round}: {literals:?} in {text:?}"
                    );
                }
            }
        }
    }
}
