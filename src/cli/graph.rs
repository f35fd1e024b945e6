//! `kgrep graph`: paths, neighbourhoods, components, rankings and pictures of
//! the entity graph of a store (petgraph).

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use super::{Outcome, Output};
use crate::ui::graph::{GraphCommand, analyse};
use kgrep::graph::EntityGraph;
use kgrep::store::{GraphStore, StoreDir};

/// Arguments of `kgrep graph`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  kgrep graph --store graph.kgstore path 辽宁医疗队 place:武汉
  kgrep graph --store graph.kgstore neighbors 辽宁医疗队 -k 2
  kgrep graph --store graph.kgstore components
  kgrep graph --store graph.kgstore rank --by pagerank --top 10 --class schema:Hospital
  kgrep graph --store graph.kgstore dot 雷神山医院 -k 2 --svg hospital.svg

Entities are named by IRI (<…> or bare), prefixed name (team:辽宁医疗队) or
label (雷神山医院); a label several entities share is an error that lists them.
The graph: IRIs as nodes, object properties as edges; classes, labels and
literal values are node attributes; provenance is left out.")]
pub struct GraphArgs {
    /// The on-disk store.
    #[arg(long, value_name = "DIR", env = "KGREP_STORE", global = true)]
    pub store: Option<PathBuf>,

    /// What to compute.
    #[command(subcommand)]
    pub command: GraphCommand,
}

/// Runs `kgrep graph`.
pub fn run(args: &GraphArgs, output: &Output) -> Result<Outcome> {
    let path = args.store.as_ref().context("--store DIR is required")?;
    let dir = StoreDir::open(path)?;
    let run = |store: &GraphStore| -> Result<Outcome> {
        let prefixes = store.prefixes()?;
        let graph = EntityGraph::from_triples(store.facts()?);
        let mut out = std::io::BufWriter::new(output.stdout());
        let outcome = analyse(
            store,
            &graph,
            &prefixes,
            &args.command,
            output,
            &crate::ui::table::Layout::for_stdout(),
            &mut out,
        )?;
        out.flush()?;
        Ok(outcome)
    };
    if matches!(args.command, GraphCommand::Rank { save: true, .. }) {
        let writer = dir.write()?;
        let outcome = run(writer.store())?;
        writer.commit()?;
        Ok(outcome)
    } else {
        run(&dir.reader()?)
    }
}
