//! Errors and warnings about rule files, and how they are shown to people.
//!
//! A [`Diagnostic`] is data: a severity, a stable code, a message, the span it is
//! about, and hints. [`Diagnostic::render`] draws it the way rustc does — location,
//! source line, a caret under the span — with columns measured in terminal cells,
//! so the caret sits under the right character in Chinese text too.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use unicode_width::UnicodeWidthChar;

use crate::source::{FileId, SourceMap};
use crate::span::Span;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The rule set cannot be used.
    Error,
    /// The rule set works, but probably not as meant.
    Warning,
}

/// A place in a source file with a short note about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// The file.
    pub file: FileId,
    /// The span in it.
    pub span: Span,
    /// What to say under the span (may be empty).
    pub message: String,
}

/// One error or warning, with where it is and what may fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable kebab-case name such as `unknown-name`, listed in docs/language.md.
    pub code: &'static str,
    /// One sentence, lowercase, without a final period.
    pub message: String,
    /// The place the diagnostic is about.
    pub primary: Label,
    /// Other places worth showing ("first declared here").
    pub secondary: Vec<Label>,
    /// Suggestions, each shown as `= hint: ...`.
    pub hints: Vec<String>,
}

impl Diagnostic {
    /// An error with code `code` at `span` of `file`.
    pub fn error(code: &'static str, file: FileId, span: Span, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Error, code, file, span, message)
    }

    /// A warning with code `code` at `span` of `file`.
    pub fn warning(
        code: &'static str,
        file: FileId,
        span: Span,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic::new(Severity::Warning, code, file, span, message)
    }

    fn new(
        severity: Severity,
        code: &'static str,
        file: FileId,
        span: Span,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            primary: Label {
                file,
                span,
                message: String::new(),
            },
            secondary: Vec::new(),
            hints: Vec::new(),
        }
    }

    /// Sets the note under the primary span.
    pub fn with_label(mut self, message: impl Into<String>) -> Self {
        self.primary.message = message.into();
        self
    }

    /// Adds another place to show.
    pub fn with_secondary(mut self, file: FileId, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label {
            file,
            span,
            message: message.into(),
        });
        self
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    /// Adds a hint when there is one.
    pub fn with_optional_hint(self, hint: Option<String>) -> Self {
        match hint {
            Some(hint) => self.with_hint(hint),
            None => self,
        }
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Draws the diagnostic as text; with `styled`, with ANSI colours.
    pub fn render(&self, sources: &SourceMap, styled: bool) -> String {
        let palette = Palette::new(styled, self.severity);
        let mut out = String::new();
        let word = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(
            out,
            "{}{word}[{}]{}: {}{}{}",
            palette.level.render(),
            self.code,
            palette.level.render_reset(),
            palette.bold.render(),
            self.message,
            palette.bold.render_reset()
        );
        let labels: Vec<(&Label, bool)> = std::iter::once((&self.primary, true))
            .chain(self.secondary.iter().map(|l| (l, false)))
            .collect();
        let gutter = labels
            .iter()
            .map(|(label, _)| {
                sources
                    .file(label.file)
                    .line_col(label.span.start)
                    .line
                    .to_string()
                    .len()
            })
            .max()
            .unwrap_or(1);
        let pad = " ".repeat(gutter);
        for (index, (label, primary)) in labels.iter().enumerate() {
            let file = sources.file(label.file);
            let start = file.line_col(label.span.start);
            let arrow = if index == 0 { "-->" } else { ":::" };
            let _ = writeln!(
                out,
                "{pad}{}{arrow}{} {}:{}:{}",
                palette.blue.render(),
                palette.blue.render_reset(),
                file.name,
                start.line,
                start.column
            );
            let _ = writeln!(
                out,
                "{pad} {}|{}",
                palette.blue.render(),
                palette.blue.render_reset()
            );
            let line_text = file.line_text(start.line);
            let line_start = file.text[..label.span.start]
                .rfind('\n')
                .map_or(0, |i| i + 1);
            let from = label.span.start - line_start;
            let to = (label.span.end.max(label.span.start) - line_start).min(line_text.len());
            let (shown, caret_from, caret_len) = window(line_text, from, to.max(from));
            let _ = writeln!(
                out,
                "{}{:>gutter$}{} {}|{} {}",
                palette.blue.render(),
                start.line,
                palette.blue.render_reset(),
                palette.blue.render(),
                palette.blue.render_reset(),
                shown
            );
            let (mark, style) = if *primary {
                ('^', palette.level)
            } else {
                ('-', palette.blue)
            };
            let marks: String = std::iter::repeat_n(mark, caret_len).collect();
            let note = if label.message.is_empty() {
                String::new()
            } else {
                format!(" {}", label.message)
            };
            let _ = writeln!(
                out,
                "{pad} {}|{} {}{}{}{}{}",
                palette.blue.render(),
                palette.blue.render_reset(),
                " ".repeat(caret_from),
                style.render(),
                marks,
                note,
                style.render_reset()
            );
        }
        if !self.hints.is_empty() {
            let _ = writeln!(
                out,
                "{pad} {}|{}",
                palette.blue.render(),
                palette.blue.render_reset()
            );
            for hint in &self.hints {
                let _ = writeln!(
                    out,
                    "{pad} {}={} {}hint{}: {hint}",
                    palette.blue.render(),
                    palette.blue.render_reset(),
                    palette.bold.render(),
                    palette.bold.render_reset()
                );
            }
        }
        out
    }
}

