//! NFKC normalisation that remembers where each piece came from.
//!
//! Chinese news is mostly NFKC already except for full-width punctuation
//! (`，` `：` `（`) and digits, so the common characters take a fast path and
//! only the rest go through `unicode-normalization`.

use unicode_normalization::UnicodeNormalization;

use super::view::{View, derive, map_offset};

/// A normalised text with a map back to byte offsets of the original.
#[derive(Clone, Debug, Default)]
pub struct Normalized {
    /// The normalised text.
    pub text: String,
    /// `(normalised byte, original byte)` at every place where the two
    /// advance differently; between checkpoints they advance together.
    checkpoints: Vec<(usize, usize)>,
    /// The same from the text normalised to the original file, when a
    /// [`View`] derived that text from the file (markup skipped, lines joined).
    source: Vec<(usize, usize)>,
}

impl Normalized {
    /// The byte offset in the original text of normalised byte `offset`
    /// (an offset inside an expanded character maps to that character's start).
    pub fn original_offset(&self, offset: usize) -> usize {
        map_offset(&self.source, map_offset(&self.checkpoints, offset))
    }
}

/// Normalises the text `view` sees in `original`, keeping the offset map to
/// the original.
pub fn normalize_in(original: &str, view: View) -> Normalized {
    match derive(original, view) {
        None => normalize(original),
        Some(derived) => Normalized {
            source: derived.checkpoints,
            ..normalize(&derived.text)
        },
    }
}

/// Normalises `original` (NFKC) and keeps the offset map.
///
/// Characters NFKC leaves alone are copied in runs; a run ends at a character
/// that changes or may combine with the one before it. The common ones
/// (ASCII, CJK ideographs and punctuation, curly quotes) are told by their
/// bytes (`unchanged_len`), without decoding them.
pub fn normalize(original: &str) -> Normalized {
    let bytes = original.as_bytes();
    let mut text = String::with_capacity(original.len());
    let mut checkpoints = Vec::new();
    // The start of the run of unchanged characters not yet copied.
    let mut run = 0;
    let mut offset = 0;
    // The offset of the character before the one at hand.
    let mut previous = 0;
    while offset < bytes.len() {
        let unchanged = unchanged_len(bytes, offset);
        if unchanged == 1 {
            // ASCII: then whole words of it, eight bytes at a time.
            let mut end = offset + 1;
            while let Some(word) = bytes.get(end..end + 8) {
                let word = u64::from_le_bytes(word.try_into().expect("eight bytes"));
                if word & 0x8080_8080_8080_8080 != 0 {
                    break;
                }
                end += 8;
            }
            (previous, offset) = (end - 1, end);
            continue;
        }
        if unchanged > 0 {
            previous = offset;
            offset += unchanged;
            continue;
        }
        let c = original[offset..]
            .chars()
            .next()
            .expect("a character starts here");
        let before = std::mem::replace(&mut previous, offset);
        let after = offset + c.len_utf8();
        // A combining mark composes with the character before it: that one
        // leaves the run when it is still in it.
        let start = if run < offset && is_combining(c) {
            before
        } else {
            offset
        };
        let simple = fast_path(c).filter(|_| {
            start == offset
                && !original[after..]
                    .chars()
                    .next()
                    .is_some_and(|next| !next.is_ascii() && is_combining(next))
        });
        if simple == Some(c) {
            offset = after;
            continue;
        }
        text.push_str(&original[run..start]);
        if let Some(simple) = simple {
            text.push(simple);
            checkpoints.push((text.len(), after));
            (run, offset) = (after, after);
            continue;
        }
        // A character and the combining marks after it normalise together.
        let mut end = after;
        while let Some(next) = original[end..].chars().next() {
            if !is_combining(next) {
                break;
            }
            previous = end;
            end += next.len_utf8();
        }
        let piece = &original[start..end];
        let before = text.len();
        text.extend(piece.nfkc());
        if text.len() - before != piece.len() {
            // Every byte of the expansion maps to the start of the piece.
            checkpoints.extend((before..text.len()).map(|byte| (byte, start)));
            checkpoints.push((text.len(), end));
        }
        (run, offset) = (end, end);
    }
    text.push_str(&original[run..]);
    Normalized {
        text,
        checkpoints,
        source: Vec::new(),
    }
}

