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

/// mimalloc: extraction allocates and frees many small values a fact (terms,
/// provenance strings); glibc's allocator spent a third of a dense
/// document's time consolidating and unlinking chunks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cli::main()
}
