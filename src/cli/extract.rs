//! `kgrep extract`: run rules over documents and stream the facts to stdout.

use std::io::Write;

use anyhow::Result;
use clap::{Args, ValueEnum};

use super::{Outcome, Output};
use crate::ui::documents::{InputArgs, progress_bar, report_unreadable};
use crate::ui::rules::load_rules;
use kgrep::serialize::{FactWriter, Format, write_mentions};

/// Arguments of `kgrep extract`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  kgrep extract -r examples/zh/news.kgr examples/zh/docs/
  kgrep extract -r rules.kgr -f nquads --provenance corpus/ > facts.nq
  kgrep extract -r rules.kgr -f jsonl --year 2020 news.txt | jq .rule
  cat article.txt | kgrep extract -r rules.kgr -
  kgrep extract -r rules.kgr --input jsonl -f jsonl articles.jsonl      one {\"id\": …, \"text\": …} a line
  kgrep extract -r rules.kgr --mentions corpus/ > mentions.tsv           entity mentions with their spans

A directory stands for every file below it. Each document's IRI is
urn:kgrep:doc:PATH, PATH relative to the directory given (or the file as given).
Documents are processed in parallel; the output keeps their order.
Exit status: 0 all documents read, 1 a document could not be read (the others
are still processed unless --fail-fast), 2 bad usage.")]
pub struct ExtractArgs {
    /// The rules and the documents.
    #[command(flatten)]
    pub input: InputArgs,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = FormatArg::Ntriples)]
    pub format: FormatArg,

    /// N-Quads: add each match's span, rule and text, and its sentence (see ARCHITECTURE.md).
    #[arg(long)]
    pub provenance: bool,

    /// Write the entity mentions the facts were made from instead of the facts:
    /// one a line, `document start end type iri text` as TSV (or JSON objects
    /// with `-f jsonl`); offsets count characters of the original document.
    #[arg(long)]
    pub mentions: bool,

    /// No progress bar and no warnings about the rules.
    #[arg(short, long)]
    pub quiet: bool,

    /// Print per-rule counts on stderr at the end: matches kept, facts
    /// written, documents with a match (every rule, those that never fired too).
    #[arg(long)]
    pub stats: bool,
}

/// What one rule did over a run, for `--stats`.
#[derive(Default)]
struct RuleStats {
    matches: usize,
    facts: usize,
    documents: usize,
}

impl RuleStats {
    /// Adds a document's facts (or a piece's) to `stats` (by rule name);
    /// `seen_rules`: the rules counted for the document so far.
    fn count(
        stats: &mut std::collections::BTreeMap<String, RuleStats>,
        facts: &[kgrep::extract::Fact],
        seen_rules: &mut std::collections::HashSet<std::sync::Arc<str>>,
    ) {
        let mut seen_matches = std::collections::HashSet::new();
        for fact in facts {
            let p = &fact.provenance;
            let entry = stats.entry(p.rule.to_string()).or_default();
            entry.facts += 1;
            if seen_matches.insert((p.rule.clone(), p.sentence, p.start, p.end)) {
                entry.matches += 1;
            }
            if seen_rules.insert(p.rule.clone()) {
                entry.documents += 1;
            }
        }
    }
}

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// N-Triples.
    Ntriples,
    /// N-Quads: facts in the default graph, with their support graphs (`kgrep load` takes them).
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

/// Runs `kgrep extract`.
pub fn run(args: &ExtractArgs, output: &Output) -> Result<Outcome> {
    let format: Format = args.format.into();
    if args.provenance && !format.carries_provenance() {
        anyhow::bail!(
            "--provenance needs graphs, which {:?} has not: use `-f nquads` (the store's layout) or `-f jsonl`",
            args.format
        );
    }
    if args.mentions && !matches!(format, Format::NTriples | Format::JsonLines) {
        anyhow::bail!(
            "--mentions writes TSV, or JSON lines with `-f jsonl`, not {:?}",
            args.format
        );
    }
    let (extractor, _) = load_rules(&args.input.rules, output, args.quiet)?;
    // Never freed: the process ends after the run, and freeing compiled
    // rules (a million lexicon names: a million allocations) takes longer
    // than many a search.
    let extractor = std::mem::ManuallyDrop::new(
        extractor
            .with_mentions(args.mentions || format == Format::JsonLines)
            .with_view(args.input.input.view()),
    );
    let (sources, bad_records) = args.input.sources(output)?;
    let mut mentions_out = args
        .mentions
        .then(|| std::io::BufWriter::new(std::io::stdout().lock()));
    let mut writer = FactWriter::new(
        std::io::BufWriter::new(std::io::stdout().lock()),
        format,
        args.provenance,
        &extractor.rules().prefixes,
    )?;
    let progress = progress_bar(sources.len(), args.quiet, "documents");
    // Every rule, so that those that never fired show with zeros.
    let mut stats = args.stats.then(|| {
        extractor
            .rules()
            .rules
            .iter()
            .map(|rule| (rule.name.clone(), RuleStats::default()))
            .collect::<std::collections::BTreeMap<_, _>>()
    });
    let mut outcome = if bad_records {
        Outcome::Problems
    } else {
        Outcome::Success
    };
    // The rules already counted for the current document (--stats).
    let mut counted = std::collections::HashSet::new();
    kgrep::corpus::extract_in_pieces(
        &extractor,
        &sources,
        args.input.lossy,
        args.input.year,
        kgrep::corpus::PIECE_BYTES,
        |source, result| match result {
            Ok(piece) => {
                let facts = &piece.extraction.facts;
                if let Some(stats) = &mut stats {
                    if piece.first {
                        counted.clear();
                    }
                    RuleStats::count(stats, facts, &mut counted);
                }
                match &mut mentions_out {
                    Some(out) => write_mentions(
                        out,
                        &piece.document.iri,
                        facts,
                        format == Format::JsonLines,
                    )?,
                    None => writer.write_piece(
                        &piece.document.iri,
                        &source.name,
                        facts,
                        piece.first,
                        piece.matches_before,
                    )?,
                }
                if piece.last {
                    progress.inc(1);
                }
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
    progress.finish_and_clear();
    if let Some(mut out) = mentions_out {
        out.flush()?;
    }
    writer.finish()?.flush()?;
    if let Some(stats) = stats {
        let mut err = std::io::stderr().lock();
        writeln!(
            err,
            "{:<32} {:>9} {:>9} {:>9}",
            "rule", "matches", "facts", "documents"
        )?;
        for (rule, counts) in &stats {
            writeln!(
                err,
                "{rule:<32} {:>9} {:>9} {:>9}",
                counts.matches, counts.facts, counts.documents
            )?;
        }
    }
    Ok(outcome)
}
