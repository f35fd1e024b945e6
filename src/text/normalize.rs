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
pub fn normalize(original: &str) -> Normalized {
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

fn is_combining(c: char) -> bool {
    // ASCII and CJK ideographs never combine: skip the table lookup for them.
    !c.is_ascii()
        && !('\u{3000}'..='\u{9fff}').contains(&c)
        && unicode_normalization::char::canonical_combining_class(c) != 0
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
        '\u{3001}'..='\u{3035}' | '\u{4e00}'..='\u{9fff}' | '\u{2018}'..='\u{201f}' => Some(c),
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
}
