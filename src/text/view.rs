//! How a document's bytes become the text rules see: as written, as
//! paragraphs (hard-wrapped lines joined), or with HTML/XML markup skipped —
//! always with a map back to byte offsets of the original file.
//!
//! The markup skipper is written here because spans must point into the
//! original file: HTML parsers (html5ever and friends) build a tree and
//! keep no source positions. Entities are decoded by the `html-escape`
//! crate's HTML5 table, one entity at a time.

/// What a document holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum View {
    /// Plain text: every line break ends a sentence.
    #[default]
    Text,
    /// Plain text in paragraphs: a line break inside a paragraph joins the
    /// lines (with a space between Latin words, nothing between CJK
    /// characters); a blank line ends the paragraph.
    Paragraphs,
    /// HTML: tags, comments, `<script>` and `<style>` skipped, entities
    /// decoded; block elements (`p`, `div`, `br`, `li`, headings …) end a
    /// sentence.
    Html,
    /// XML: tags, comments and processing instructions skipped, entities and
    /// CDATA decoded.
    Xml,
}

/// A text derived from an original, with `(derived byte, original byte)`
/// checkpoints where the two advance differently.
#[derive(Clone, Debug, Default)]
pub struct Derived {
    /// The text.
    pub text: String,
    /// Checkpoints, in increasing order of both offsets.
    pub checkpoints: Vec<(usize, usize)>,
}

impl Derived {
    /// The byte offset in the original of derived byte `offset`.
    pub fn original_offset(&self, offset: usize) -> usize {
        map_offset(&self.checkpoints, offset)
    }

    fn copy(&mut self, original: &str, from: usize, to: usize) {
        self.text.push_str(&original[from..to]);
    }

    /// Writes `replacement` for `original[from..to]`.
    fn replace(&mut self, replacement: &str, from: usize, to: usize) {
        self.checkpoints.push((self.text.len(), from));
        self.text.push_str(replacement);
        self.checkpoints.push((self.text.len(), to));
    }
}

/// The original offset of `offset` under `checkpoints` (see [`Derived`]).
pub(crate) fn map_offset(checkpoints: &[(usize, usize)], offset: usize) -> usize {
    let index = checkpoints.partition_point(|&(derived, _)| derived <= offset);
    if index == 0 {
        return offset;
    }
    let (derived, original) = checkpoints[index - 1];
    original + (offset - derived)
}

/// `original` as `view` sees it; `None` for [`View::Text`] (the text itself).
pub fn derive(original: &str, view: View) -> Option<Derived> {
    match view {
        View::Text => None,
        View::Paragraphs => Some(paragraphs(original)),
        View::Html => Some(markup(original, true)),
        View::Xml => Some(markup(original, false)),
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{2e80}'..='\u{9fff}' | '\u{f900}'..='\u{faff}' | '\u{ff00}'..='\u{ffef}'
        | '\u{20000}'..='\u{3ffff}')
}

/// Joins the lines of each paragraph.
fn paragraphs(original: &str) -> Derived {
    let mut out = Derived::default();
    let bytes = original.as_bytes();
    let mut copied = 0;
    let mut at = 0;
    while let Some(found) = original[at..].find('\n') {
        let newline = at + found;
        at = newline + 1;
        // The blanks around the line break.
        let mut start = newline;
        while start > 0 && matches!(bytes[start - 1], b' ' | b'\t' | b'\r') {
            start -= 1;
        }
        let mut end = newline + 1;
        while end < bytes.len() && matches!(bytes[end], b' ' | b'\t') {
            end += 1;
        }
        let before = original[..start].chars().next_back();
        let after = original[end..].chars().next();
        let (Some(before), Some(after)) = (before, after) else {
            continue;
        };
        if before == '\n' || matches!(after, '\n' | '\r') {
            continue; // a blank line: the paragraph ends
        }
        out.copy(original, copied, start);
        let joint = if is_cjk(before) || is_cjk(after) {
            ""
        } else {
            " "
        };
        out.replace(joint, start, end);
        copied = end;
        at = end;
    }
    out.copy(original, copied, original.len());
    out
}

/// HTML elements that end a sentence.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "caption",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "title",
    "tr",
    "ul",
];

