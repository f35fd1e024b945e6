//! kgrep turns prose into a knowledge graph with rules a person can read.
//!
//! The rule language front end is a pipeline of representations, each in its
//! own module: source text ([`source`]) → spanned syntax tree ([`syntax`]) →
//! resolved, checked rule set ([`rules`]). Problems are [`diagnostic`]s with
//! spans ([`span`]). The library does no terminal I/O; the `kgrep` binary does.

pub mod cli;
pub mod diagnostic;
pub mod extract;
pub mod graph;
pub mod matcher;
#[cfg(feature = "store")]
pub mod repl;
pub mod rules;
pub mod serialize;
pub mod source;
pub mod span;
#[cfg(feature = "store")]
pub mod store;
pub mod syntax;
pub mod text;
