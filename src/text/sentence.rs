//! Sentence splitting for Chinese and English.
//!
//! A sentence ends at 。！？；!?; or a line break, or at a `.` that ends a
//! sentence (followed by space or the end, not after an abbreviation such as
//! "Dr." or an initial such as the "S" of "U.S."). Closing quotes and brackets
//! right after the end stay with their sentence. **Invariant:** no sentence is
//! longer than [`MAX_SENTENCE_BYTES`]; a longer run is cut, so matching cost
//! stays linear in the text whatever the input.

use std::ops::Range;

/// The longest sentence, in bytes; longer runs without an end are cut here.
pub const MAX_SENTENCE_BYTES: usize = 4096;

const CLOSERS: &[char] = &[
    '”', '’', '"', '\'', '」', '』', ')', '）', ']', '】', '》', '〉',
];
const ENDS: &[char] = &['。', '！', '？', '；', '!', '?', ';'];
const ABBREVIATIONS: &[&str] = &[
    "Mr", "Mrs", "Ms", "Dr", "Prof", "St", "Jr", "Sr", "Inc", "Ltd", "Co", "Corp", "vs", "etc",
    "No", "Gen", "Gov", "Sen", "Rep", "Lt", "Col", "Capt", "Sgt", "Mt", "Jan", "Feb", "Mar", "Apr",
    "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "e.g", "i.e", "approx", "dept", "est",
    "fig",
];

/// The byte ranges of the sentences of `text`, in order, trimmed of white
/// space; empty sentences are left out.
pub fn split_sentences(text: &str) -> Vec<Range<usize>> {
    let mut sentences = Vec::new();
    let bytes = text.as_bytes();
    let char_at = |at: usize| text[at..].chars().next().expect("a character starts here");
    let (mut start, mut at) = (0, 0);
    while at < text.len() {
        // Most characters end nothing: skip to the next byte that may start an
        // end or a cut (。 starts with E3, the closers and full-width ends with
        // E2, E3 or EF, but only the ends need to be found: lead bytes, never
        // inside a character) or to the cap.
        let limit = (start + MAX_SENTENCE_BYTES).min(text.len());
        let Some(skip) = bytes[at..limit].iter().position(|&b| may_end(b)) else {
            if limit == text.len() {
                break;
            }
            // Too long without an end: cut before the character that crosses
            // the cap, and go on from it.
            let mut cut = limit;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            push_trimmed(text, start..cut, &mut sentences);
            (start, at) = (cut, cut);
            continue;
        };
        let offset = at + skip;
        let c = char_at(offset);
        at = offset + c.len_utf8();
        if at - start > MAX_SENTENCE_BYTES && offset > start {
            // Too long without an end: cut before this character.
            push_trimmed(text, start..offset, &mut sentences);
            start = offset;
        }
        let end = if c == '\n' || c == '\r' {
            offset
        } else if ENDS.contains(&c) || (c == '.' && ends_with_period(text, offset)) {
            // Closing quotes and brackets, and more ends, stay with the sentence.
            while at < text.len() {
                let next = char_at(at);
                let fits = at + next.len_utf8() - start <= MAX_SENTENCE_BYTES;
                if !(fits && (ENDS.contains(&next) || CLOSERS.contains(&next) || next == '.')) {
                    break;
                }
                at += next.len_utf8();
            }
            at
        } else {
            continue;
        };
        push_trimmed(text, start..end, &mut sentences);
        start = at;
    }
    push_trimmed(text, start..text.len(), &mut sentences);
    sentences
}

/// Whether a character starting with byte `b` may end a sentence. A table:
/// in English text, spaces and punctuation make a chain of comparisons a
/// branch the processor cannot predict.
fn may_end(b: u8) -> bool {
    MAY_END[usize::from(b)]
}

const MAY_END: [bool; 256] = {
    let mut table = [false; 256];
    let ends = [b'\n', b'\r', b'!', b'?', b';', b'.', 0xE3, 0xEF];
    let mut i = 0;
    while i < ends.len() {
        table[ends[i] as usize] = true;
        i += 1;
    }
    table
};

fn push_trimmed(text: &str, range: Range<usize>, sentences: &mut Vec<Range<usize>>) {
    if range.start >= range.end {
        return;
    }
    let piece = &text[range.clone()];
    let leading = piece.len() - piece.trim_start().len();
    let trailing = piece.len() - piece.trim_end().len();
    if leading < piece.len() {
        sentences.push(range.start + leading..range.end - trailing);
    }
}

