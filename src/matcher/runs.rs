//! Splitting a match into captures when its pattern is a row of single
//! characters repeated: `$a:(\p{Han}{991,1000}) $b:(\p{Han}{1,1000})`.
//!
//! An NFA holds a copy of the class for every round of such a repetition, so
//! the general splitters pay for thousands of states at every byte (the
//! PikeVM) or for a visited set of states × bytes (the backtracker). Here each
//! item is one class with bounds, and the split is a table of which suffixes
//! of the match the remaining items can cover — O(items × characters), no
//! backtracking — followed by the greedy choice leftmost-first makes: each
//! item takes the most rounds that leave a split for the rest. Written by
//! hand: regex-automata has no counting engine.

use regex_automata::util::captures::Captures;
#[cfg(test)]
use regex_automata::util::captures::GroupInfo;
use regex_automata::util::primitives::{NonMaxUsize, PatternID};
use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Look};

/// Rounds of one item past its minimum from which a row [counts
/// widely](Runs::counts_widely).
const WIDE_ROUNDS: usize = 16;

/// One item: a character of `class`, `min` to `max` times (greedy).
#[derive(Debug)]
struct Item {
    class: ClassUnicode,
    min: usize,
    max: usize,
}

impl Item {
    /// `run[p]` for `p` in `from..to`: how many characters of the class
    /// start at `chars[p]`, counted no further than `to` (`run[to]` is 0).
    fn count_runs(&self, chars: &[char], from: usize, to: usize, run: &mut [usize]) {
        run[to] = 0;
        for p in (from..to).rev() {
            run[p] = if self.holds(chars[p]) {
                run[p + 1] + 1
            } else {
                0
            };
        }
    }

    fn holds(&self, c: char) -> bool {
        let ranges = self.class.ranges();
        let at = ranges.partition_point(|range| range.end() < c);
        ranges.get(at).is_some_and(|range| range.start() <= c)
    }
}

/// A thread's buffers for [`Runs::longest`], kept between calls.
#[derive(Debug, Default)]
pub(super) struct RowScratch {
    chars: Vec<char>,
    ends: Vec<usize>,
    reach: Vec<bool>,
    edges: Vec<i32>,
    run: Vec<usize>,
}

/// A pattern that is a row of [`Item`]s, with the capture groups around runs
/// of them.
#[derive(Debug)]
pub(super) struct Runs {
    items: Vec<Item>,
    /// `(group index, first item, one past the last item)`.
    groups: Vec<(usize, usize, usize)>,
    /// The most characters a match takes: the items' most rounds, summed.
    most_chars: usize,
}

impl Runs {
    /// The row `hir` is, if it is one (a `\z` may end it).
    pub(super) fn new(hir: &Hir) -> Option<Runs> {
        let mut runs = Runs {
            items: Vec::new(),
            groups: Vec::new(),
            most_chars: 0,
        };
        let parts: &[Hir] = match hir.kind() {
            HirKind::Concat(parts) => parts,
            _ => std::slice::from_ref(hir),
        };
        let (last, rest) = parts.split_last()?;
        let parts = match last.kind() {
            HirKind::Look(Look::End) => rest,
            _ => parts,
        };
        for part in parts {
            runs.add(part)?;
        }
        runs.most_chars = runs
            .items
            .iter()
            .fold(0, |sum, item| sum.saturating_add(item.max));
        (!runs.items.is_empty()).then_some(runs)
    }

