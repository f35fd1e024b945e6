//! `kgrep debug`: internals for benchmarks and debugging (hidden from `--help`).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;

use super::{Outcome, Output};
use crate::ui::rules::load_rules;
use kgrep::matcher::Matcher;

/// The debugging subcommands.
#[derive(Debug, Subcommand)]
pub enum DebugCommand {
    /// Print each rule's pattern as a regular expression (one a line), as
    /// ripgrep would need it to search for the same text.
    Regex {
        /// Rule files.
        #[arg(short, long = "rules", required = true)]
        rules: Vec<PathBuf>,
    },
}

/// Runs a debugging subcommand.
pub fn run(command: &DebugCommand, output: &Output) -> Result<Outcome> {
    match command {
        DebugCommand::Regex { rules } => {
            let (extractor, _) = load_rules(rules, output, true)?;
            let mut stdout = output.stdout();
            for regex in Matcher::regexes(extractor.rules()) {
                writeln!(stdout, "{regex}")?;
            }
        }
    }
    Ok(Outcome::Success)
}
