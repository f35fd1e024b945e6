//! `kgrep load`: load RDF files (N-Quads from `kgrep extract`, or any RDF)
//! into a store with the bulk loader.

use std::path::PathBuf;
use std::time::Instant;

use anstyle::AnsiColor;
use anyhow::{Context, Result, bail};
use clap::Args;
use oxigraph::io::RdfFormat;

use super::{Outcome, Output};
use kgrep::store::StoreDir;

/// Arguments of `kgrep load`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  kgrep extract -r rules.kgr -f nquads --provenance corpus/ > facts.nq
  kgrep load --store graph.kgstore facts.nq
  kgrep export --store old.kgstore -f nq | kgrep load --store new.kgstore --format nq -

The format comes from the extension (.nq .nt .ttl .trig .rdf .jsonld) or
--format (needed for `-`, standard input). Triples of a triple format go to
the default graph, where queries see them, and stay when documents are
removed; a dataset (N-Quads, TriG, JSON-LD) is taken as it is. Prefixes the
files declare are kept for later queries. The load is all or nothing: if any
file fails, the store stays as it was. The store is created in an absent or
empty directory.")]
pub struct LoadArgs {
    /// The on-disk store.
    #[arg(long, value_name = "DIR", env = "KGREP_STORE", required = true)]
    pub store: PathBuf,

    /// RDF files to load (`-` for standard input, with --format).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// The format of every file (default: from each extension): nt, nq, ttl, trig, rdf, jsonld.
    #[arg(short, long, value_name = "FORMAT")]
    pub format: Option<String>,

    /// No summary.
    #[arg(short, long)]
    pub quiet: bool,
}

/// The RDF format a name or extension stands for.
pub fn format_named(name: &str) -> Option<RdfFormat> {
    let name = name.to_ascii_lowercase();
    Some(match name.as_str() {
        "ntriples" | "n-triples" => RdfFormat::NTriples,
        "nquads" | "n-quads" => RdfFormat::NQuads,
        "turtle" => RdfFormat::Turtle,
        "rdfxml" | "rdf/xml" | "xml" => RdfFormat::RdfXml,
        "json-ld" => RdfFormat::JsonLd {
            profile: Default::default(),
        },
        other => return RdfFormat::from_extension(other),
    })
}

/// Runs `kgrep load`.
pub fn run(args: &LoadArgs, output: &Output) -> Result<Outcome> {
    let started = Instant::now();
    let forced = match &args.format {
        Some(name) => Some(format_named(name).with_context(|| {
            format!("unknown RDF format `{name}` (nt, nq, ttl, trig, rdf, jsonld)")
        })?),
        None => None,
    };
    let mut formats = Vec::new();
    for file in &args.files {
        let extension = file.extension().and_then(|e| e.to_str()).unwrap_or("");
        let Some(format) = forced.or_else(|| format_named(extension)) else {
            bail!(
                "cannot tell the RDF format of `{}` from its extension (give --format)",
                file.display()
            );
        };
        formats.push(format);
    }
    let dir = StoreDir::create(&args.store)?;
    let writer = dir.write()?;
    let store = writer.store();
    let mut prefixes = store.prefixes()?;
    let mut read = 0;
    for (file, format) in args.files.iter().zip(formats) {
        let reader: Box<dyn std::io::Read> = if file.as_os_str() == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            Box::new(
                std::fs::File::open(file)
                    .with_context(|| format!("cannot read `{}`", file.display()))?,
            )
        };
        let (count, declared) = store
            .load(format, std::io::BufReader::new(reader))
            .with_context(|| format!("cannot load `{}`; the store is unchanged", file.display()))?;
        read += count;
        for pair in declared {
            prefixes.retain(|(prefix, _)| *prefix != pair.0);
            prefixes.push(pair);
        }
    }
    // Prefixes saved in the files' own meta graph (kgrep's exports) win.
    for pair in store.prefixes()? {
        prefixes.retain(|(prefix, _)| *prefix != pair.0);
        prefixes.push(pair);
    }
    prefixes.sort();
    store.save_prefixes(&prefixes)?;
    writer.commit()?;
    if !args.quiet {
        let seconds = started.elapsed().as_secs_f64();
        output.status(
            "loaded",
            AnsiColor::Green,
            &format!(
                "{read} quads in {seconds:.2}s ({:.0} quads/s)",
                read as f64 / seconds
            ),
        );
    }
    Ok(Outcome::Success)
}
