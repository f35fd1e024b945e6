//! `kgrep extract`: run rules over documents and stream the facts to stdout.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use super::load::load_rules;
use super::{Outcome, Output};
use crate::extract::{Document, Extraction, Extractor};
use crate::serialize::{FactWriter, Format};

/// Arguments of `kgrep extract`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  kgrep extract -r examples/zh/news.kgr examples/zh/docs/
  kgrep extract -r rules.kgr -f nquads --provenance corpus/ > facts.nq
  kgrep extract -r rules.kgr -f jsonl --year 2020 news.txt | jq .rule
  cat article.txt | kgrep extract -r rules.kgr -

A directory stands for every file below it. Each document's IRI is
urn:kgrep:doc:PATH, PATH relative to the directory given (or the file as given).
Documents are processed in parallel; the output keeps their order.
Exit status: 0 all documents read, 1 a document could not be read (the others
are still processed unless --fail-fast), 2 bad usage.")]
pub struct ExtractArgs {
    /// Rule file (repeat for several; they form one rule set).
    #[arg(short, long = "rules", value_name = "RULES", required = true)]
    pub rules: Vec<PathBuf>,

    /// Documents: UTF-8 text files, directories, or `-` for standard input.
    #[arg(required = true, value_name = "DOC")]
    pub documents: Vec<PathBuf>,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = FormatArg::Ntriples)]
    pub format: FormatArg,

    /// Add provenance statements (reification nodes) to RDF output.
    #[arg(long)]
    pub provenance: bool,

    /// The year of dates written without one (default: found in each document).
    #[arg(long, value_name = "YEAR")]
    pub year: Option<i32>,

    /// Replace invalid UTF-8 instead of skipping the document.
    #[arg(long)]
    pub lossy: bool,

    /// Stop at the first document that cannot be read.
    #[arg(long)]
    pub fail_fast: bool,

    /// No progress bar and no warnings about the rules.
    #[arg(short, long)]
    pub quiet: bool,
}

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// N-Triples.
    Ntriples,
    /// N-Quads, one named graph per document.
    Nquads,
    /// Turtle, with the rules' prefixes.
    Turtle,
    /// JSON lines: one fact with its provenance per line.
    Jsonl,
}

impl From<FormatArg> for Format {
    fn from(format: FormatArg) -> Format {
        match format {
            FormatArg::Ntriples => Format::NTriples,
            FormatArg::Nquads => Format::NQuads,
            FormatArg::Turtle => Format::Turtle,
            FormatArg::Jsonl => Format::JsonLines,
        }
    }
}

/// A document to read: where, and the name its IRI is made from.
struct Source {
    path: PathBuf,
    name: String,
}

/// Runs `kgrep extract`.
pub fn run(args: &ExtractArgs, output: &Output) -> Result<Outcome> {
    let (extractor, _) = load_rules(&args.rules, output, args.quiet)?;
    let sources = collect_sources(&args.documents)?;
    let stdout = std::io::stdout().lock();
    let mut writer = FactWriter::new(
        std::io::BufWriter::new(stdout),
        args.format.into(),
        args.provenance,
        &extractor.rules().prefixes,
    )?;
    let progress = progress_bar(sources.len(), args.quiet);
    let mut outcome = Outcome::Success;
    // Bounded memory: one document per worker at a time, written in order.
    let batch = rayon::current_num_threads();
    for chunk in sources.chunks(batch) {
        let results: Vec<Result<(Document, Extraction)>> = chunk
            .par_iter()
            .map_init(
                || extractor.scratch(),
                |scratch, source| extract_one(&extractor, source, args, scratch),
            )
            .collect();
        for (source, result) in chunk.iter().zip(results) {
            match result {
                Ok((document, extraction)) => {
                    writer.write_document(&document.iri, &source.name, &extraction.facts)?;
                    progress.inc(1);
                }
                Err(error) => {
                    progress.suspend(|| output.error(&format!("{error:#}")));
                    outcome = Outcome::Problems;
                    if args.fail_fast {
                        progress.finish_and_clear();
                        writer.finish()?;
                        return Ok(outcome);
                    }
                }
            }
        }
    }
    progress.finish_and_clear();
    writer.finish()?.flush()?;
    Ok(outcome)
}

fn extract_one(
    extractor: &Extractor,
    source: &Source,
    args: &ExtractArgs,
    scratch: &mut crate::matcher::Scratch,
) -> Result<(Document, Extraction)> {
    let text = read_document(&source.path, args.lossy)?;
    let document = Document::new(&source.name, text, args.year);
    let extraction = extractor.extract(&document, scratch);
    Ok((document, extraction))
}

/// Reads a document; invalid UTF-8 is an error naming the byte, unless `lossy`.
fn read_document(path: &Path, lossy: bool) -> Result<String> {
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
    } else {
        bytes = std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(error) if lossy => Ok(String::from_utf8_lossy(error.as_bytes()).into_owned()),
        Err(error) => anyhow::bail!(
            "`{}` is not valid UTF-8 (at byte {}); skipped (use --lossy to replace bad bytes)",
            path.display(),
            error.utf8_error().valid_up_to()
        ),
    }
}

/// The documents named on the command line, directories expanded (sorted).
fn collect_sources(paths: &[PathBuf]) -> Result<Vec<Source>> {
    let mut sources = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            sources.push(Source {
                path: path.clone(),
                name: "stdin".into(),
            });
        } else if path.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files)
                .with_context(|| format!("cannot read directory `{}`", path.display()))?;
            files.sort();
            for file in files {
                let relative = file.strip_prefix(path).unwrap_or(&file);
                sources.push(Source {
                    name: slash_path(relative),
                    path: file,
                });
            }
        } else {
            sources.push(Source {
                name: slash_path(path),
                path: path.clone(),
            });
        }
    }
    Ok(sources)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        if entry.file_type()?.is_dir() {
            walk(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}

/// `a/b.txt` with forward slashes and without a leading `./`.
fn slash_path(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    text.trim_start_matches("./").to_owned()
}

fn progress_bar(total: usize, quiet: bool) -> ProgressBar {
    if quiet || total < 2 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {pos}/{len} documents [{elapsed_precise}] {wide_bar} {per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}
