//! `kgrep push`: send a store (or what rules extract from documents) to a
//! SPARQL server, document by document (see `kgrep::store::remote`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anstyle::AnsiColor;
use anyhow::{Context, Result, bail};
use clap::Args;
use oxigraph::model::{NamedNode, Quad};

use super::{Outcome, Output};
use crate::ui::documents::{collect_sources, progress_bar};
use crate::ui::rules::load_rules;
use kgrep::provenance::{DocumentFacts, document_hash, document_quads, rules_fingerprint};
use kgrep::store::StoreDir;
use kgrep::store::remote::{Auth, Remote};

/// Arguments of `kgrep push`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  kgrep push http://127.0.0.1:7878/query --store graph.kgstore          oxigraph serve
  kgrep push http://127.0.0.1:8890/sparql --store graph.kgstore --facts-graph urn:kgrep:facts
  kgrep push http://127.0.0.1:7878/query -r examples/zh/news.kgr examples/zh/docs/
  KGREP_PUSH_TOKEN=… kgrep push https://sparql.example.org/query --store graph.kgstore --prune
  kgrep push http://127.0.0.1:8890/sparql-auth --graph-store http://127.0.0.1:8890/sparql-graph-crud-auth \\
      --store graph.kgstore --facts-graph urn:kgrep:facts        Virtuoso, KGREP_PUSH_USER/PASSWORD (digest)

ENDPOINT is the server's SPARQL query endpoint; updates go to --update-endpoint
(default: ENDPOINT with a final /query replaced by /update, as Oxigraph and
Fuseki name them; otherwise ENDPOINT itself, as Virtuoso does). Each document's
provenance and support graphs replace the server's copy exactly, and the facts
(the server's default graph, or --facts-graph) follow the supports, so the
server answers as the local store does: query its default graph, or with
--facts-graph G, `FROM <G>` or `default-graph-uri=G`. A document whose content
hash the server already has is skipped; --prune removes the documents the
server has and the source has not. Credentials come from the environment:
KGREP_PUSH_TOKEN (bearer) or KGREP_PUSH_USER and KGREP_PUSH_PASSWORD (basic or
digest, as the server asks). With --graph-store, each support and provenance
graph is PUT there (one request a graph); without it, SPARQL Update carries
many graphs a request (faster: the default).
Connection errors and 5xx are retried with backoff; a 4xx stops the push.")]
pub struct PushArgs {
    /// The server's SPARQL query endpoint.
    #[arg(value_name = "ENDPOINT")]
    pub endpoint: String,

    /// The server's SPARQL update endpoint.
    #[arg(long, value_name = "URL")]
    pub update_endpoint: Option<String>,

    /// Write each document's graphs through this Graph Store Protocol endpoint
    /// (PUT and DELETE `?graph=IRI`, e.g. Oxigraph's /store, Virtuoso's
    /// /sparql-graph-crud-auth); the facts still go by SPARQL Update.
    #[arg(long, value_name = "URL")]
    pub graph_store: Option<String>,

    /// Push this on-disk store.
    #[arg(
        long,
        value_name = "DIR",
        env = "KGREP_STORE",
        conflicts_with = "rules"
    )]
    pub store: Option<PathBuf>,

    /// Or extract documents with these rules and push the result.
    #[arg(short, long = "rules", value_name = "RULES", requires = "documents")]
    pub rules: Vec<PathBuf>,

    /// Documents for --rules.
    #[arg(value_name = "DOC")]
    pub documents: Vec<PathBuf>,

    /// Put the facts in this named graph instead of the server's default graph.
    #[arg(long, value_name = "IRI")]
    pub facts_graph: Option<String>,

    /// Remove from the server the documents the source does not have.
    #[arg(long)]
    pub prune: bool,

    /// Documents sent at once.
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,

    /// No progress bar and no summary.
    #[arg(short, long)]
    pub quiet: bool,
}

/// One document's work for the pushing threads.
enum Job {
    /// Push a document of the local store (its dataset is read by the thread).
    Stored(NamedNode),
    /// Push a document just extracted: its quads.
    Extracted(NamedNode, Vec<Quad>),
    /// Remove a document the source no longer has.
    Remove(NamedNode),
}

