//! `kgrep load`: load RDF files (N-Quads from `kgrep extract`, or any RDF)
//! into a store with the bulk loader.

use std::path::PathBuf;
use std::time::Instant;

use anstyle::AnsiColor;
use anyhow::{Context, Result, bail};
use clap::Args;
use oxigraph::io::RdfFormat;

use super::{Outcome, Output};
use crate::store::GraphStore;

/// Arguments of `kgrep load`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  kgrep extract -r rules.kgr -f nquads --provenance corpus/ > facts.nq
  kgrep load --store graph.kgstore facts.nq

The format comes from the extension (.nq .nt .ttl .trig .rdf .jsonld). The
load is atomic: nothing is visible until all of it is.")]
pub struct LoadArgs {
    /// The on-disk store.
    #[arg(long, value_name = "DIR", required = true)]
    pub store: PathBuf,

    /// RDF files to load.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// No summary.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Runs `kgrep load`.
pub fn run(args: &LoadArgs, output: &Output) -> Result<Outcome> {
    let started = Instant::now();
    let store = GraphStore::open(&args.store)?;
    let before = store.len()?;
    for file in &args.files {
        let extension = file.extension().and_then(|e| e.to_str()).unwrap_or("");
        let Some(format) = RdfFormat::from_extension(extension) else {
            bail!(
                "cannot tell the RDF format of `{}` from its extension",
                file.display()
            );
        };
        let reader = std::io::BufReader::new(
            std::fs::File::open(file)
                .with_context(|| format!("cannot read `{}`", file.display()))?,
        );
        store
            .load_file(format, reader)
            .with_context(|| format!("cannot load `{}`", file.display()))?;
    }
    if !args.quiet {
        let added = store.len()?.saturating_sub(before);
        let seconds = started.elapsed().as_secs_f64();
        output.status(
            "loaded",
            AnsiColor::Green,
            &format!(
                "{added} quads in {seconds:.2}s ({:.0} quads/s)",
                added as f64 / seconds
            ),
        );
    }
    Ok(Outcome::Success)
}
