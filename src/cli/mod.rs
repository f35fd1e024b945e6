//! The command-line interface: clap arguments, one module per subcommand.
//!
//! This is the edge where the library's typed errors and diagnostics meet a
//! person: it picks colours (honouring `NO_COLOR` and `--color`), writes to
//! stdout and stderr, and turns outcomes into exit codes — 0 success,
//! 1 problems found (errors in rules, unformatted files), 2 bad usage or I/O.

#[cfg(feature = "store")]
mod build;
mod check;
mod debug;
mod eval;
#[cfg(feature = "store")]
mod export;
mod extract;
mod fmt;
mod generate;
#[cfg(feature = "store")]
mod graph;
#[cfg(feature = "store")]
mod load_rdf;
#[cfg(feature = "store")]
mod push;
#[cfg(feature = "store")]
mod query;
#[cfg(feature = "store")]
mod remove;
#[cfg(feature = "store")]
mod repl;
#[cfg(feature = "store")]
mod serve;
mod test;
mod try_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use crate::ui::{ColorWhen, Outcome, Output};
use crate::ui::{output, rules as load};

/// Turn text into a knowledge graph with readable rules, then explore it.
#[derive(Debug, Parser)]
#[command(name = "kgrep", version, about, long_about = None, after_help = EXAMPLES)]
pub struct Cli {
    /// When to use colours: auto (a terminal, and NO_COLOR unset), always, never.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto, global = true)]
    pub color: ColorWhen,

    /// Threads for parallel work (extraction; default: one per core).
    #[arg(short = 'j', long = "threads", value_name = "N", global = true,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

const EXAMPLES: &str = "\
Examples:
  kgrep check examples/zh/news.kgr       check a rule file and everything it includes
  kgrep fmt examples/en/news.kgr         print a rule file in canonical form
  kgrep fmt --check rules/*.kgr          exit 1 if any file is not formatted
  kgrep extract -r examples/zh/news.kgr examples/zh/docs/ > facts.nt
  kgrep extract -r rules.kgr -f jsonl corpus/    facts with provenance, one JSON object a line
  kgrep -j 4 build -r rules.kgr corpus/ --store graph.kgstore    four extraction threads
  kgrep test examples/zh/news.kgr        run the tests beside the rules
  kgrep try -r examples/zh/news.kgr \"中国五矿集结46名突击队队员\"
  kgrep build -r examples/zh/news.kgr examples/zh/docs/ --store graph.kgstore
  kgrep query --store graph.kgstore 'SELECT ?org ?team WHERE { ?org ex:formed ?team }'
  kgrep export --store graph.kgstore -o graph.ttl
  kgrep completions bash > ~/.local/share/bash-completion/completions/kgrep
  KGREP_STORE=graph.kgstore kgrep repl     the default store for every command

Docs: docs/language.md (the rule language), grammar/kgr.ebnf (its grammar).";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check rule files and print every error and warning.
    Check(check::CheckArgs),
    /// Extract triples from documents with rules; stream them to stdout.
    Extract(extract::ExtractArgs),
    /// Run the tests written beside the rules.
    Test(test::TestArgs),
    /// Score rules against gold annotations: precision, recall and F1.
    Eval(eval::EvalArgs),
    /// Extract documents into a graph store (in memory, or on disk with --store).
    #[cfg(feature = "store")]
    Build(build::BuildArgs),
    /// Ask a store a SPARQL query (or update it with --update).
    #[cfg(feature = "store")]
    Query(query::QueryArgs),
    /// Write a store as Turtle, N-Triples, N-Quads, TriG, RDF/XML or JSON-LD.
    #[cfg(feature = "store")]
    Export(export::ExportArgs),
    /// Remove documents from a store.
    #[cfg(feature = "store")]
    Remove(remove::RemoveArgs),
    /// Load RDF files into a store (bulk loader).
    #[cfg(feature = "store")]
    Load(load_rdf::LoadArgs),
    /// Paths, neighbourhoods, components, rankings and pictures of the entity graph.
    #[cfg(feature = "store")]
    Graph(graph::GraphArgs),
    /// Explore a store interactively with SPARQL and dot-commands.
    #[cfg(feature = "store")]
    Repl(repl::ReplArgs),
    /// Send a store (or extracted documents) to a SPARQL server.
    #[cfg(feature = "store")]
    Push(push::PushArgs),
    /// Serve a store over the SPARQL 1.1 Protocol, with a query page.
    #[cfg(feature = "store")]
    Serve(serve::ServeArgs),
    /// Run the rules on a sentence and show every match, capture and triple.
    Try(try_cmd::TryArgs),
    /// Internals for benchmarks and debugging.
    #[command(hide = true, subcommand)]
    Debug(debug::DebugCommand),
    /// Print rule files in canonical form, or check that they are.
    Fmt(fmt::FmtArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(generate::CompletionsArgs),
    /// Print the man page (roff: `kgrep man | man -l -`).
    Man,
}

/// Parses the command line, runs the command, and returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let output = Output::new(cli.color);
    if let Some(threads) = cli.threads {
        // Only fails if a pool exists already, which it cannot here.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(threads))
            .build_global();
    }
    let result = match &cli.command {
        Command::Check(args) => check::run(args, &output),
        Command::Fmt(args) => fmt::run(args, &output),
        Command::Extract(args) => extract::run(args, &output),
        Command::Test(args) => test::run(args, &output),
        Command::Eval(args) => eval::run(args, &output),
        Command::Try(args) => try_cmd::run(args, &output),
        #[cfg(feature = "store")]
        Command::Build(args) => build::run(args, &output),
        #[cfg(feature = "store")]
        Command::Query(args) => query::run(args, &output),
        #[cfg(feature = "store")]
        Command::Export(args) => export::run(args, &output),
        #[cfg(feature = "store")]
        Command::Remove(args) => remove::run(args, &output),
        #[cfg(feature = "store")]
        Command::Load(args) => load_rdf::run(args, &output),
        #[cfg(feature = "store")]
        Command::Graph(args) => graph::run(args, &output),
        #[cfg(feature = "store")]
        Command::Repl(args) => repl::run(args, &output),
        #[cfg(feature = "store")]
        Command::Push(args) => push::run(args, &output),
        #[cfg(feature = "store")]
        Command::Serve(args) => serve::run(args, &output),
        Command::Debug(command) => debug::run(command, &output),
        Command::Completions(args) => generate::completions(args, &output),
        Command::Man => generate::man(&output),
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Problems) => ExitCode::from(1),
        Ok(Outcome::Unreadable) => ExitCode::from(2),
        Err(error) if output::is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) if error.is::<load::RulesHaveErrors>() => {
            output.error(&error.to_string());
            ExitCode::from(1)
        }
        Err(error) => {
            output.error(&format!("{error:#}"));
            ExitCode::from(2)
        }
    }
}
