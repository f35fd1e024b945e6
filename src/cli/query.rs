//! `kgrep query`: SPARQL over a store, or over a store built in memory.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::Args;
use oxigraph::sparql::CancellationToken;

use super::documents::{collect_sources, extract_in_order};
use super::load::load_rules;
use super::results::{ResultFormat, read_query_file, syntax_diagnostic, write_results};
use super::{Outcome, Output};
use crate::extract::KGREP_NS;
use crate::store::{GraphStore, QueryTimer, StoreError, StoredDocument};

/// Arguments of `kgrep query`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  kgrep query --store graph.kgstore 'SELECT ?org ?team WHERE { ?org ex:formed ?team }'
  kgrep query --store graph.kgstore -q report.rq --format csv > report.csv
  kgrep query -r examples/zh/news.kgr examples/zh/docs/ 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }'
  kgrep query --store graph.kgstore --update 'DELETE WHERE { ?s ex:wardCount ?n }'

The rules' prefixes (and rdf, rdfs, xsd, kgrep) are declared for every query.
The default graph is the union of the documents' graphs; provenance is in the
graphs urn:kgrep:provenance:PATH (GRAPH ?g { ... }). Output: a table on a
terminal, TSV otherwise; --format for the W3C result formats (SELECT, ASK) or
an RDF format (CONSTRUCT, DESCRIBE).")]
pub struct QueryArgs {
    /// The SPARQL query (or update); `-` reads standard input.
    #[arg(value_name = "SPARQL", required_unless_present = "query_file")]
    pub query: Option<String>,

    /// Read the query from a file.
    #[arg(
        short = 'q',
        long = "query-file",
        value_name = "FILE",
        conflicts_with = "query"
    )]
    pub query_file: Option<PathBuf>,

    /// The on-disk store to query.
    #[arg(long, value_name = "DIR", conflicts_with = "rules")]
    pub store: Option<PathBuf>,

    /// Rule files: build a store in memory from them and DOCS, then query it.
    #[arg(short, long = "rules", value_name = "RULES", requires = "documents")]
    pub rules: Vec<PathBuf>,

    /// Documents for --rules.
    #[arg(long = "docs", value_name = "DOC", num_args = 1..)]
    pub documents: Vec<PathBuf>,

    /// Output format (default: table on a terminal, tsv otherwise).
    #[arg(short, long, value_enum)]
    pub format: Option<ResultFormat>,

    /// Cancel the query after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,

    /// Run a SPARQL UPDATE (changes the store).
    #[arg(long)]
    pub update: bool,
}

/// How to run one query.
pub struct QueryOptions {
    /// The output format; `None` picks by terminal.
    pub format: Option<ResultFormat>,
    /// When to cancel.
    pub timeout: Option<Duration>,
    /// Whether it is an update.
    pub update: bool,
}

/// Runs `kgrep query`.
pub fn run(args: &QueryArgs, output: &Output) -> Result<Outcome> {
    let query = match (&args.query, &args.query_file) {
        (_, Some(file)) => read_query_file(file)?,
        (Some(text), None) if text == "-" => read_query_file(std::path::Path::new("-"))?,
        (Some(text), None) => text.clone(),
        (None, None) => bail!("give a query, or --query-file FILE"),
    };
    let (store, mut prefixes) = if let Some(path) = &args.store {
        let store = GraphStore::open(path)?;
        let prefixes = store.prefixes()?;
        (store, prefixes)
    } else if !args.rules.is_empty() {
        let (extractor, _) = load_rules(&args.rules, output, true)?;
        let prefixes = extractor.rules().prefixes.clone();
        let store = GraphStore::in_memory()?;
        let sources = collect_sources(&args.documents)?;
        let mut loaded = Vec::new();
        extract_in_order(&extractor, &sources, false, None, |source, result| {
            let (document, extraction) = result?;
            loaded.push((source.name.clone(), document, extraction));
            Ok(true)
        })?;
        let stored = loaded
            .iter()
            .map(|(path, document, extraction)| StoredDocument {
                iri: &document.iri,
                path,
                facts: &extraction.facts,
            });
        store.bulk_load(stored, true)?;
        (store, prefixes)
    } else {
        bail!("say what to query: --store DIR, or -r RULES --docs DOCS...");
    };
    if !prefixes.iter().any(|(prefix, _)| prefix == "kgrep") {
        prefixes.push(("kgrep".into(), KGREP_NS.into()));
    }
    let options = QueryOptions {
        format: args.format,
        timeout: args.timeout.map(Duration::from_secs_f64),
        update: args.update,
    };
    run_query(&store, &query, "<query>", &prefixes, &options, output)
}

/// Runs one query or update on `store` and prints its results (shared with
/// `kgrep build --query`). A syntax error is shown with a caret (exit 1).
pub fn run_query(
    store: &GraphStore,
    query: &str,
    name: &str,
    prefixes: &[(String, String)],
    options: &QueryOptions,
    output: &Output,
) -> Result<Outcome> {
    if options.update {
        return match store.update(query, prefixes) {
            Ok(()) => Ok(Outcome::Success),
            Err(StoreError::Syntax(error)) => {
                let (diagnostic, sources) = syntax_diagnostic(query, name, &error);
                output.diagnostic(&diagnostic, &sources);
                Ok(Outcome::Problems)
            }
            Err(error) => Err(error.into()),
        };
    }
    let token = CancellationToken::new();
    let _timer = options
        .timeout
        .map(|limit| QueryTimer::start(limit, token.clone()));
    let results = match store.query(query, prefixes, token) {
        Ok(results) => results,
        Err(StoreError::Syntax(error)) => {
            let (diagnostic, sources) = syntax_diagnostic(query, name, &error);
            output.diagnostic(&diagnostic, &sources);
            return Ok(Outcome::Problems);
        }
        Err(error) => return Err(error.into()),
    };
    let format = options
        .format
        .unwrap_or(if std::io::stdout().is_terminal() {
            ResultFormat::Table
        } else {
            ResultFormat::Tsv
        });
    let mut stdout = std::io::BufWriter::new(output.stdout());
    match write_results(results, format, prefixes, None, &mut stdout) {
        Ok(_) => {
            stdout.flush()?;
            Ok(Outcome::Success)
        }
        Err(error) if error.to_string().to_lowercase().contains("cancel") => {
            let limit = options.timeout.unwrap_or_default();
            bail!(
                "the query was cancelled after {:.1}s (--timeout)",
                limit.as_secs_f64()
            )
        }
        Err(error) => Err(error),
    }
}
