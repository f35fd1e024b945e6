//! `kgrep export`: write a store in the RDF formats other tools read.

use std::io::Write;
use std::path::{Path, PathBuf};

use anstyle::AnsiColor;
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use oxigraph::io::RdfFormat;
use oxigraph::model::NamedNode;

use super::{Outcome, Output};
use kgrep::store::StoreDir;

/// Arguments of `kgrep export`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  kgrep export --store graph.kgstore -o graph.ttl
  kgrep export --store graph.kgstore -f nquads > all.nq
  kgrep export --store graph.kgstore -f trig --no-provenance -o facts.trig
  kgrep export --store graph.kgstore --graph urn:kgrep:doc:news/a.txt -f ntriples

Triple formats (turtle, ntriples, rdfxml) hold the facts (the default
graph), each once. Dataset formats (nquads, trig, jsonld) hold the whole
dataset: the facts, each match's support graph and each document's provenance
graph (with --no-provenance, the facts alone), and the store's prefixes, so
`kgrep load` of the file gives the store back. JSON-LD is compact (its
@context holds the store's prefixes); with --no-provenance or --graph it is a
plain graph, which any JSON-LD or RDF tool reads as triples. Turtle is grouped
by subject and sorted, with prefixed names only where they are valid. The export streams: the first
quads come out at once, memory stays flat. -o writes atomically (a failed
export leaves nothing behind); its extension picks the format when -f is not
given; `-o -` is standard output.")]
pub struct ExportArgs {
    /// The on-disk store.
    #[arg(long, value_name = "DIR", env = "KGREP_STORE", required = true)]
    pub store: PathBuf,

    /// Output format (default: from the -o extension, else turtle).
    #[arg(short, long, value_enum)]
    pub format: Option<ExportFormat>,

    /// Export only this graph (a document's provenance graph, a match's support graph, …).
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
    #[value(alias = "ttl")]
    Turtle,
    /// N-Triples.
    #[value(alias = "nt")]
    Ntriples,
    /// N-Quads.
    #[value(alias = "nq")]
    Nquads,
    /// TriG.
    Trig,
    /// RDF/XML.
    #[value(alias = "rdf", alias = "xml")]
    Rdfxml,
    /// JSON-LD.
    #[value(alias = "json-ld")]
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
    let store = StoreDir::open(&args.store)?.reader()?;
    let target = args
        .output
        .as_deref()
        .filter(|path| path.as_os_str() != "-");
    let format = args
        .format
        .or_else(|| target.and_then(ExportFormat::from_extension))
        .unwrap_or(ExportFormat::Turtle);
    let graph = args
        .graph
        .as_deref()
        .map(NamedNode::new)
        .transpose()
        .context("--graph needs an IRI")?;
    let prefixes = store.prefixes()?;
    let provenance = !args.no_provenance;
    let never = oxigraph::sparql::CancellationToken::new();
    let Some(path) = target else {
        let stdout = std::io::BufWriter::new(std::io::stdout().lock());
        let (_, mut writer) = store.export(
            format.rdf(),
            graph.as_ref(),
            provenance,
            &prefixes,
            stdout,
            &never,
        )?;
        writer.flush()?;
        return Ok(Outcome::Success);
    };
    let directory = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temporary = TempFile(temporary_name(directory, path));
    let write = || -> Result<usize> {
        let file = std::io::BufWriter::new(
            std::fs::File::create(&temporary.0)
                .with_context(|| format!("cannot write `{}`", temporary.0.display()))?,
        );
        let (count, writer) = store.export(
            format.rdf(),
            graph.as_ref(),
            provenance,
            &prefixes,
            file,
            &never,
        )?;
        writer
            .into_inner()
            .map_err(|error| error.into_error())?
            .sync_all()?;
        std::fs::rename(&temporary.0, path)
            .with_context(|| format!("cannot write `{}`", path.display()))?;
        Ok(count)
    };
    let count = write()?;
    let plain_json_ld = format == ExportFormat::Jsonld && (graph.is_some() || !provenance);
    let what = if format.rdf().supports_datasets() && !plain_json_ld {
        "quads"
    } else {
        "triples"
    };
    output.status(
        "exported",
        AnsiColor::Green,
        &format!("{count} {what} to `{}`", path.display()),
    );
    Ok(Outcome::Success)
}

/// A temporary file, removed when dropped (a no-op once renamed into place).
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn temporary_name(directory: &Path, target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    directory.join(format!(".{name}.{}.tmp", std::process::id()))
}