/// Runs `kgrep push`.
pub fn run(args: &PushArgs, output: &Output) -> Result<Outcome> {
    let started = Instant::now();
    let store = match (&args.store, args.rules.is_empty()) {
        (Some(path), true) => Some(StoreDir::open(path)?.reader()?),
        (_, false) => None,
        (None, true) => bail!("say what to push: --store DIR, or -r RULES DOCS..."),
    };
    let update = args.update_endpoint.clone().unwrap_or_else(|| {
        match args.endpoint.strip_suffix("/query") {
            Some(base) => format!("{base}/update"),
            None => args.endpoint.clone(),
        }
    });
    let facts_graph = args
        .facts_graph
        .as_deref()
        .map(NamedNode::new)
        .transpose()
        .context("--facts-graph needs an IRI")?;
    let mut remote = Remote::new(
        &args.endpoint,
        &update,
        auth_from_environment(),
        facts_graph,
    );
    if let Some(graph_store) = &args.graph_store {
        remote = remote.with_graph_store(graph_store);
    }
    let on_server = remote.documents()?;
    let (quads, requests, pushed, unchanged, removed) = (
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    );
    let failure: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let failed = || failure.lock().expect("lock").is_some();
    let progress = progress_bar(0, args.quiet, "documents");
    // A bounded queue: memory holds at most a few documents' quads.
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Job>(usize::from(args.concurrency));
    let receiver = Mutex::new(receiver);
    std::thread::scope(|scope| -> Result<()> {
        for _ in 0..args.concurrency {
            scope.spawn(|| {
                loop {
                    let job = receiver.lock().expect("lock").recv();
                    let Ok(job) = job else { return };
                    if failed() {
                        continue;
                    }
                    let result = match job {
                        Job::Stored(document) => store
                            .as_ref()
                            .expect("a store")
                            .document_dataset(&document)
                            .map_err(anyhow::Error::from)
                            .and_then(|dataset| {
                                quads.fetch_add(dataset.len(), Ordering::Relaxed);
                                Ok(remote.replace_document(&document, &dataset)?)
                            })
                            .with_context(|| format!("cannot push `{document}`")),
                        Job::Extracted(document, dataset) => {
                            quads.fetch_add(dataset.len(), Ordering::Relaxed);
                            remote
                                .replace_document(&document, &dataset)
                                .with_context(|| format!("cannot push `{document}`"))
                        }
                        Job::Remove(document) => {
                            removed.fetch_add(1, Ordering::Relaxed);
                            remote.remove_document(&document).with_context(|| {
                                format!("cannot remove `{document}` from the server")
                            })
                        }
                    };
                    match result {
                        Ok(made) => {
                            requests.fetch_add(made, Ordering::Relaxed);
                            progress.inc(1);
                        }
                        Err(error) => {
                            failure.lock().expect("lock").get_or_insert(error);
                        }
                    }
                }
            });
        }
        let send = |job: Job| {
            progress.inc_length(1);
            sender
                .send(job)
                .map_err(|_| anyhow::anyhow!("the pushing threads stopped"))
        };
        let mut local = std::collections::HashSet::new();
        match &store {
            Some(store) => {
                for document in store.documents()? {
                    let hash = store.document_hash(&document)?;
                    local.insert(document.as_str().to_owned());
                    match (hash, on_server.get(document.as_str())) {
                        (Some(hash), Some(theirs)) if hash == *theirs => {
                            unchanged.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {
                            pushed.fetch_add(1, Ordering::Relaxed);
                            send(Job::Stored(document))?;
                        }
                    }
                    if failed() {
                        break;
                    }
                }
            }
            None => extract_and_send(args, output, &on_server, |document, dataset| {
                local.insert(document.as_str().to_owned());
                match dataset {
                    Some(dataset) => {
                        pushed.fetch_add(1, Ordering::Relaxed);
                        send(Job::Extracted(document, dataset))?;
                    }
                    None => {
                        unchanged.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Ok(!failed())
            })?,
        }
        if args.prune && !failed() {
            for document in on_server.keys().filter(|d| !local.contains(d.as_str())) {
                send(Job::Remove(NamedNode::new_unchecked(document.clone())))?;
            }
        }
        drop(sender);
        Ok(())
    })?;
    progress.finish_and_clear();
    if let Some(error) = failure.into_inner().expect("lock") {
        return Err(error);
    }
    if !args.quiet {
        let seconds = started.elapsed().as_secs_f64();
        let quads = quads.into_inner();
        output.status(
            "pushed",
            AnsiColor::Green,
            &format!(
                "{} documents ({} unchanged, skipped), {} removed; {quads} quads in {} requests to {update}; {seconds:.2}s ({:.0} quads/s)",
                pushed.into_inner(),
                unchanged.into_inner(),
                removed.into_inner(),
                requests.into_inner(),
                quads as f64 / seconds.max(1e-9)
            ),
        );
    }
    Ok(Outcome::Success)
}

/// Extracts the documents with the rules, one run at a time, and hands each
/// to `each` with its quads in the store's layout — or `None` when the server
/// has its content already (same hash as a build would record).
fn extract_and_send(
    args: &PushArgs,
    output: &Output,
    on_server: &HashMap<String, String>,
    mut each: impl FnMut(NamedNode, Option<Vec<Quad>>) -> Result<bool>,
) -> Result<()> {
    let (extractor, sources_map) = load_rules(&args.rules, output, true)?;
    let fingerprint = rules_fingerprint(&sources_map, None);
    let sources = collect_sources(&args.documents)?;
    kgrep::corpus::check_distinct_names(&sources)?;
    kgrep::corpus::extract_in_order(&extractor, &sources, false, None, |source, result| {
        let (document, extraction) = result?;
        let hash = document_hash(&fingerprint, &document.text);
        if on_server.get(document.iri.as_str()) == Some(&hash) {
            return each(document.iri, None);
        }
        let facts = DocumentFacts {
            iri: &document.iri,
            path: &source.name,
            sha256: Some(&hash),
            facts: &extraction.facts,
            first_match: 0,
            header: true,
        };
        let mut dataset = Vec::new();
        document_quads(&facts, true, |quad| {
            dataset.push(quad);
            Ok::<_, anyhow::Error>(())
        })?;
        each(document.iri.clone(), Some(dataset))
    })
}

/// Credentials from the environment, never from the command line.
fn auth_from_environment() -> Auth {
    if let Ok(token) = std::env::var("KGREP_PUSH_TOKEN") {
        return Auth::Bearer(token);
    }
    match (
        std::env::var("KGREP_PUSH_USER"),
        std::env::var("KGREP_PUSH_PASSWORD"),
    ) {
        (Ok(user), Ok(password)) => Auth::Password { user, password },
        _ => Auth::None,
    }
}