/// Terminal cells taken by `text`, with a tab counted as one cell (we print tabs as spaces).
fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| if c == '\t' { 1 } else { c.width().unwrap_or(0) })
        .sum()
}

/// A source line wider than this many cells is shown as a window around the span.
const MAX_LINE_WIDTH: usize = 120;

/// Cells of the line shown before the span when the line is cut.
const LEFT_CONTEXT: usize = 30;

/// The part of `line` to print for the span `from..to` (byte offsets in the
/// line), with where the caret starts and how many cells it covers. A long
/// line is cut to a window around the span, `…` marking each cut side.
fn window(line: &str, from: usize, to: usize) -> (String, usize, usize) {
    if display_width(line) <= MAX_LINE_WIDTH {
        let caret = display_width(&line[from..to]).max(1);
        return (visible(line), display_width(&line[..from]), caret);
    }
    let mut begin = from;
    let mut cells = 0;
    for (at, c) in line[..from].char_indices().rev() {
        if cells >= LEFT_CONTEXT {
            break;
        }
        cells += display_width(c.encode_utf8(&mut [0; 4]));
        begin = at;
    }
    let mut end = begin;
    let mut cells = 0;
    for (at, c) in line[begin..].char_indices() {
        let width = display_width(c.encode_utf8(&mut [0; 4]));
        if cells + width > MAX_LINE_WIDTH - 2 {
            break;
        }
        cells += width;
        end = begin + at + c.len_utf8();
    }
    let left = if begin > 0 { "…" } else { "" };
    let right = if end < line.len() { "…" } else { "" };
    let shown = format!("{left}{}{right}", visible(&line[begin..end]));
    let caret_from = usize::from(begin > 0) + display_width(&line[begin..from]);
    let caret = display_width(&line[from..to.min(end).max(from)]).max(1);
    (shown, caret_from, caret)
}

/// The source line as printed: tabs as single spaces so carets line up.
fn visible(line: &str) -> String {
    line.replace('\t', " ")
}

#[derive(Clone, Copy)]
struct Palette {
    level: Style,
    bold: Style,
    blue: Style,
}

impl Palette {
    fn new(styled: bool, severity: Severity) -> Palette {
        if !styled {
            return Palette {
                level: Style::new(),
                bold: Style::new(),
                blue: Style::new(),
            };
        }
        let colour = match severity {
            Severity::Error => AnsiColor::Red,
            Severity::Warning => AnsiColor::Yellow,
        };
        Palette {
            level: Style::new().bold().fg_color(Some(colour.into())),
            bold: Style::new().bold(),
            blue: Style::new().bold().fg_color(Some(AnsiColor::Blue.into())),
        }
    }
}

/// The name in `candidates` closest to `name`, if one is close enough to suggest.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        let score = strsim::jaro_winkler(&name.to_lowercase(), &candidate.to_lowercase());
        let close = score >= 0.8
            || strsim::levenshtein(name, candidate) <= name.chars().count().div_ceil(3);
        if close && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_sits_under_cjk_text() {
        let mut sources = SourceMap::new();
        let text = "rule 成立 = $org:Orgg \"成立\"\n";
        let file = sources.add("x.kgr", "x.kgr", text.to_owned());
        let start = text.find("Orgg").unwrap();
        let diagnostic = Diagnostic::error(
            "unknown-name",
            file,
            Span::new(start, start + 4),
            "unknown name `Orgg`",
        )
        .with_label("not declared")
        .with_hint("did you mean `Org`?");
        let rendered = diagnostic.render(&sources, false);
        let expected = "error[unknown-name]: unknown name `Orgg`
 --> x.kgr:1:16
  |
1 | rule 成立 = $org:Orgg \"成立\"
  |                  ^^^^ not declared
  |
  = hint: did you mean `Org`?
";
        assert_eq!(rendered, expected);
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("Orgg", ["Org", "Team"]), Some("Org"));
        assert_eq!(did_you_mean("Hospital", ["Org", "Team"]), None);
    }
}
