//! What both front ends (the command line and the REPL) use to talk to a
//! person: output streams and colours, result tables and formats, rule
//! loading with its diagnostics, the documents a command reads with their
//! progress bars, graph analyses, and `try` explanations.

pub mod documents;
pub mod explain;
#[cfg(feature = "store")]
pub mod graph;
pub mod output;
#[cfg(feature = "store")]
pub mod pager;
#[cfg(feature = "store")]
pub mod results;
pub mod rules;
#[cfg(feature = "store")]
pub mod table;

use clap::ValueEnum;

pub use output::Output;

/// When to colour output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// Colour when writing to a terminal and NO_COLOR is not set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Everything worked.
    Success,
    /// The command ran and found problems (exit code 1).
    Problems,
    /// An input could not be read; already reported (exit code 2).
    Unreadable,
}