    fn add(&mut self, hir: &Hir) -> Option<()> {
        match hir.kind() {
            HirKind::Literal(literal) => {
                for c in std::str::from_utf8(&literal.0).ok()?.chars() {
                    self.items.push(Item {
                        class: ClassUnicode::new([ClassUnicodeRange::new(c, c)]),
                        min: 1,
                        max: 1,
                    });
                }
            }
            HirKind::Class(Class::Unicode(class)) => self.items.push(Item {
                class: class.clone(),
                min: 1,
                max: 1,
            }),
            HirKind::Repetition(repetition) if repetition.greedy => {
                let class = match repetition.sub.kind() {
                    HirKind::Class(Class::Unicode(class)) => class.clone(),
                    HirKind::Literal(literal) => {
                        let text = std::str::from_utf8(&literal.0).ok()?;
                        let mut chars = text.chars();
                        let (Some(c), None) = (chars.next(), chars.next()) else {
                            return None;
                        };
                        ClassUnicode::new([ClassUnicodeRange::new(c, c)])
                    }
                    _ => return None,
                };
                self.items.push(Item {
                    class,
                    min: repetition.min as usize,
                    max: repetition.max.map_or(usize::MAX, |max| max as usize),
                });
            }
            HirKind::Capture(capture) => {
                let first = self.items.len();
                self.add(&capture.sub)?;
                self.groups
                    .push((capture.index as usize, first, self.items.len()));
            }
            HirKind::Concat(parts) => {
                for part in parts {
                    self.add(part)?;
                }
            }
            _ => return None,
        }
        Some(())
    }

    /// Whether the lazy DFA that finds a match's end would crawl on this
    /// row: at least two items take a varying number of rounds and one of
    /// them is counted widely (`\p{Han}{1,1000} \p{Han}{1,1000}`). After `k`
    /// characters such a row can be in about `k` places at once, so the DFA
    /// builds a new state of thousands of NFA states at every byte of a long
    /// sentence; counting costs items × characters.
    pub(super) fn counts_widely(&self) -> bool {
        let varying = self.items.iter().filter(|item| item.max > item.min).count();
        let wide = self
            .items
            .iter()
            .any(|item| item.max != usize::MAX && item.max - item.min >= WIDE_ROUNDS);
        varying >= 2 && wide
    }

    /// The end of the longest match of the row that starts at `span.start`
    /// and ends by `span.end` (`Some(span.start)` for an empty one), as the
    /// anchored all-matches DFA finds it. One sweep per item over which
    /// characters the items so far can reach: O(items × characters), and
    /// no further than the row's longest match (the sum of its items' most
    /// rounds), so a start that does not match costs no more than one that does.
    pub(super) fn longest(
        &self,
        haystack: &str,
        span: std::ops::Range<usize>,
        scratch: &mut RowScratch,
    ) -> Option<usize> {
        let text = &haystack[span.clone()];
        // No more characters than this are looked at.
        let size = self.most_chars.min(text.len());
        let RowScratch {
            chars,
            ends,
            reach,
            edges,
            run,
        } = scratch;
        // Decoded as the sweeps need them: ends[k] is where the first k end.
        let mut decode = text.char_indices();
        chars.clear();
        ends.clear();
        ends.push(span.start);
        // reach[p]: the items so far can end after p characters; only
        // lo..=hi may hold.
        reach.clear();
        reach.resize(size + 1, false);
        reach[0] = true;
        let (mut lo, mut hi) = (0usize, 0usize);
        // Where each reached range of ends opens (+1) and closes (-1); zero
        // outside the sweep at hand.
        edges.clear();
        edges.resize(size + 2, 0);
        run.clear();
        run.resize(size + 1, 0);
        for item in &self.items {
            // How many characters of the class follow each reached end, as
            // far as the item can take them.
            let want = hi.saturating_add(item.max).min(size);
            while chars.len() < want {
                let Some((at, c)) = decode.next() else {
                    break;
                };
                chars.push(c);
                ends.push(span.start + at + c.len_utf8());
            }
            let end = want.min(chars.len());
            item.count_runs(chars, lo, end, run);
            let (mut next_lo, mut next_hi) = (usize::MAX, 0);
            for p in lo..=hi {
                if !std::mem::take(&mut reach[p]) {
                    continue;
                }
                let most = item.max.min(run[p]);
                if most >= item.min {
                    edges[p + item.min] += 1;
                    edges[p + most + 1] -= 1;
                    next_lo = next_lo.min(p + item.min);
                    next_hi = next_hi.max(p + most);
                }
            }
            if next_lo > next_hi {
                return None;
            }
            let mut open = 0;
            for p in next_lo..=next_hi {
                open += std::mem::take(&mut edges[p]);
                reach[p] = open > 0;
            }
            edges[next_hi + 1] = 0;
            (lo, hi) = (next_lo, next_hi);
        }
        (lo..=hi).rev().find(|&p| reach[p]).map(|p| ends[p])
    }

