//! `kgrep repl`: the interactive shell (see `crate::repl`).

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::{Outcome, Output};
use crate::repl::{Session, Step, run as run_repl};
use kgrep::store::{GraphStore, StoreDir};

/// Arguments of `kgrep repl`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  kgrep repl --store graph.kgstore
  kgrep repl -r examples/zh/news.kgr --docs examples/zh/docs/
  kgrep repl --store graph.kgstore -c 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }'
  kgrep repl --store graph.kgstore --bail < report.sparql

The REPL reads the store's latest published state at each statement, so it
runs beside a build; a write (update, .load, .rank --save) takes the writer
lock for its duration and publishes its result; --read-only refuses writes.
Type SPARQL; a statement ends when its brackets and strings close and it parses
(never on `;`); its later lines get the prompt `...>`, and Ctrl-C drops it.
Tables fit the terminal (cut with …; `.mode line` or `\\x` shows values whole);
long results go through $KGREP_PAGER, $PAGER or less (`.pager off`). On a
terminal, CLEAR, DROP, MOVE, COPY, LOAD and DELETE WHERE ask first (--yes runs
them without asking). Dot-commands: .help lists them. With standard input piped,
statements and commands run in order; --bail stops at the first error (exit 1).
History: $XDG_DATA_HOME/kgrep/history (default ~/.local/share/kgrep/history).")]
pub struct ReplArgs {
    /// The on-disk store (without it, the store lives in memory).
    #[arg(long, value_name = "DIR", env = "KGREP_STORE")]
    pub store: Option<PathBuf>,

    /// Rule files for .load, .try and .reload.
    #[arg(short, long = "rules", value_name = "RULES")]
    pub rules: Vec<PathBuf>,

    /// Documents to extract and load at the start (needs --rules).
    #[arg(long = "docs", value_name = "DOC", num_args = 1.., requires = "rules")]
    pub documents: Vec<PathBuf>,

    /// Run this one statement (or dot-command) and exit.
    #[arg(short = 'c', long = "command", value_name = "STATEMENT")]
    pub command: Option<String>,

    /// Stop at the first error, with exit status 1.
    #[arg(long)]
    pub bail: bool,

    /// Never write the store (updates, .load and .rank --save are refused).
    #[arg(long)]
    pub read_only: bool,

    /// Run destructive updates (CLEAR, DROP, DELETE WHERE, LOAD …) without
    /// asking; on a terminal the REPL asks first.
    #[arg(short = 'y', long)]
    pub yes: bool,
}

/// Runs `kgrep repl`.
pub fn run(args: &ReplArgs, output: &Output) -> Result<Outcome> {
    let (store, dir) = match &args.store {
        Some(path) => {
            let dir = StoreDir::open(path)?;
            (dir.reader()?, Some(dir))
        }
        None => (GraphStore::in_memory()?, None),
    };
    let mut session = Session::new(
        store,
        args.rules.clone(),
        Output::new(super::ColorWhen::Auto),
    )?
    .assume_yes(args.yes);
    if let Some(dir) = dir {
        session = session.with_dir(dir, args.read_only)?;
    }
    if !args.documents.is_empty() {
        session.load(&args.documents)?;
    }
    if let Some(statement) = &args.command {
        return match session.execute(statement) {
            Ok(Step::Continue | Step::Quit) => Ok(Outcome::Success),
            Err(error) => {
                if error.to_string() != "(reported)" {
                    output.error(&format!("{error:#}"));
                }
                Ok(Outcome::Problems)
            }
        };
    }
    Ok(if run_repl(session, args.bail)? {
        Outcome::Success
    } else {
        Outcome::Problems
    })
}
