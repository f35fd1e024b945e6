//! `kgrep eval`: score rules against gold annotations (see [`kgrep::eval`]).

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use super::{Outcome, Output};
use crate::ui::documents::collect_sources;
use crate::ui::rules::load_rules;
use kgrep::eval::{Counts, Report};
use kgrep::extract::Document;

/// Arguments of `kgrep eval`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  kgrep eval -r news.kgr --gold gold.tsv corpus/          facts against gold triples
  kgrep eval -r news.kgr --gold mentions.jsonl            entity mentions against spans
  kgrep eval -r news.kgr --gold brat/ --format json       BRAT standoff (.ann + .txt)
  kgrep eval -r news.kgr --gold gold.tsv doc.txt --min-recall 0.8 --min-precision 0.9

Gold is read by its name: `.tsv` holds triples (subject<TAB>predicate<TAB>object,
terms as in a `.kgr` test, with the rules' prefixes; `#` comments) and needs the
documents; `.jsonl` holds texts with entity spans ({\"text\": …, \"entities\":
[[start, end, \"Type\"]]}, offsets in characters); `.ann` (or a folder of them)
is BRAT standoff with each text in the `.txt` beside it. Only the predicates or
entity types the gold names are scored. Exit status: 0, or 1 when precision or
recall is below --min-precision or --min-recall.")]
pub struct EvalArgs {
    /// Rule file (repeat for several; they form one rule set).
    #[arg(short, long = "rules", value_name = "RULES", required = true)]
    pub rules: Vec<PathBuf>,

    /// The gold: a `.tsv` of triples, a `.jsonl` of texts with entity spans, or BRAT `.ann`.
    #[arg(long, value_name = "FILE")]
    pub gold: PathBuf,

    /// The documents gold triples are about (files or directories).
    #[arg(value_name = "DOC")]
    pub documents: Vec<PathBuf>,

    /// The year of dates written without one (default: found in each document).
    #[arg(long, value_name = "YEAR", value_parser = clap::value_parser!(i32).range(1..=9999))]
    pub year: Option<i32>,

    /// `text` for people, `json` for machines (every count and item).
    #[arg(long, value_enum, default_value_t = EvalFormat::Text)]
    pub format: EvalFormat,

    /// Exit 1 when precision is below this (0–1).
    #[arg(long, value_name = "P")]
    pub min_precision: Option<f64>,

    /// Exit 1 when recall is below this (0–1).
    #[arg(long, value_name = "R")]
    pub min_recall: Option<f64>,
}

/// How `eval` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EvalFormat {
    /// Tables and lists for people.
    Text,
    /// One JSON object.
    Json,
}

/// Runs `kgrep eval`.
pub fn run(args: &EvalArgs, output: &Output) -> Result<Outcome> {
    let (extractor, _) = load_rules(&args.rules, output, true)?;
    let extractor = extractor.with_mentions(true);
    let is_triples = args.gold.extension().is_some_and(|e| e == "tsv");
    let report = if is_triples {
        if args.documents.is_empty() {
            anyhow::bail!(
                "gold triples need the documents they are about: `kgrep eval -r RULES --gold {} DOC...`",
                args.gold.display()
            );
        }
        let gold = kgrep::eval::read_triple_gold(&args.gold, &extractor.rules().prefixes)?;
        let mut facts = Vec::new();
        for source in collect_sources(&args.documents)? {
            let text = match &source.text {
                Some(text) => text.to_string(),
                None => kgrep::corpus::read_document(&source.path, false)
                    .with_context(|| format!("cannot read `{}`", source.path.display()))?,
            };
            let document = Document::new(&source.name, text, args.year);
            let extraction =
                extractor.with_scratch(|scratch| extractor.extract(&document, scratch));
            facts.extend(
                extraction
                    .facts
                    .into_iter()
                    .map(|f| (source.name.clone(), f)),
            );
        }
        kgrep::eval::score_triples(&gold, &facts)
    } else {
        if !args.documents.is_empty() {
            anyhow::bail!("entity gold holds its own texts: give no documents");
        }
        let gold = kgrep::eval::read_entity_gold(&args.gold)?;
        kgrep::eval::score_mentions(&extractor, &gold)
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        EvalFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        EvalFormat::Text => write_report(&mut out, &report, &extractor.rules().prefixes)?,
    }
    let low = args
        .min_precision
        .is_some_and(|p| report.total.precision() < p)
        || args.min_recall.is_some_and(|r| report.total.recall() < r);
    Ok(if low {
        Outcome::Problems
    } else {
        Outcome::Success
    })
}

fn write_report(
    out: &mut dyn Write,
    report: &Report,
    prefixes: &[(String, String)],
) -> std::io::Result<()> {
    let short = |text: &str| shorten_terms(text, prefixes);
    let what = if report.scored == "triples" {
        "predicate"
    } else {
        "type"
    };
    writeln!(
        out,
        "{:<40} {:>5} {:>5} {:>5} {:>9} {:>7} {:>6}",
        what, "tp", "fp", "fn", "precision", "recall", "f1"
    )?;
    let line = |out: &mut dyn Write, name: &str, c: &Counts| {
        writeln!(
            out,
            "{:<40} {:>5} {:>5} {:>5} {:>9.3} {:>7.3} {:>6.3}",
            name,
            c.true_positives,
            c.false_positives,
            c.false_negatives,
            c.precision(),
            c.recall(),
            c.f1()
        )
    };
    for (kind, counts) in &report.by_kind {
        line(out, &short(kind), counts)?;
    }
    line(out, "all", &report.total)?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<40} {:>5} {:>5} {:>9}",
        "rule", "tp", "fp", "precision"
    )?;
    for (rule, c) in &report.by_rule {
        writeln!(
            out,
            "{:<40} {:>5} {:>5} {:>9.3}",
            rule,
            c.true_positives,
            c.false_positives,
            c.precision()
        )?;
    }
    for (title, items) in [
        (
            "false positives (found, not in the gold)",
            &report.false_positives,
        ),
        (
            "false negatives (in the gold, not found)",
            &report.false_negatives,
        ),
    ] {
        if items.is_empty() {
            continue;
        }
        writeln!(out, "\n{title}: {}", items.len())?;
        for item in items {
            let by = item
                .rule
                .as_deref()
                .map(|r| format!("  [{r}]"))
                .unwrap_or_default();
            writeln!(out, "  {}{by}", short(&item.item))?;
            if let Some(sentence) = &item.sentence {
                writeln!(out, "      in: {}", sentence.trim())?;
            }
        }
    }
    if !report.unscored.is_empty() {
        let kinds: Vec<String> = report
            .unscored
            .iter()
            .map(|(kind, n)| format!("{} ({n})", short(kind)))
            .collect();
        writeln!(
            out,
            "\nnot scored (the gold does not name them): {}",
            kinds.join(", ")
        )?;
    }
    Ok(())
}

/// `<IRI>`s in `text` written with the rules' prefixes where one fits.
fn shorten_terms(text: &str, prefixes: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&kgrep::prefixes::sparql_iri(
            &rest[open + 1..open + close],
            prefixes,
        ));
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}