    /// Fills `captures` with the split of `haystack[span]`, as the
    /// leftmost-first engines would; clears it when the row cannot cover the
    /// span exactly.
    pub(super) fn split(
        &self,
        haystack: &str,
        span: std::ops::Range<usize>,
        captures: &mut Captures,
    ) {
        captures.set_pattern(None);
        let text = &haystack[span.clone()];
        let offsets: Vec<usize> = text
            .char_indices()
            .map(|(at, _)| span.start + at)
            .chain([span.end])
            .collect();
        let chars: Vec<char> = text.chars().collect();
        let length = chars.len();
        let count = self.items.len();
        // covers[i][p]: items i.. cover characters p.. exactly; prefix[i][p]:
        // how many of covers[i][..p] hold, for window queries.
        let width = length + 2;
        let mut covers = vec![false; (count + 1) * width];
        let mut prefix = vec![0u32; (count + 1) * width];
        covers[count * width + length] = true;
        let mut run = vec![0usize; length + 1];
        for i in (0..=count).rev() {
            if i < count {
                let item = &self.items[i];
                item.count_runs(&chars, 0, length, &mut run);
                for p in 0..=length {
                    let most = item.max.min(run[p]);
                    if most < item.min {
                        continue;
                    }
                    let next = &prefix[(i + 1) * width..];
                    covers[i * width + p] = next[p + most + 1] > next[p + item.min];
                }
            }
            let (row, sums) = (
                &covers[i * width..(i + 1) * width],
                &mut prefix[i * width..(i + 1) * width],
            );
            for p in 0..=length {
                sums[p + 1] = sums[p] + u32::from(row[p]);
            }
        }
        if !covers[0] {
            return;
        }
        // The greedy split: each item the most rounds that leave a cover.
        let mut bounds = Vec::with_capacity(count + 1);
        let mut p = 0;
        bounds.push(p);
        for i in 0..count {
            let item = &self.items[i];
            let mut most = chars[p..]
                .iter()
                .take(item.max)
                .take_while(|&&c| item.holds(c))
                .count();
            while !covers[(i + 1) * width + p + most] {
                most -= 1;
            }
            p += most;
            bounds.push(p);
        }
        let slots = captures.slots_mut();
        slots.iter_mut().for_each(|slot| *slot = None);
        let mut set = |group: usize, from: usize, to: usize| {
            if let Some(pair) = slots.get_mut(2 * group..2 * group + 2) {
                pair[0] = NonMaxUsize::new(offsets[from]);
                pair[1] = NonMaxUsize::new(offsets[to]);
            }
        };
        set(0, 0, length);
        for &(group, first, last) in &self.groups {
            set(group, bounds[first], bounds[last]);
        }
        captures.set_pattern(Some(PatternID::ZERO));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex_automata::hybrid::dfa::DFA;
    use regex_automata::meta::Regex;
    use regex_automata::{Anchored, Input, MatchKind};

    /// Random rows of items, some captured (the pattern as written), each
    /// with random texts over their characters: `check(pattern, texts)`.
    fn random_rows(mut check: impl FnMut(&str, &[String])) {
        let items = [
            "[ab]{0,3}",
            "a{1,2}",
            "b",
            "字",
            "[a字]{2,4}",
            "x",
            "[^x]{0,5}",
            "ab",
            "[ab字]+",
            "a*",
        ];
        let mut random = crate::testing::Xorshift::new(0x2545_f491_4f6c_dd1d);
        let mut next = |n: usize| random.below(n);
        for _ in 0..300 {
            let mut pattern = String::new();
            for _ in 0..1 + next(4) {
                let item = items[next(items.len())];
                if next(2) == 0 {
                    pattern.push_str(&format!("({item})"));
                } else {
                    pattern.push_str(&format!("(?:{item})"));
                }
            }
            let texts: Vec<String> = (0..20)
                .map(|_| {
                    (0..next(9))
                        .map(|_| ['a', 'b', '字', 'x'][next(4)])
                        .collect()
                })
                .collect();
            check(&pattern, &texts);
        }
    }

    /// Rows split by counting and by the PikeVM alike — spans of every start
    /// to the end of random text, the PikeVM's "no match" included.
    #[test]
    fn counting_splits_as_the_pikevm_does() {
        random_rows(|pattern, texts| {
            let pattern = format!(r"{pattern}\z");
            let hir = regex_syntax::Parser::new().parse(&pattern).expect("parses");
            let runs = Runs::new(&hir).unwrap_or_else(|| panic!("{pattern} is a row"));
            let regex = Regex::new(&pattern).expect("compiles");
            let groups = vec![None::<&str>; hir.properties().explicit_captures_len() + 1];
            let mut ours = Captures::all(GroupInfo::new([groups]).expect("groups"));
            let mut theirs = regex.create_captures();
            for text in texts {
                for (start, _) in text.char_indices().chain([(text.len(), ' ')]) {
                    let input = Input::new(text).range(start..).anchored(Anchored::Yes);
                    regex.search_captures(&input, &mut theirs);
                    runs.split(text, start..text.len(), &mut ours);
                    let what = format!("{pattern} on {text:?} from {start}");
                    assert_eq!(ours.is_match(), theirs.is_match(), "{what}");
                    if theirs.is_match() {
                        assert_eq!(ours.slots(), theirs.slots(), "{what}");
                    }
                }
            }
        });
    }

    /// The longest match of a row from every start, within every limit, is
    /// where the anchored all-matches lazy DFA (the matcher's `longest`)
    /// ends it, "no match" included.
    #[test]
    fn counting_finds_the_longest_match_as_the_dfa_does() {
        random_rows(|pattern, texts| {
            let hir = regex_syntax::Parser::new().parse(pattern).expect("parses");
            let runs = Runs::new(&hir).unwrap_or_else(|| panic!("{pattern} is a row"));
            let nfa = regex_automata::nfa::thompson::Compiler::new()
                .build_from_hir(&hir)
                .expect("compiles");
            let dfa = DFA::builder()
                .configure(DFA::config().match_kind(MatchKind::All))
                .build_from_nfa(nfa)
                .expect("compiles");
            let mut cache = dfa.create_cache();
            let mut scratch = RowScratch::default();
            for text in texts {
                let bounds: Vec<usize> = text
                    .char_indices()
                    .map(|(at, _)| at)
                    .chain([text.len()])
                    .collect();
                for (index, &start) in bounds.iter().enumerate() {
                    for &limit in &bounds[index..] {
                        let input = Input::new(text).range(start..limit).anchored(Anchored::Yes);
                        let theirs = dfa
                            .try_search_fwd(&mut cache, &input)
                            .expect("no look-around to give up on")
                            .map(|half| half.offset());
                        let what = format!("{pattern} on {text:?} in {start}..{limit}");
                        let ours = runs.longest(text, start..limit, &mut scratch);
                        assert_eq!(ours, theirs, "{what}");
                    }
                }
            }
        });
    }

    /// Rows with two varying items, one of them counted widely, count; the
    /// narrow rows of the example rules keep their lazy DFA.
    #[test]
    fn wide_rows_are_counted() {
        for (pattern, wide) in [
            (r"(\p{Han}{1,1000})(\p{Han}{1,1000})", true),
            (r"[^。]{0,60}的\p{Han}+", true),
            (r"\p{Han}{1,100}", false),
            (r"\p{Han}+\p{Han}+", false),
            (r"\p{Han}{2,12}党委[^，。]{0,6}", false),
        ] {
            let hir = regex_syntax::Parser::new().parse(pattern).expect("parses");
            let runs = Runs::new(&hir).expect("a row");
            assert_eq!(runs.counts_widely(), wide, "{pattern}");
        }
    }
}
