//! `kgrep build`: extract documents and load their facts into a store.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Instant;

use anstyle::AnsiColor;
use anyhow::Result;
use clap::Args;

use oxigraph::model::NamedNode;

use super::query::{QueryOptions, run_query};
use super::{Outcome, Output};
use crate::ui::documents::{InputArgs, Source, finishing, progress_bar, report_unreadable};
use crate::ui::rules::load_rules;
use kgrep::extract::document_iri;
use kgrep::provenance::rules_fingerprint;
use kgrep::store::ingest::{Added, Ingest, Ingested, extract_into, remove_documents};
use kgrep::store::{GraphStore, Recipe, StoreDir};

/// Arguments of `kgrep build`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  kgrep build -r examples/zh/news.kgr examples/zh/docs/ --store graph.kgstore
  kgrep build -r rules.kgr corpus/ --store graph.kgstore --prune
  kgrep build -r examples/zh/news.kgr examples/zh/docs/ --query 'SELECT * WHERE { ?s ex:formed ?o }'

Without --store the store lives in memory (use --query to ask it something).
--store creates the store in an absent or empty directory, or updates a kgrep
store. Queries see each distinct fact once, however many documents state it.
A document is urn:kgrep:doc:PATH (PATH relative to the directory given);
building again replaces the documents that changed and skips the others;
--prune removes documents that are in the store but not in this build. A build
is atomic: readers (query, export, repl) keep seeing the previous state until
it is published whole; a killed build leaves the store as it was.")]
pub struct BuildArgs {
    /// The rules and the documents.
    #[command(flatten)]
    pub input: InputArgs,

    /// The on-disk store (created in an absent or empty directory).
    #[arg(long, value_name = "DIR", env = "KGREP_STORE")]
    pub store: Option<PathBuf>,

    /// Remove documents that are in the store but not among these.
    #[arg(long)]
    pub prune: bool,

    /// Do not store provenance.
    #[arg(long)]
    pub no_provenance: bool,

    /// After building, run this SPARQL query and print its results.
    #[arg(long, value_name = "SPARQL")]
    pub query: Option<String>,

    /// Documents per batch (kept for scripts; writes stream in bounded batches).
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub batch: usize,

    /// No progress bar, no summary, no warnings about the rules.
    #[arg(short, long)]
    pub quiet: bool,

    /// Say what was done to each document.
    #[arg(short, long)]
    pub verbose: bool,
}

/// Runs `kgrep build`.
pub fn run(args: &BuildArgs, output: &Output) -> Result<Outcome> {
    let started = Instant::now();
    if args.batch == 0 {
        anyhow::bail!("--batch must be at least 1");
    }
    let (extractor, sources_map) = load_rules(&args.input.rules, output, args.quiet)?;
    let extractor = extractor.with_view(args.input.input.view());
    let mut fingerprint = rules_fingerprint(&sources_map, args.input.year);
    // The same file read as HTML or as paragraphs gives other facts.
    if args.input.input.view() != kgrep::text::View::Text {
        sha2::Digest::update(
            &mut fingerprint,
            format!("view={:?}", args.input.input.view()),
        );
    }
    let (sources, bad_records) = args.input.sources(output)?;
    kgrep::corpus::check_distinct_names(&sources)?;
    let job = Job {
        args,
        output,
        extractor: &extractor,
        sources: &sources,
        fingerprint: &fingerprint,
        started,
    };
    let (outcome, store) = match &args.store {
        Some(path) => {
            let dir = StoreDir::create(path)?;
            let writer = dir.write()?;
            let outcome = job.run(writer.store())?;
            writer.commit()?;
            let store = if args.query.is_some() {
                Some(dir.reader()?)
            } else {
                None
            };
            (outcome, store)
        }
        None => {
            let store = GraphStore::in_memory()?;
            let outcome = job.run(&store)?;
            (outcome, Some(store))
        }
    };
    let mut outcome = if bad_records {
        Outcome::Problems
    } else {
        outcome
    };
    if let (Some(query), Some(store)) = (&args.query, &store) {
        let options = QueryOptions {
            format: None,
            timeout: None,
            update: false,
            max_rows: Some(1000),
            pager: true,
        };
        let prefixes = store.prefixes()?;
        if run_query(store, query, "<query>", &prefixes, &options, output)? == Outcome::Problems {
            outcome = Outcome::Problems;
        }
    }
    Ok(outcome)
}

