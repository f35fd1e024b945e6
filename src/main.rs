//! The `kgrep` command: front ends over the library, side by side — the
//! command line (`cli`), the interactive shell (`repl`) and the SPARQL
//! endpoint (`server`) — and what they use to talk to a person (`ui`). Parse the command line, run, map the
//! outcome to an exit code.

mod cli;
#[cfg(feature = "store")]
mod repl;
#[cfg(feature = "store")]
mod server;
mod ui;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
