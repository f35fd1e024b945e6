//! `kgrep check`: load rule files and print every error and warning.

use std::io::Write;
use std::path::PathBuf;

use anstyle::AnsiColor;
use anyhow::Result;
use clap::{Args, ValueEnum};
use serde::Serialize;

use super::{Outcome, Output};
use kgrep::diagnostic::{Diagnostic, Severity};
use kgrep::rules::{self, Loaded};
use kgrep::source::{FileSystem, SourceMap};

/// Arguments of `kgrep check`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  kgrep check examples/zh/news.kgr
  kgrep check --deny-warnings rules/*.kgr
  kgrep check --message-format json rules.kgr | jq .message

Each file is checked with the files it includes. Exit status: 0 no errors,
1 errors (or warnings with --deny-warnings), 2 a file could not be read.")]
pub struct CheckArgs {
    /// The rule files to check.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// How to print diagnostics: human (with source lines) or json (one object a line, on stdout).
    #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,

    /// Treat warnings as errors for the exit status.
    #[arg(long)]
    pub deny_warnings: bool,

    /// Show at most N diagnostics a file (0: all); the counts stay exact and
    /// JSON output is never cut.
    #[arg(long, value_name = "N", default_value_t = crate::ui::rules::MAX_DIAGNOSTICS)]
    pub max_diagnostics: usize,
}

/// How diagnostics are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    /// For people: location, source line, caret, hints.
    Human,
    /// For tools: one JSON object a line.
    Json,
}

/// Runs `kgrep check`.
pub fn run(args: &CheckArgs, output: &Output) -> Result<Outcome> {
    let mut outcome = Outcome::Success;
    let mut unreadable = false;
    for path in &args.files {
        let loaded = match rules::load(path, &FileSystem) {
            Ok(loaded) => loaded,
            Err(error) => {
                output.error(&format!("{:#}", anyhow::Error::from(error)));
                unreadable = true;
                continue;
            }
        };
        let mut loaded = loaded;
        // What `check` accepts must compile: the automata have size limits
        // that only building them finds.
        if let Some(rule_set) = &loaded.rule_set
            && let Err(error) = kgrep::matcher::Matcher::new(rule_set)
        {
            let diagnostic = match error.origin() {
                Some(origin) => Diagnostic::error(
                    "pattern-too-large",
                    origin.file,
                    origin.span,
                    format!("this pattern is too large to compile: {}", error.message()),
                )
                .with_label("declared here")
                .with_hint("split it into several rules, or move long word lists into a lexicon"),
                None => Diagnostic::error(
                    "pattern-too-large",
                    loaded
                        .files
                        .first()
                        .map(|(id, _)| *id)
                        .expect("a rule set has a file"),
                    kgrep::span::Span::default(),
                    error.to_string(),
                ),
            };
            loaded.diagnostics.push(diagnostic);
            loaded.rule_set = None;
        }
        let errors = loaded.count(Severity::Error);
        let warnings = loaded.count(Severity::Warning);
        if errors > 0 || (args.deny_warnings && warnings > 0) {
            outcome = Outcome::Problems;
        }
        match args.message_format {
            MessageFormat::Human => report_human(
                output,
                path,
                &loaded,
                errors,
                warnings,
                args.max_diagnostics,
            ),
            MessageFormat::Json => {
                let mut stdout = output.stdout();
                for diagnostic in &loaded.diagnostics {
                    writeln!(
                        stdout,
                        "{}",
                        serde_json::to_string(&JsonDiagnostic::new(diagnostic, &loaded.sources))?
                    )?;
                }
            }
        }
    }
    Ok(if unreadable {
        Outcome::Unreadable
    } else {
        outcome
    })
}

fn report_human(
    output: &Output,
    path: &std::path::Path,
    loaded: &Loaded,
    errors: usize,
    warnings: usize,
    limit: usize,
) {
    crate::ui::rules::show_diagnostics(output, loaded.diagnostics.iter(), &loaded.sources, limit);
    let name = path.display();
    let counted = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    if errors > 0 {
        let mut message = format!("`{name}` has {}", counted(errors, "error"));
        if warnings > 0 {
            message.push_str(&format!(" and {}", counted(warnings, "warning")));
        }
        output.error(&message);
    } else {
        let summary = loaded.rule_set.as_ref().map_or_else(String::new, |set| {
            format!(
                " ({}, {}, {}, {})",
                counted(set.rules.len(), "rule"),
                counted(set.entities.len(), "entity type"),
                counted(set.lexicons.len(), "lexicon"),
                counted(set.tests.len(), "test")
            )
        });
        if warnings > 0 {
            output.warning(&format!(
                "`{name}`{summary} has {}",
                counted(warnings, "warning")
            ));
        } else {
            output.status("ok", AnsiColor::Green, &format!("`{name}`{summary}"));
        }
    }
}

/// A diagnostic as `--message-format json` prints it.
#[derive(Debug, Serialize)]
struct JsonDiagnostic<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    severity: &'static str,
    code: &'static str,
    message: &'a str,
    label: &'a str,
    hints: &'a [String],
}

impl<'a> JsonDiagnostic<'a> {
    fn new(diagnostic: &'a Diagnostic, sources: &'a SourceMap) -> Self {
        let file = sources.file(diagnostic.primary.file);
        let start = file.line_col(diagnostic.primary.span.start);
        let end = file.line_col(diagnostic.primary.span.end);
        JsonDiagnostic {
            file: &file.name,
            line: start.line,
            column: start.column,
            end_line: end.line,
            end_column: end.column,
            severity: match diagnostic.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            },
            code: diagnostic.code,
            message: &diagnostic.message,
            label: &diagnostic.primary.message,
            hints: &diagnostic.hints,
        }
    }
}
