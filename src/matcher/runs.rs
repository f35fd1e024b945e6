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

/// One item: a character of `class`, `min` to `max` times (greedy).
#[derive(Debug)]
struct Item {
    class: ClassUnicode,
    min: usize,
    max: usize,
}

impl Item {
    fn holds(&self, c: char) -> bool {
        let ranges = self.class.ranges();
        let at = ranges.partition_point(|range| range.end() < c);
        ranges.get(at).is_some_and(|range| range.start() <= c)
    }
}

/// A pattern that is a row of [`Item`]s, with the capture groups around runs
/// of them.
#[derive(Debug)]
pub(super) struct Runs {
    items: Vec<Item>,
    /// `(group index, first item, one past the last item)`.
    groups: Vec<(usize, usize, usize)>,
}

impl Runs {
    /// The row `hir` is, if it is one (a `\z` may end it).
    pub(super) fn new(hir: &Hir) -> Option<Runs> {
        let mut runs = Runs {
            items: Vec::new(),
            groups: Vec::new(),
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
                for p in (0..length).rev() {
                    run[p] = if item.holds(chars[p]) {
                        run[p + 1] + 1
                    } else {
                        0
                    };
                }
                run[length] = 0;
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
    use regex_automata::meta::Regex;
    use regex_automata::{Anchored, Input};

    /// Rows of random items, some captured, split by counting and by the
    /// PikeVM alike — spans of every start to the end of random text, the
    /// PikeVM's "no match" included.
    #[test]
    fn counting_splits_as_the_pikevm_does() {
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
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
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
            pattern.push_str(r"\z");
            let hir = regex_syntax::Parser::new().parse(&pattern).expect("parses");
            let runs = Runs::new(&hir).unwrap_or_else(|| panic!("{pattern} is a row"));
            let regex = Regex::new(&pattern).expect("compiles");
            let groups = vec![None::<&str>; hir.properties().explicit_captures_len() + 1];
            let mut ours = Captures::all(GroupInfo::new([groups]).expect("groups"));
            let mut theirs = regex.create_captures();
            for _ in 0..20 {
                let text: String = (0..next(9))
                    .map(|_| ['a', 'b', '字', 'x'][next(4)])
                    .collect();
                for (start, _) in text.char_indices().chain([(text.len(), ' ')]) {
                    let input = Input::new(&text).range(start..).anchored(Anchored::Yes);
                    regex.search_captures(&input, &mut theirs);
                    runs.split(&text, start..text.len(), &mut ours);
                    let what = format!("{pattern} on {text:?} from {start}");
                    assert_eq!(ours.is_match(), theirs.is_match(), "{what}");
                    if theirs.is_match() {
                        assert_eq!(ours.slots(), theirs.slots(), "{what}");
                    }
                }
            }
        }
    }
}