struct Job<'a> {
    args: &'a BuildArgs,
    output: &'a Output,
    extractor: &'a kgrep::extract::Extractor,
    sources: &'a [Source],
    fingerprint: &'a sha2::Sha256,
    started: Instant,
}

impl Job<'_> {
    /// Extracts every document into `store`.
    fn run(&self, store: &GraphStore) -> Result<Outcome> {
        let (args, output) = (self.args, self.output);
        let mut prefixes = store.prefixes()?;
        for pair in &self.extractor.rules().prefixes {
            if !prefixes.contains(pair) {
                prefixes.retain(|(prefix, _)| *prefix != pair.0);
                prefixes.push(pair.clone());
            }
        }
        prefixes.sort();
        // In the writer's copy: published together with the documents.
        store.save_prefixes(&prefixes)?;
        // A recipe `.reload` can follow: files, not standard input or records.
        if !args.input.documents.iter().any(|d| d.as_os_str() == "-")
            && args.input.input == crate::ui::documents::InputKind::Text
        {
            store.save_recipe(&Recipe {
                rules: args.input.rules.clone(),
                inputs: args.input.documents.clone(),
                year: args.input.year,
            })?;
        }
        let mut ingest = Ingest::new(store, !args.no_provenance)?;
        let progress = progress_bar(self.sources.len(), args.quiet, "documents");
        let mut outcome = Outcome::Success;
        let mut facts = 0;
        extract_into(
            &mut ingest,
            self.extractor,
            self.sources,
            (args.input.lossy, args.input.year),
            Some(self.fingerprint),
            |source, result| match result {
                Ok(Ingested {
                    added,
                    facts: found,
                }) => {
                    facts += found;
                    if args.verbose {
                        let (what, detail) = match added {
                            Added::New => ("loaded", format!("{} ({found} facts)", source.name)),
                            Added::Replaced => {
                                ("replaced", format!("{} ({found} facts)", source.name))
                            }
                            Added::Unchanged => (
                                "unchanged",
                                format!("{} (not extracted again)", source.name),
                            ),
                        };
                        progress.suspend(|| output.status(what, AnsiColor::Green, &detail));
                    }
                    progress.inc(1);
                    progress.set_message(format!(
                        "{facts} facts, {:.0} facts/s",
                        facts as f64 / self.started.elapsed().as_secs_f64()
                    ));
                    Ok::<_, anyhow::Error>(true)
                }
                Err(error) => {
                    outcome = Outcome::Problems;
                    Ok(report_unreadable(
                        &progress,
                        output,
                        &error,
                        args.input.fail_fast,
                    ))
                }
            },
        )?;
        finishing(
            &progress,
            &format!("{facts} facts extracted; writing the store (sorting and indexing the quads)"),
        );
        let stats = ingest.finish()?;
        progress.finish_and_clear();
        let mut pruned = 0;
        if args.prune {
            let kept: HashSet<String> = self
                .sources
                .iter()
                .map(|source| document_iri(&source.name).into_string())
                .collect();
            let stale: Vec<NamedNode> = store
                .documents()?
                .into_iter()
                .filter(|iri| !kept.contains(iri.as_str()))
                .collect();
            pruned = stale.len();
            remove_documents(store, &stale)?;
        }
        if !args.quiet {
            let place = args.store.as_ref().map_or_else(
                || "memory".to_owned(),
                |path| format!("`{}`", path.display()),
            );
            let documents = stats.new + stats.replaced + stats.unchanged;
            let mut summary = format!(
                "{documents} documents ({} new, {} replaced, {} unchanged), {facts} facts extracted; \
                 {} quads written to {place}; the store holds {} distinct facts; {:.2}s",
                stats.new,
                stats.replaced,
                stats.unchanged,
                stats.quads,
                store.fact_count()?,
                self.started.elapsed().as_secs_f64()
            );
            if pruned > 0 {
                summary.push_str(&format!("; {pruned} stale documents pruned"));
            }
            output.status("built", AnsiColor::Green, &summary);
        }
        Ok(outcome)
    }
}
