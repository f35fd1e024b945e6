//! The `kgrep` command: two front ends over the library, side by side — the
//! command line (`cli`) and the interactive shell (`repl`) — and what both
//! use to talk to a person (`ui`). Parse the command line, run, map the
//! outcome to an exit code.

mod cli;
#[cfg(feature = "store")]
mod repl;
mod ui;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
