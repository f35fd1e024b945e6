//! `kgrep export`: write a store in the RDF formats other tools read.

use std::io::Write;
use std::path::{Path, PathBuf};

use anstyle::AnsiColor;
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use oxigraph::io::RdfFormat;
use oxigraph::model::NamedNode;

use super::{Outcome, Output};
use crate::store::GraphStore;

/// Arguments of `kgrep export`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  kgrep export --store graph.kgstore -o graph.ttl
  kgrep export --store graph.kgstore -f nquads > all.nq
  kgrep export --store graph.kgstore -f trig --no-provenance -o facts.trig
  kgrep export --store graph.kgstore --graph urn:kgrep:doc:news/a.txt -f ntriples

Triple formats (turtle, ntriples, rdfxml) hold the facts of every
document, each triple once; dataset formats (nquads, trig, jsonld) keep one graph per
document and, unless --no-provenance, the provenance graphs. Only the prefixes
the output uses are declared. -o writes atomically; its extension picks the
format when -f is not given.")]
pub struct ExportArgs {
    /// The on-disk store.
    #[arg(long, value_name = "DIR", required = true)]
    pub store: PathBuf,

    /// Output format (default: from the -o extension, else turtle).
    #[arg(short, long, value_enum)]
    pub format: Option<ExportFormat>,

    /// Export only this graph (a document IRI, or a provenance graph).
    #[arg(long, value_name = "IRI")]
    pub graph: Option<String>,

    /// Leave provenance out.
    #[arg(long)]
    pub no_provenance: bool,

    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The RDF formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Turtle.
    Turtle,
    /// N-Triples.
    Ntriples,
    /// N-Quads.
    Nquads,
    /// TriG.
    Trig,
    /// RDF/XML.
    Rdfxml,
    /// JSON-LD.
    Jsonld,
}

impl ExportFormat {
    fn rdf(self) -> RdfFormat {
        match self {
            ExportFormat::Turtle => RdfFormat::Turtle,
            ExportFormat::Ntriples => RdfFormat::NTriples,
            ExportFormat::Nquads => RdfFormat::NQuads,
            ExportFormat::Trig => RdfFormat::TriG,
            ExportFormat::Rdfxml => RdfFormat::RdfXml,
            ExportFormat::Jsonld => RdfFormat::JsonLd {
                profile: Default::default(),
            },
        }
    }

    fn from_extension(path: &Path) -> Option<ExportFormat> {
        Some(match path.extension()?.to_str()? {
            "ttl" => ExportFormat::Turtle,
            "nt" => ExportFormat::Ntriples,
            "nq" => ExportFormat::Nquads,
            "trig" => ExportFormat::Trig,
            "rdf" | "xml" | "owl" => ExportFormat::Rdfxml,
            "jsonld" | "json" => ExportFormat::Jsonld,
            _ => return None,
        })
    }
}

/// Runs `kgrep export`.
pub fn run(args: &ExportArgs, output: &Output) -> Result<Outcome> {
    let store = GraphStore::open(&args.store)?;
    let format = args
        .format
        .or_else(|| {
            args.output
                .as_deref()
                .and_then(ExportFormat::from_extension)
        })
        .unwrap_or(ExportFormat::Turtle);
    let graph = args
        .graph
        .as_deref()
        .map(NamedNode::new)
        .transpose()
        .context("--graph needs an IRI")?;
    let mut prefixes = store.prefixes()?;
    if !args.no_provenance {
        prefixes.push(("kgrep".into(), crate::extract::KGREP_NS.into()));
    }
    match &args.output {
        None => {
            let stdout = std::io::BufWriter::new(std::io::stdout().lock());
            let (_, mut writer) = store.export(
                format.rdf(),
                graph.as_ref(),
                !args.no_provenance,
                &prefixes,
                stdout,
            )?;
            writer.flush()?;
        }
        Some(path) => {
            let directory = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let temporary = tempfile_in(directory, path)?;
            let file = std::io::BufWriter::new(
                std::fs::File::create(&temporary)
                    .with_context(|| format!("cannot write `{}`", temporary.display()))?,
            );
            let (count, writer) = store.export(
                format.rdf(),
                graph.as_ref(),
                !args.no_provenance,
                &prefixes,
                file,
            )?;
            writer
                .into_inner()
                .map_err(|error| error.into_error())?
                .sync_all()?;
            std::fs::rename(&temporary, path)
                .with_context(|| format!("cannot write `{}`", path.display()))?;
            let what = if format.rdf().supports_datasets() {
                "quads"
            } else {
                "triples"
            };
            output.status(
                "exported",
                AnsiColor::Green,
                &format!("{count} {what} to `{}`", path.display()),
            );
        }
    }
    Ok(Outcome::Success)
}

fn tempfile_in(directory: &Path, target: &Path) -> Result<PathBuf> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(directory.join(format!(".{name}.{}.tmp", std::process::id())))
}
