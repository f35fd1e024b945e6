//! The documents a command reads, as people name them on a command line
//! (`kgrep::corpus` does the reading and the ordered parallel extraction),
//! and the progress bars over them.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};

pub use kgrep::corpus::Source;

/// The rules and documents of `extract` and `build`.
#[derive(Debug, clap::Args)]
pub struct InputArgs {
    /// Rule file (repeat for several; they form one rule set).
    #[arg(short, long = "rules", value_name = "RULES", required = true)]
    pub rules: Vec<PathBuf>,

    /// Documents: UTF-8 text files, directories, or `-` for standard input.
    #[arg(required = true, value_name = "DOC")]
    pub documents: Vec<PathBuf>,

    /// The year of dates written without one, 1–9999 (default: found in each document).
    #[arg(long, value_name = "YEAR", value_parser = clap::value_parser!(i32).range(1..=9999))]
    pub year: Option<i32>,

    /// Replace invalid UTF-8 instead of skipping the document.
    #[arg(long)]
    pub lossy: bool,

    /// Stop at the first document that cannot be read.
    #[arg(long)]
    pub fail_fast: bool,

    /// What a DOC holds: text (one document a file, a line break ends a
    /// sentence), paragraphs (hard-wrapped text: lines joined, a blank line
    /// ends a paragraph), html or xml (markup skipped, entities decoded;
    /// offsets still count characters of the file), JSON lines (one document
    /// a line, `{"id": …, "text": …}`) or tsv (a header line, then a document
    /// a line); see --id-field, --text-field.
    #[arg(long, value_enum, default_value_t = InputKind::Text)]
    pub input: InputKind,

    /// JSON lines and TSV: the field (or TSV column) that names each document
    /// (its IRI is made from it).
    #[arg(long, value_name = "FIELD", default_value = "id")]
    pub id_field: String,

    /// JSON lines and TSV: the field (or TSV column) that holds each document's text.
    #[arg(long, value_name = "FIELD", default_value = "text")]
    pub text_field: String,
}

/// What the documents named on the command line hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum InputKind {
    /// Each file is one document; every line break ends a sentence.
    Text,
    /// Each file is one document of paragraphs: lines joined, a blank line ends one.
    Paragraphs,
    /// Each file is an HTML document.
    Html,
    /// Each file is an XML document.
    Xml,
    /// Each line of each file is one document: a JSON object with an id and a text.
    Jsonl,
    /// Each file is a table of documents: a header line, then a record a line.
    Tsv,
}

impl InputKind {
    /// How the extractor reads each document's text.
    pub fn view(self) -> kgrep::text::View {
        match self {
            InputKind::Paragraphs => kgrep::text::View::Paragraphs,
            InputKind::Html => kgrep::text::View::Html,
            InputKind::Xml => kgrep::text::View::Xml,
            InputKind::Text | InputKind::Jsonl | InputKind::Tsv => kgrep::text::View::Text,
        }
    }

    /// Whether each file holds many documents.
    pub fn is_records(self) -> bool {
        matches!(self, InputKind::Jsonl | InputKind::Tsv)
    }
}

impl InputArgs {
    /// The documents to extract. A JSON lines record that is not one is
    /// reported by file and line and skipped (with --fail-fast, it ends the
    /// command); the flag says whether any was.
    pub fn sources(&self, output: &super::Output) -> Result<(Vec<Source>, bool)> {
        if !self.input.is_records() {
            return Ok((collect_sources(&self.documents)?, false));
        }
        let (mut sources, mut bad) = (Vec::new(), false);
        for path in &self.documents {
            let read = if self.input == InputKind::Tsv {
                kgrep::corpus::read_tsv_records
            } else {
                kgrep::corpus::read_records
            };
            let (records, errors) = read(path, &self.id_field, &self.text_field)?;
            for error in &errors {
                output.error(&error.to_string());
                bad = true;
            }
            if bad && self.fail_fast {
                anyhow::bail!("a record could not be read (--fail-fast)");
            }
            sources.extend(records);
        }
        kgrep::corpus::check_distinct_names(&sources)?;
        Ok((sources, bad))
    }
}

/// The documents `paths` name (see [`kgrep::corpus::collect_sources`]);
/// files that are not regular files are skipped with a warning.
pub fn collect_sources(paths: &[PathBuf]) -> Result<Vec<Source>> {
    let mut skipped = Vec::new();
    let sources = kgrep::corpus::collect_sources(paths, &mut skipped)?;
    for path in skipped {
        eprintln!(
            "warning: `{}` is not a regular file (a FIFO, socket or device); skipped",
            path.display()
        );
    }
    Ok(sources)
}

/// A bar over `total` documents on a terminal; hidden when `quiet`, piped or for one document.
pub fn progress_bar(total: usize, quiet: bool, unit: &str) -> ProgressBar {
    if quiet || total < 2 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template(
            &format!("{{spinner}} {{pos}}/{{len}} {unit} [{{elapsed_precise}}] {{wide_bar}} {{per_sec}} eta {{eta}} {{msg}}"),
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

#[cfg(feature = "store")]
/// Turns a finished document bar into a spinner for work after the last
/// document (a bulk load's sort and index), so it never sits at "eta 0s".
pub fn finishing(bar: &ProgressBar, message: &str) {
    if bar.is_hidden() {
        return;
    }
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed_precise}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
}

/// Reports a document that could not be read (above the progress bar);
/// returns whether to go on with the others.
pub fn report_unreadable(
    progress: &ProgressBar,
    output: &super::Output,
    error: &dyn std::fmt::Display,
    fail_fast: bool,
) -> bool {
    progress.suspend(|| output.error(&format!("{error:#}")));
    !fail_fast
}

/// A store in memory holding what `extractor` finds in `sources` (with the
/// rules' prefixes, and with `fingerprint`, each document's content hash);
/// a document that cannot be read ends it.
#[cfg(feature = "store")]
pub fn memory_store(
    extractor: &kgrep::extract::Extractor,
    sources: &[Source],
    fingerprint: Option<&sha2::Sha256>,
) -> Result<kgrep::store::GraphStore> {
    let store = kgrep::store::GraphStore::in_memory()?;
    store.save_prefixes(&extractor.rules().prefixes)?;
    let mut ingest = kgrep::store::ingest::Ingest::new(&store, true)?;
    kgrep::store::ingest::extract_into(
        &mut ingest,
        extractor,
        sources,
        (false, None),
        fingerprint,
        |_, result| result.map(|_| true).map_err(anyhow::Error::from),
    )?;
    ingest.finish()?;
    Ok(store)
}
