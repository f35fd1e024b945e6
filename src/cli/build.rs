//! `kgrep build`: extract documents and load their facts into a store.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Instant;

use anstyle::AnsiColor;
use anyhow::Result;
use clap::Args;

use super::documents::{
    InputArgs, collect_sources, extract_in_order, progress_bar, report_unreadable,
};
use super::load::load_rules;
use super::query::{QueryOptions, run_query};
use super::{Outcome, Output};
use crate::extract::{Document, Extraction, document_iri};
use crate::store::{GraphStore, StoredDocument};

/// Arguments of `kgrep build`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  kgrep build -r examples/zh/news.kgr examples/zh/docs/ --store graph.kgstore
  kgrep build -r rules.kgr corpus/ --store graph.kgstore --prune
  kgrep build -r examples/zh/news.kgr examples/zh/docs/ --query 'SELECT * WHERE { ?s ex:formed ?o }'

Without --store the store lives in memory (use --query to ask it something).
Each document is one named graph, urn:kgrep:doc:PATH; building again replaces a
document's facts (nothing stale, nothing twice); --prune removes documents that
are in the store but not in this build. Loads are atomic per batch of documents:
a killed build leaves each document as it was or fully replaced.")]
pub struct BuildArgs {
    /// The rules and the documents.
    #[command(flatten)]
    pub input: InputArgs,

    /// The on-disk store (a directory, created if needed).
    #[arg(long, value_name = "DIR")]
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

    /// Documents per transaction when updating a store that is not empty.
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
    let store = match &args.store {
        Some(path) => GraphStore::open(path)?,
        None => GraphStore::in_memory()?,
    };
    let (extractor, _) = load_rules(&args.input.rules, output, args.quiet)?;
    let sources = collect_sources(&args.input.documents)?;
    let fresh = store.is_empty()?;
    let mut prefixes = store.prefixes()?;
    for pair in &extractor.rules().prefixes {
        if !prefixes.contains(pair) {
            prefixes.retain(|(prefix, _)| *prefix != pair.0);
            prefixes.push(pair.clone());
        }
    }
    store.save_prefixes(&prefixes)?;
    let provenance = !args.no_provenance;
    let progress = progress_bar(sources.len(), args.quiet, "documents");
    let mut outcome = Outcome::Success;
    let mut pending: Vec<(String, Document, Extraction)> = Vec::new();
    let mut documents = 0;
    let mut facts = 0;
    let mut quads = 0;
    let flush = |pending: &mut Vec<(String, Document, Extraction)>| -> Result<usize> {
        let stored: Vec<StoredDocument<'_>> = pending
            .iter()
            .map(|(path, document, extraction)| StoredDocument {
                iri: &document.iri,
                path,
                facts: &extraction.facts,
            })
            .collect();
        let written = store.replace_documents(&stored, provenance)?;
        pending.clear();
        Ok(written)
    };
    let mut fresh_batch: Vec<(String, Document, Extraction)> = Vec::new();
    extract_in_order(
        &extractor,
        &sources,
        args.input.lossy,
        args.input.year,
        |source, result| match result {
            Ok((document, extraction)) => {
                documents += 1;
                facts += extraction.facts.len();
                if args.verbose {
                    progress.suspend(|| {
                        output.status(
                            "loaded",
                            AnsiColor::Green,
                            &format!("{} ({} facts)", source.name, extraction.facts.len()),
                        )
                    });
                }
                progress.inc(1);
                progress.set_message(format!(
                    "{facts} facts, {:.0} facts/s",
                    facts as f64 / started.elapsed().as_secs_f64()
                ));
                if fresh {
                    fresh_batch.push((source.name.clone(), document, extraction));
                } else {
                    pending.push((source.name.clone(), document, extraction));
                    if pending.len() >= args.batch.max(1) {
                        quads += flush(&mut pending)?;
                    }
                }
                Ok(true)
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
    if fresh {
        // An empty store takes everything through the bulk loader: one commit.
        let stored = fresh_batch
            .iter()
            .map(|(path, document, extraction)| StoredDocument {
                iri: &document.iri,
                path,
                facts: &extraction.facts,
            });
        quads += store.bulk_load(stored, provenance)?;
        // Empty documents exist too, for --prune.
        let empty: Vec<StoredDocument<'_>> = fresh_batch
            .iter()
            .filter(|(_, _, extraction)| extraction.facts.is_empty())
            .map(|(path, document, extraction)| StoredDocument {
                iri: &document.iri,
                path,
                facts: &extraction.facts,
            })
            .collect();
        if !empty.is_empty() {
            store.replace_documents(&empty, provenance)?;
        }
    } else if !pending.is_empty() {
        quads += flush(&mut pending)?;
    }
    progress.finish_and_clear();
    let mut pruned = 0;
    if args.prune {
        let kept: HashSet<String> = sources
            .iter()
            .map(|source| document_iri(&source.name).into_string())
            .collect();
        let stale: Vec<(oxigraph::model::NamedNode, String)> = store
            .documents()?
            .into_iter()
            .filter(|iri| !kept.contains(iri.as_str()))
            .map(|iri| {
                let path = path_of(iri.as_str());
                (iri, path)
            })
            .collect();
        pruned = stale.len();
        store.remove_documents(&stale)?;
    }
    if !args.quiet {
        let place = args.store.as_ref().map_or_else(
            || "memory".to_owned(),
            |path| format!("`{}`", path.display()),
        );
        let mut summary = format!(
            "{documents} documents, {facts} facts, {quads} quads written to {place} in {:.2}s",
            started.elapsed().as_secs_f64()
        );
        if pruned > 0 {
            summary.push_str(&format!("; {pruned} stale documents pruned"));
        }
        output.status("built", AnsiColor::Green, &summary);
    }
    if let Some(query) = &args.query {
        let options = QueryOptions {
            format: None,
            timeout: None,
            update: false,
        };
        prefixes.push(("kgrep".into(), crate::extract::KGREP_NS.into()));
        if run_query(&store, query, "<query>", &prefixes, &options, output)? == Outcome::Problems {
            outcome = Outcome::Problems;
        }
    }
    Ok(outcome)
}

/// The document path a document IRI was made from.
pub fn path_of(iri: &str) -> String {
    let encoded = iri
        .strip_prefix(crate::store::DOCUMENT_PREFIX)
        .unwrap_or(iri);
    percent_decode(encoded)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' && index + 3 <= bytes.len() {
            if let Ok(byte) = u8::from_str_radix(&text[index + 1..index + 3], 16) {
                out.push(byte);
                index += 3;
                continue;
            }
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
