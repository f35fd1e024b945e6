//! Where the CLI writes: stdout for results, stderr for diagnostics and
//! messages, coloured only when the user and the terminal want it.

use std::io::{self, Write};

use anstream::{AutoStream, ColorChoice};
use anstyle::{AnsiColor, Style};

use super::ColorWhen;
use kgrep::diagnostic::Diagnostic;
use kgrep::source::SourceMap;

/// The CLI's view of stdout and stderr.
#[derive(Clone, Debug)]
pub struct Output {
    choice: ColorChoice,
}

impl Output {
    /// Output coloured according to `when` (and `NO_COLOR`, `CLICOLOR_FORCE`).
    pub fn new(when: ColorWhen) -> Output {
        let choice = match when {
            ColorWhen::Auto => ColorChoice::Auto,
            ColorWhen::Always => ColorChoice::Always,
            ColorWhen::Never => ColorChoice::Never,
        };
        Output { choice }
    }

    /// Standard output, with colours stripped when they are not wanted.
    pub fn stdout(&self) -> AutoStream<io::StdoutLock<'static>> {
        AutoStream::new(io::stdout().lock(), self.choice)
    }

    /// Standard error, with colours stripped when they are not wanted.
    pub fn stderr(&self) -> AutoStream<io::StderrLock<'static>> {
        AutoStream::new(io::stderr().lock(), self.choice)
    }

    /// Writes a diagnostic to stderr.
    pub fn diagnostic(&self, diagnostic: &Diagnostic, sources: &SourceMap) {
        let _ = writeln!(self.stderr(), "{}", diagnostic.render(sources, true));
    }

    /// Writes `error: message` to stderr.
    pub fn error(&self, message: &str) {
        self.status("error", AnsiColor::Red, message);
    }

    /// Writes `warning: message` to stderr.
    pub fn warning(&self, message: &str) {
        self.status("warning", AnsiColor::Yellow, message);
    }

    /// Writes `note: message` to stderr.
    pub fn note(&self, message: &str) {
        self.status("note", AnsiColor::Cyan, message);
    }

    /// Writes `word: message` to stderr, the word in colour.
    pub fn status(&self, word: &str, colour: AnsiColor, message: &str) {
        let style = Style::new().bold().fg_color(Some(colour.into()));
        let _ = writeln!(
            self.stderr(),
            "{}{word}{}: {message}",
            style.render(),
            style.render_reset()
        );
    }
}

/// Whether `error` is a closed pipe (`kgrep fmt x | head`), which is not a failure.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}
