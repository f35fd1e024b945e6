//! The one integration test binary (one link step for all integration tests).
//!
//! - `data`: data-driven cases in `tests/data/{ok,err}/` — rule files with their
//!   expected diagnostics as snapshots. `KGREP_BLESS=1 cargo test` rewrites the
//!   snapshots; review the diff before committing.
//! - `grammar`: every example in `grammar/kgr.ebnf` parses, and every production
//!   has a parser function of the same name.
//! - `architecture`: the library knows no front end; no import cycles.
//! - `cli`: the `kgrep` binary's help, exit codes and output formats.
//! - `readme`: the README's examples run as shown.
//! - `push`: pushing to oxigraph serve and Virtuoso, answers compared with the local store.
//! - `serve`: the SPARQL endpoint, by hand, with real clients and in a browser.

mod architecture;
mod cli;
mod data;
mod eval;
mod extract;
mod grammar;
mod graph;
mod push;
mod readme;
mod repl;
mod serve;
mod store;
mod support;