/// Whether the `.` at `offset` ends a sentence.
fn ends_with_period(text: &str, offset: usize) -> bool {
    let after = &text[offset + 1..];
    let next = after.chars().next();
    let before = &text[..offset];
    // 1.5, 3.14: a decimal point.
    if before.ends_with(|c: char| c.is_ascii_digit()) && next.is_some_and(|c| c.is_ascii_digit()) {
        return false;
    }
    // A period inside a word (U.S., e.g.) or one followed by a lowercase word does not end a sentence.
    match next {
        None => {}
        Some(c) if c.is_whitespace() || CLOSERS.contains(&c) => {
            let following = after.trim_start().chars().next();
            if following.is_some_and(|c| c.is_lowercase()) {
                return false;
            }
        }
        Some(_) => return false,
    }
    let word: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || *c == '.')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let letters = word.trim_matches('.');
    // An initial ("J. Smith") or a dotted abbreviation ("U.S.", "e.g.").
    if letters.chars().count() == 1 && letters.chars().all(|c| c.is_uppercase())
        || letters.contains('.')
    {
        return false;
    }
    !ABBREVIATIONS
        .iter()
        .any(|abbreviation| abbreviation.eq_ignore_ascii_case(letters))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentences(text: &str) -> Vec<&str> {
        split_sentences(text)
            .into_iter()
            .map(|range| &text[range])
            .collect()
    }

    #[test]
    fn chinese_sentences_keep_closing_quotes() {
        assert_eq!(
            sentences("“雷神山医院共有32个病区。”焦龙友说。2月12日,医疗队进驻！好吗？"),
            [
                "“雷神山医院共有32个病区。”",
                "焦龙友说。",
                "2月12日,医疗队进驻！",
                "好吗？"
            ]
        );
    }

    #[test]
    fn english_abbreviations_and_decimals_do_not_split() {
        assert_eq!(
            sentences("Dr. Li met U.S. officials on Feb. 12. The team grew 1.5 times.\nNext line"),
            [
                "Dr. Li met U.S. officials on Feb. 12.",
                "The team grew 1.5 times.",
                "Next line"
            ]
        );
    }

    #[test]
    fn semicolons_and_line_breaks_split() {
        assert_eq!(sentences("甲；乙\n\n丙"), ["甲；", "乙", "丙"]);
    }

    #[test]
    fn the_cap_holds_for_runs_of_sentence_ends_too() {
        for text in [
            format!("x{}", "!".repeat(5000)),
            format!("{}。{}", "字".repeat(1000), "」".repeat(3000)),
            "。".repeat(3000),
            format!("{}{}", "字".repeat(1365), ".".repeat(5000)),
        ] {
            let ranges = split_sentences(&text);
            assert!(
                ranges.iter().all(|r| r.len() <= MAX_SENTENCE_BYTES),
                "{:?}",
                ranges.iter().map(|r| r.len()).max()
            );
        }
    }

    #[test]
    fn very_long_runs_are_cut() {
        let text = "字".repeat(5000);
        let ranges = split_sentences(&text);
        assert!(ranges.iter().all(|r| r.len() <= MAX_SENTENCE_BYTES));
        assert_eq!(ranges.iter().map(|r| r.len()).sum::<usize>(), text.len());
    }

    /// The character-at-a-time splitter the byte-skipping one replaced.
    fn reference(text: &str) -> Vec<Range<usize>> {
        let mut sentences = Vec::new();
        let mut start = 0;
        let bytes = text.as_bytes();
        let mut chars = text.char_indices().peekable();
        while let Some((offset, c)) = chars.next() {
            // Most characters end nothing: skip them by their first byte (。 starts
            // with E3, the closers and full-width ends with E2, E3 or EF).
            let first = bytes[offset];
            if !matches!(
                first,
                b'\n' | b'\r' | b'!' | b'?' | b';' | b'.' | 0xE3 | 0xEF
            ) && offset + c.len_utf8() - start <= MAX_SENTENCE_BYTES
            {
                continue;
            }
            let mut end = None;
            if offset + c.len_utf8() - start > MAX_SENTENCE_BYTES && offset > start {
                // Too long without an end: cut before this character.
                push_trimmed(text, start..offset, &mut sentences);
                start = offset;
                if c != '\n' && c != '\r' && !ENDS.contains(&c) {
                    continue;
                }
            }
            if c == '\n' || c == '\r' {
                end = Some(offset);
            } else if ENDS.contains(&c) || (c == '.' && ends_with_period(text, offset)) {
                let mut after = offset + c.len_utf8();
                while let Some(&(next_offset, next)) = chars.peek() {
                    let fits = next_offset + next.len_utf8() - start <= MAX_SENTENCE_BYTES;
                    if fits && (ENDS.contains(&next) || CLOSERS.contains(&next) || next == '.') {
                        after = next_offset + next.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                end = Some(after);
            }
            if let Some(end) = end {
                push_trimmed(text, start..end, &mut sentences);
                start = chars.peek().map_or(text.len(), |&(next, _)| next).max(end);
            }
        }
        push_trimmed(text, start..text.len(), &mut sentences);
        sentences
    }

    /// The byte-skipping splitter cuts where the character-at-a-time one
    /// did, on mixes of ends, closers, abbreviations and long runs.
    #[test]
    fn skipping_bytes_splits_as_reading_characters_does() {
        let alphabet = [
            "字",
            "字字字字字字字字字字",
            "a",
            "Dr",
            " ",
            "\n",
            "\r",
            "。",
            "！",
            "？",
            "；",
            "!",
            "?",
            ";",
            ".",
            "1",
            "”",
            "」",
            "）",
            ")",
            "、",
            "，",
            "\u{3000}",
            "é",
            "💡",
            "ab ",
        ];
        let mut random = crate::testing::Xorshift::new(0x2545_f491_4f6c_dd1d);
        for round in 0..3000 {
            let length = if round % 10 == 0 {
                2000
            } else {
                random.below(40)
            };
            let text: String = (0..length).map(|_| *random.pick(&alphabet)).collect();
            assert_eq!(split_sentences(&text), reference(&text), "{text:?}");
        }
    }
}