/// The length of the character at `at` when it is ASCII or one `is_unchanged`
/// holds for (told from its UTF-8 bytes); else 0. A `match`, not a table:
/// the branches let the processor run ahead, where a table's loads would
/// make each character wait for the one before.
fn unchanged_len(bytes: &[u8], at: usize) -> usize {
    match bytes[at] {
        0x00..=0x7f => 1,
        // U+4000–U+9FFF.
        0xe4..=0xe9 => 3,
        // U+3001–U+3029 and U+3030–U+3035 (U+302A–U+302F are tone marks, which combine).
        0xe3 if bytes[at + 1] == 0x80 && matches!(bytes[at + 2], 0x81..=0xa9 | 0xb0..=0xb5) => 3,
        // U+2018–U+201F.
        0xe2 if bytes[at + 1] == 0x80 && (0x98..=0x9f).contains(&bytes[at + 2]) => 3,
        _ => 0,
    }
}

/// Whether NFKC leaves `c` alone wherever it stands (unless a combining mark
/// follows it, which the caller sees next): CJK ideographs, CJK punctuation
/// and curly quotes. What `unchanged_len` tells from the bytes.
#[cfg(test)]
fn is_unchanged(c: char) -> bool {
    matches!(c, '\u{3001}'..='\u{3029}' | '\u{3030}'..='\u{3035}' | '\u{4000}'..='\u{9fff}' | '\u{2018}'..='\u{201f}')
}

fn is_combining(c: char) -> bool {
    // Most characters of Chinese text are known not to combine, by range: the
    // table lookups are for the rest.
    match c {
        '\0'..='\u{2ff}'
        | '\u{3000}'..='\u{3029}'
        | '\u{3030}'..='\u{3098}'
        | '\u{3400}'..='\u{9fff}'
        | '\u{ff01}'..='\u{ff5e}' => false,
        _ => combines(c),
    }
}

/// A mark combines (its class is not 0), and so does a character that may
/// compose with the one before it though its class is 0 (NFKC's quick check
/// says "maybe"): Hangul vowel and final jamo, some Indic vowel signs.
fn combines(c: char) -> bool {
    unicode_normalization::char::canonical_combining_class(c) != 0
        || unicode_normalization::is_nfkc_quick(std::iter::once(c))
            == unicode_normalization::IsNormalized::Maybe
}

/// Whether NFKC is known to leave `c` alone, by range (false: it may or may
/// not).
pub(crate) fn keeps_char(c: char) -> bool {
    fast_path(c) == Some(c)
}

/// NFKC of `text`, without the map (for rule literals and lexicon entries).
pub fn normalize_str(text: &str) -> String {
    normalize(text).text
}

