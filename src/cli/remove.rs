//! `kgrep remove`: remove documents (their facts and provenance) from a store.

use std::path::PathBuf;

use anstyle::AnsiColor;
use anyhow::Result;
use clap::Args;

use super::{Outcome, Output};
use kgrep::extract::document_iri;
use kgrep::store::StoreDir;
use kgrep::store::ingest::remove_documents;

/// Arguments of `kgrep remove`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  kgrep remove --store graph.kgstore news/2020-02-16.txt
  kgrep remove --store graph.kgstore urn:kgrep:doc:news/2020-02-16.txt

A document is named by the path it was built from (relative to the directory
given to `kgrep build`) or by its IRI. All of them go in one transaction.")]
pub struct RemoveArgs {
    /// The on-disk store.
    #[arg(long, value_name = "DIR", env = "KGREP_STORE", required = true)]
    pub store: PathBuf,

    /// The documents to remove.
    #[arg(required = true, value_name = "DOC")]
    pub documents: Vec<String>,
}

/// Runs `kgrep remove`.
pub fn run(args: &RemoveArgs, output: &Output) -> Result<Outcome> {
    let dir = StoreDir::open(&args.store)?;
    let writer = dir.write()?;
    let store = writer.store();
    let present = store.documents()?;
    let mut removing = Vec::new();
    let mut outcome = Outcome::Success;
    for name in &args.documents {
        let iri = if name.starts_with(kgrep::vocab::DOCUMENT_PREFIX) {
            oxigraph::model::NamedNode::new(name.clone())?
        } else {
            document_iri(name)
        };
        if present.contains(&iri) {
            removing.push(iri);
        } else {
            output.error(&format!("no document `{name}` in the store"));
            outcome = Outcome::Problems;
        }
    }
    let facts = remove_documents(store, &removing)?;
    writer.commit()?;
    output.status(
        "removed",
        AnsiColor::Green,
        &format!(
            "{} documents; {facts} facts no other document states left the store",
            removing.len()
        ),
    );
    Ok(outcome)
}
