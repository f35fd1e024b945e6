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

/// mimalloc, not the system allocator: extraction makes and drops small
/// strings for every fact (IRIs, mention texts), and glibc's malloc spent a
/// third of a dense document's run in `malloc`, `free` and their
/// consolidation (bench/extract.sh, item 3: a third less CPU time with
/// mimalloc). Built without transparent huge pages (`no_thp`): with them
/// its arenas are backed by 2 MB pages and peak memory doubles (People's
/// Daily ×10: 118 MB against 70 MB) at the same speed. The library leaves
/// the choice to the program that links it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cli::main()
}
