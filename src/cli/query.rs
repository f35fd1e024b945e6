//! `kgrep query`: SPARQL over a store, or over a store built in memory.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::Args;
use oxigraph::sparql::CancellationToken;

use super::{Outcome, Output};
use crate::ui::documents::{collect_sources, memory_store};
use crate::ui::pager::page_or_write;
use crate::ui::results::{
    PrintOptions, ResultFormat, read_query_file, sparql_hints, syntax_diagnostic, write_results,
};
use crate::ui::rules::load_rules;
use crate::ui::table::Layout;
use kgrep::store::{GraphStore, QueryTimer, StoreDir, StoreError};

/// Arguments of `kgrep query`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  kgrep query --store graph.kgstore 'SELECT ?org ?team WHERE { ?org ex:formed ?team }'
  kgrep query --store graph.kgstore -q report.rq --format csv > report.csv
  kgrep query -r examples/zh/news.kgr examples/zh/docs/ 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }'
  kgrep query --store graph.kgstore --update 'DELETE WHERE { ?s ex:wardCount ?n }'

The rules' prefixes (and rdf, rdfs, xsd, kgrep) are declared for every query.
The default graph holds each distinct fact once; a fact's support is the graph
of each match that produced it, and provenance is in each document's graph
(see ARCHITECTURE.md). Queries read the store's published state, so they run
while a build writes it. Output: a table on a terminal, TSV otherwise;
--format for the W3C result formats (SELECT, ASK) or an RDF format
(CONSTRUCT, DESCRIBE).")]
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
    #[arg(long, value_name = "DIR", env = "KGREP_STORE")]
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

    /// Cancel the query after this many seconds (a positive number).
    #[arg(long, value_name = "SECONDS", value_parser = parse_timeout, allow_hyphen_values = true)]
    pub timeout: Option<Duration>,

    /// Run a SPARQL UPDATE (changes the store).
    #[arg(long)]
    pub update: bool,

    /// Show at most N rows in a table (0: all); the rest are counted.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub max_rows: usize,

    /// Never page a long table (the pager is $KGREP_PAGER, $PAGER or less,
    /// and only on a terminal).
    #[arg(long)]
    pub no_pager: bool,
}

/// How to run one query.
pub struct QueryOptions {
    /// The output format; `None` picks by terminal.
    pub format: Option<ResultFormat>,
    /// When to cancel.
    pub timeout: Option<Duration>,
    /// Whether it is an update.
    pub update: bool,
    /// At most this many rows in a table.
    pub max_rows: Option<usize>,
    /// Page long tables on a terminal.
    pub pager: bool,
}

/// Runs `kgrep query`.
pub fn run(args: &QueryArgs, output: &Output) -> Result<Outcome> {
    let query = match (&args.query, &args.query_file) {
        (_, Some(file)) => read_query_file(file)?,
        (Some(text), None) if text == "-" => read_query_file(std::path::Path::new("-"))?,
        (Some(text), None) => text.clone(),
        (None, None) => bail!("give a query, or --query-file FILE"),
    };
    let options = QueryOptions {
        format: args.format,
        timeout: args.timeout,
        update: args.update,
        max_rows: (args.max_rows > 0).then_some(args.max_rows),
        pager: !args.no_pager,
    };
    // Rules and documents build a store in memory, whatever KGREP_STORE says.
    if let (Some(path), true) = (&args.store, args.rules.is_empty()) {
        let dir = StoreDir::open(path)?;
        if args.update {
            let writer = dir.write()?;
            let prefixes = writer.store().prefixes()?;
            let outcome = run_query(
                writer.store(),
                &query,
                "<query>",
                &prefixes,
                &options,
                output,
            )?;
            if outcome == Outcome::Success {
                writer.commit()?;
            }
            return Ok(outcome);
        }
        let store = dir.reader()?;
        let prefixes = store.prefixes()?;
        return run_query(&store, &query, "<query>", &prefixes, &options, output);
    }
    if args.rules.is_empty() {
        bail!("say what to query: --store DIR, or -r RULES --docs DOCS...");
    }
    let (extractor, _) = load_rules(&args.rules, output, true)?;
    let sources = collect_sources(&args.documents)?;
    let store = memory_store(&extractor, &sources, None)?;
    let prefixes = store.prefixes()?;
    run_query(&store, &query, "<query>", &prefixes, &options, output)
}

/// `--timeout`: a positive, finite number of seconds.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !(seconds.is_finite() && seconds > 0.0) {
        return Err(format!(
            "the timeout must be a positive number of seconds, not `{text}`"
        ));
    }
    Duration::try_from_secs_f64(seconds).map_err(|error| error.to_string())
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
                let diagnostic =
                    sparql_hints(diagnostic, query, &error.to_string(), prefixes, false, 1);
                output.diagnostic(&diagnostic, &sources);
                Ok(Outcome::Problems)
            }
            Err(error) => Err(error.into()),
        };
    }
    let pager = options.pager;
    let token = CancellationToken::new();
    // Oxigraph checks the token between solutions; a join or a sort that
    // computes long before its first solution may not look. Past twice the
    // limit, the command ends anyway.
    let _timer = options.timeout.map(|limit| {
        let error = output.clone();
        QueryTimer::start(limit, token.clone()).with_deadline(limit * 2, move || {
            error.error(&format!(
                "the query was cancelled after {:.1}s (--timeout)",
                limit.as_secs_f64()
            ));
            std::process::exit(1)
        })
    });
    let results = match store.query(query, prefixes, token) {
        Ok(results) => results,
        Err(StoreError::Syntax(error)) => {
            let (diagnostic, sources) = syntax_diagnostic(query, name, &error);
            let diagnostic = sparql_hints(diagnostic, query, &error.to_string(), prefixes, true, 1);
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
    let written = if format == ResultFormat::Table {
        // A table is laid out whole (to the terminal's width), then paged.
        let options = PrintOptions {
            layout: Layout::for_stdout(),
            max_rows: options.max_rows,
            more_hint: "--max-rows 0 shows all, --format tsv writes them for machines",
            query,
        };
        let mut buffer = Vec::new();
        write_results(results, format, prefixes, &options, &mut buffer)
            .and_then(|count| Ok((count, page_or_write(&buffer, pager)?)))
            .map(|_| ())
    } else {
        let mut stdout = std::io::BufWriter::new(output.stdout());
        let options = PrintOptions {
            query,
            ..PrintOptions::default()
        };
        write_results(results, format, prefixes, &options, &mut stdout)
            .and_then(|_| Ok(stdout.flush()?))
    };
    match written {
        Ok(()) => Ok(Outcome::Success),
        Err(error)
            if error
                .downcast_ref::<oxigraph::sparql::QueryEvaluationError>()
                .is_some_and(kgrep::store::is_cancelled) =>
        {
            let limit = options.timeout.unwrap_or_default();
            output.error(&format!(
                "the query was cancelled after {:.1}s (--timeout)",
                limit.as_secs_f64()
            ));
            Ok(Outcome::Problems)
        }
        Err(error) => Err(error),
    }
}