/// The NFKC form of `c` when it is a single character we can compute cheaply.
fn fast_path(c: char) -> Option<char> {
    match c {
        '\u{0}'..='\u{9f}' => Some(c),
        // CJK ideographs, CJK punctuation and curly quotes: NFKC leaves them alone.
        '\u{3001}'..='\u{3029}'
        | '\u{3030}'..='\u{3035}'
        | '\u{4000}'..='\u{9fff}'
        | '\u{2018}'..='\u{201f}' => Some(c),
        '\u{3000}' => Some(' '),
        // Full-width ASCII forms.
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_becomes_ascii_and_offsets_map_back() {
        let original = "党员４６名，（一）";
        let normalized = normalize(original);
        assert_eq!(normalized.text, "党员46名,(一)");
        let comma = normalized.text.find(',').unwrap();
        assert_eq!(&original[normalized.original_offset(comma)..], "，（一）");
        let one = normalized.text.find('一').unwrap();
        assert_eq!(&original[normalized.original_offset(one)..], "一）");
        assert_eq!(
            normalized.original_offset(normalized.text.len()),
            original.len()
        );
    }

    #[test]
    fn combining_marks_compose() {
        assert_eq!(normalize("cafe\u{301}!").text, "café!");
    }

    #[test]
    fn expansions_map_to_the_start_of_their_character() {
        let original = "a㎞b";
        let normalized = normalize(original);
        assert_eq!(normalized.text, "akmb");
        assert_eq!(normalized.original_offset(2), 1);
        assert_eq!(&original[normalized.original_offset(3)..], "b");
    }

    /// The character-at-a-time normaliser the run-copying one replaced.
    fn reference(original: &str) -> Normalized {
        let mut text = String::with_capacity(original.len());
        let mut checkpoints = Vec::new();
        let mut chars = original.char_indices().peekable();
        while let Some((offset, c)) = chars.next() {
            let combining_next = chars
                .peek()
                .is_some_and(|&(_, next)| !next.is_ascii() && is_combining(next));
            if let Some(simple) = fast_path(c).filter(|_| !combining_next) {
                if simple != c {
                    text.push(simple);
                    checkpoints.push((text.len(), offset + c.len_utf8()));
                } else {
                    text.push(c);
                }
                continue;
            }
            // A character and the combining marks after it normalise together.
            let mut end = offset + c.len_utf8();
            while let Some(&(next_offset, next)) = chars.peek() {
                if !is_combining(next) {
                    break;
                }
                end = next_offset + next.len_utf8();
                chars.next();
            }
            let piece = &original[offset..end];
            let before = text.len();
            text.extend(piece.nfkc());
            if text.len() - before != piece.len() {
                // Every byte of the expansion maps to the start of the piece.
                checkpoints.extend((before..text.len()).map(|byte| (byte, offset)));
                checkpoints.push((text.len(), end));
            }
        }
        Normalized {
            text,
            checkpoints,
            source: Vec::new(),
        }
    }

    /// NFKC leaves alone, and never composes with the character before,
    /// what `is_unchanged` names; `is_combining` tells by range only
    /// characters that do not combine.
    #[test]
    fn unchanged_characters_are_unchanged() {
        use unicode_normalization::{IsNormalized, is_nfkc_quick};
        for c in (0..=char::MAX as u32).filter_map(char::from_u32) {
            if is_unchanged(c) {
                assert_eq!(
                    c.to_string().nfkc().collect::<String>(),
                    c.to_string(),
                    "{c:?}"
                );
                assert!(fast_path(c) == Some(c), "{c:?}");
                assert_eq!(
                    is_nfkc_quick(std::iter::once(c)),
                    IsNormalized::Yes,
                    "{c:?}"
                );
            }
            assert_eq!(is_combining(c), combines(c), "{c:?}");
        }
    }

    /// The bytes tell exactly the characters `is_unchanged` names, and ASCII.
    #[test]
    fn unchanged_characters_are_told_by_their_bytes() {
        for c in (0..=char::MAX as u32).filter_map(char::from_u32) {
            let mut buffer = [0; 4];
            let bytes = c.encode_utf8(&mut buffer).as_bytes();
            let told = unchanged_len(bytes, 0);
            let expected = if c.is_ascii() || is_unchanged(c) {
                c.len_utf8()
            } else {
                0
            };
            assert_eq!(told, expected, "{c:?}");
        }
    }

    /// The run-copying normaliser gives the character-at-a-time one's text
    /// and offsets on mixes of every kind of character it treats apart.
    #[test]
    fn runs_normalise_as_characters_do() {
        let alphabet = [
            "a", "Z", " ", "\n", "中", "国", "。", "，", "（", "４", "Ａ", "\u{3000}", "\u{301}",
            "\u{308}", "\u{85}", "㎞", "\u{f900}", "é", "ﬁ", "\u{1100}", "\u{1161}", "“", "　",
            // Next to the ranges told by their bytes.
            "\u{3400}", "\u{4dc0}", "\u{4dff}", "\u{9fff}", "\u{a000}", "\u{3036}", "\u{3000}",
            "、", "\u{2017}", "\u{2018}", "\u{201f}", "\u{2020}", "\u{2122}", "\u{ff10}",
            // Marks in U+3000–U+33FF that combine: tone marks, kana sound marks;
            // characters of class 0 that compose with the one before them.
            "\u{3131}", "\u{11a8}", "\u{0b47}", "\u{0b3e}", "\u{3029}", "\u{302a}", "\u{302f}",
            "\u{3030}", "か", "\u{3099}", "\u{309a}",
        ];
        let mut random = crate::testing::Xorshift::new(0x2545_f491_4f6c_dd1d);
        for _ in 0..3000 {
            let length = random.below(12);
            let text: String = (0..length).map(|_| *random.pick(&alphabet)).collect();
            let (ours, theirs) = (normalize(&text), reference(&text));
            assert_eq!(ours.text, theirs.text, "{text:?}");
            assert_eq!(
                ours.text,
                text.nfkc().collect::<String>(),
                "NFKC of {text:?}"
            );
            for offset in 0..=ours.text.len() {
                assert_eq!(
                    ours.original_offset(offset),
                    theirs.original_offset(offset),
                    "{text:?} at {offset}"
                );
            }
        }
    }
}
