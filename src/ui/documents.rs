//! The documents a command reads: files, directories (every file below),
//! or standard input; their names (which make their IRIs); progress bars.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

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
}

/// A document to read: where, and the name its IRI is made from.
pub struct Source {
    /// Where to read it (`-` is standard input).
    pub path: PathBuf,
    /// Its path relative to the corpus root, `/`-separated: its IRI is made from it.
    pub name: String,
}

/// Reads a document; invalid UTF-8 is an error naming the byte, unless `lossy`.
pub fn read_document(path: &Path, lossy: bool) -> Result<String> {
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
pub fn collect_sources(paths: &[PathBuf]) -> Result<Vec<Source>> {
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
        // Read only regular files (a FIFO or a device would block or never
        // end); follow links to files, not to directories (no cycles).
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&path, files)?;
        } else if kind.is_file() || std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            files.push(path);
        } else {
            eprintln!(
                "warning: `{}` is not a regular file (a FIFO, socket or device); skipped",
                path.display()
            );
        }
    }
    Ok(())
}

/// `a/b.txt`: the path's components joined by `/`, without `.`; a
/// backslash in a Unix file name stays a character of the name.
fn slash_path(path: &Path) -> String {
    use std::path::Component;
    let parts: Vec<String> = path
        .components()
        .filter_map(|component| match component {
            Component::CurDir => None,
            Component::RootDir => Some(String::new()),
            other => Some(other.as_os_str().to_string_lossy().into_owned()),
        })
        .collect();
    parts.join("/")
}

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

/// Extracts `sources` in parallel, one document per worker at a time and at
/// most [`IN_FLIGHT_BYTES`] of text at once (memory follows the largest
/// document, not the corpus), and hands each result to `sink` in the order
/// of `sources`. `sink` returns whether to go on.
pub fn extract_in_order(
    extractor: &kgrep::extract::Extractor,
    sources: &[Source],
    lossy: bool,
    year: Option<i32>,
    mut sink: impl FnMut(
        &Source,
        Result<(kgrep::extract::Document, kgrep::extract::Extraction)>,
    ) -> Result<bool>,
) -> Result<()> {
    use rayon::prelude::*;
    let threads = rayon::current_num_threads();
    for chunk in in_flight(sources, threads) {
        let results: Vec<_> = chunk
            .par_iter()
            .map_init(
                || extractor.scratch(),
                |scratch, source| {
                    let text = read_document(&source.path, lossy)?;
                    let document = kgrep::extract::Document::new(&source.name, text, year);
                    let extraction = extractor.extract(&document, scratch);
                    Ok((document, extraction))
                },
            )
            .collect();
        for (source, result) in chunk.iter().zip(results) {
            if !sink(source, result)? {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Text that may be extracted at once, across threads: a document's facts
/// are held until they are handed on, so big documents go one at a time.
const IN_FLIGHT_BYTES: u64 = 8 << 20;

/// `sources` cut into runs of at most `threads` documents and, unless a run is
/// one document, at most [`IN_FLIGHT_BYTES`] of text.
fn in_flight(sources: &[Source], threads: usize) -> Vec<&[Source]> {
    let size = |source: &Source| std::fs::metadata(&source.path).map_or(0, |m| m.len());
    let mut runs = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (index, source) in sources.iter().enumerate() {
        let next = size(source);
        if index > start && (index - start >= threads.max(1) || bytes + next > IN_FLIGHT_BYTES) {
            runs.push(&sources[start..index]);
            (start, bytes) = (index, 0);
        }
        bytes += next;
    }
    if start < sources.len() {
        runs.push(&sources[start..]);
    }
    runs
}

/// Reports a document that could not be read (above the progress bar);
/// returns whether to go on with the others.
pub fn report_unreadable(
    progress: &ProgressBar,
    output: &super::Output,
    error: &anyhow::Error,
    fail_fast: bool,
) -> bool {
    progress.suspend(|| output.error(&format!("{error:#}")));
    !fail_fast
}
