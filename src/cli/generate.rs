//! What clap generates from the command definitions, so it never drifts from
//! them: shell completions (`kgrep completions SHELL`) and the man page
//! (`kgrep man`).

use std::io::Write;

use anyhow::Result;
use clap::{Args, CommandFactory};

use super::{Cli, Outcome, Output};

/// Arguments of `kgrep completions`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  kgrep completions bash > ~/.local/share/bash-completion/completions/kgrep
  kgrep completions zsh > ~/.zfunc/_kgrep
  kgrep completions fish > ~/.config/fish/completions/kgrep.fish")]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Writes the completion script for a shell to standard output.
pub fn completions(args: &CompletionsArgs, output: &Output) -> Result<Outcome> {
    let mut command = Cli::command();
    // Into memory first: clap_complete panics on a write error (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "kgrep", &mut script);
    let mut out = output.stdout();
    out.write_all(&script)?;
    out.flush()?;
    Ok(Outcome::Success)
}

/// Writes the man page (roff) to standard output.
pub fn man(output: &Output) -> Result<Outcome> {
    let mut out = output.stdout();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    out.flush()?;
    Ok(Outcome::Success)
}