/// Skips markup and decodes entities; `html`: block elements break sentences
/// and the content of `script` and `style` is skipped.
fn markup(original: &str, html: bool) -> Derived {
    let mut out = Derived::default();
    let mut copied = 0;
    let mut at = 0;
    let bytes = original.as_bytes();
    while at < bytes.len() {
        match bytes[at] {
            b'<' => {
                let rest = &original[at..];
                let (end, replacement) = if rest.starts_with("<!--") {
                    (find_end(original, at + 4, "-->"), "")
                } else if let Some(body) = rest.strip_prefix("<![CDATA[") {
                    let close = body.find("]]>").map_or(original.len(), |i| at + 9 + i);
                    out.copy(original, copied, at);
                    out.replace("", at, at + 9);
                    out.copy(original, at + 9, close);
                    let end = (close + 3).min(original.len());
                    out.replace("", close, end);
                    copied = end;
                    at = end;
                    continue;
                } else if rest.starts_with("<?") || rest.starts_with("<!") {
                    (find_end(original, at + 2, ">"), "")
                } else if rest[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '/') {
                    let end = tag_end(original, at + 1);
                    let name = tag_name(&original[at + 1..end]);
                    let skip_to = if html
                        && matches!(name.as_str(), "script" | "style")
                        && !original[at + 1..].starts_with('/')
                    {
                        // Up to the end of the closing tag.
                        let close = format!("</{name}");
                        let lower = original[end..].to_ascii_lowercase();
                        match lower.find(&close) {
                            Some(i) => tag_end(original, end + i + 1),
                            None => original.len(),
                        }
                    } else {
                        end
                    };
                    let block = html && BLOCKS.contains(&name.as_str());
                    (skip_to, if block { "\n" } else { "" })
                } else {
                    at += 1;
                    continue;
                };
                out.copy(original, copied, at);
                out.replace(replacement, at, end);
                copied = end;
                at = end;
            }
            b'&' => {
                let rest = &original[at..];
                let len = rest[1..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
                    .map_or(0, |i| i + 1);
                if len > 1 && rest[len..].starts_with(';') && len < 40 {
                    let entity = &rest[..=len];
                    let decoded = html_escape::decode_html_entities(entity);
                    if decoded != entity {
                        out.copy(original, copied, at);
                        out.replace(&decoded, at, at + len + 1);
                        copied = at + len + 1;
                        at = copied;
                        continue;
                    }
                }
                at += 1;
            }
            _ => at += 1,
        }
    }
    out.copy(original, copied, original.len());
    out
}

/// The offset after `close`, searched from `from` (the end when missing).
fn find_end(text: &str, from: usize, close: &str) -> usize {
    text[from..]
        .find(close)
        .map_or(text.len(), |i| from + i + close.len())
}

/// The offset after the `>` of the tag whose name starts at `from`
/// (quoted attribute values may hold `>`).
fn tag_end(text: &str, from: usize) -> usize {
    let mut quote = None;
    for (i, c) in text[from..].char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '>') => return from + i + 1,
            _ => {}
        }
    }
    text.len()
}

/// The lower-cased element name of a tag's body (`/p`, `div class=…`).
fn tag_name(body: &str) -> String {
    body.trim_start_matches('/')
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every derived character maps back to the same character of the original.
    fn check_map(original: &str, derived: &Derived) {
        for (offset, c) in derived.text.char_indices() {
            let at = derived.original_offset(offset);
            if original[at..].starts_with(c) {
                continue;
            }
            // A decoded entity or a joint maps to where its source starts.
            assert!(
                original[at..].starts_with('&') || c == ' ' || c == '\n',
                "{c:?} at {offset} maps to {:?}",
                &original[at..]
            );
        }
    }

    #[test]
    fn views_skip_markup_and_join_lines_with_offsets_into_the_original() {
        for (view, original, expected) in [
            (
                View::Paragraphs,
                "Acme Corp\n  said on\nMonday.\n\nNew one.",
                "Acme Corp said on Monday.\n\nNew one.",
            ),
            (
                View::Paragraphs,
                "中国移动湖北\n分公司党委成立\r\n突击队。\n\n下一段",
                "中国移动湖北分公司党委成立突击队。\n\n下一段",
            ),
            (
                View::Html,
                "<p>Acme&apos;s <b>team</b> left.</p><p>Then&nbsp;&#x41;.</p>",
                "\nAcme's team left.\n\nThen\u{a0}A.\n",
            ),
            (
                View::Html,
                "<script>var a = '<p>';</script><style>p{}</style>中建三局<br/>成立",
                "中建三局\n成立",
            ),
            (
                View::Xml,
                "<?xml version=\"1.0\"?><doc><t a=\"x>y\">R&amp;D</t><!-- c --><![CDATA[<raw>]]></doc>",
                "R&D<raw>",
            ),
        ] {
            let derived = derive(original, view).expect("derived");
            assert_eq!(derived.text, expected, "{view:?} {original:?}");
            check_map(original, &derived);
            assert_eq!(
                derived.original_offset(derived.text.len()),
                original
                    .len()
                    .min(derived.original_offset(derived.text.len()))
            );
        }
    }

    #[test]
    fn unterminated_markup_ends_the_text_without_panicking() {
        for original in [
            "<p",
            "<!-- open",
            "<![CDATA[x",
            "a &amp",
            "<script>x",
            "&#xZZ;",
            "<",
            "&",
        ] {
            let derived = derive(original, View::Html).unwrap();
            check_map(original, &derived);
        }
    }
}
