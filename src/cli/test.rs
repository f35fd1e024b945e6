//! `kgrep test`: run the tests written beside the rules.

use std::path::PathBuf;

use anstyle::AnsiColor;
use anyhow::Result;
use clap::Args;
use oxrdf::{Term, Triple};

use super::{Outcome, Output};
use crate::ui::rules::{load_rules, shorten};
use kgrep::extract::Document;
use kgrep::rules::TriplePattern;

/// Arguments of `kgrep test`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  kgrep test examples/zh/news.kgr
  kgrep test rules/*.kgr

Each test runs the whole rule set of its file on its sentence; every `=>`
triple must be produced and no `!=>` triple may be (`_` matches any term).
A failing test shows what was missing, what was forbidden, and everything the
sentence produced. Exit status: 0 all passed, 1 a test failed or the rules
have errors.")]
pub struct TestArgs {
    /// The rule files whose tests to run (each with its includes).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Runs `kgrep test`.
pub fn run(args: &TestArgs, output: &Output) -> Result<Outcome> {
    let (mut passed, mut failed, mut not_run) = (0, 0, 0);
    for file in &args.files {
        let (extractor, sources) = match load_rules(std::slice::from_ref(file), output, true) {
            Ok(loaded) => loaded,
            Err(error) => {
                // Report and go on with the other files; the run fails at the end.
                let tests = tests_written_in(file);
                let why = match error.downcast_ref::<crate::ui::rules::RulesHaveErrors>() {
                    Some(errors) => format!("the rules have {} error(s)", errors.0),
                    None => format!("{error:#}"),
                };
                output.error(&format!(
                    "{}: {why}, so its {tests} test(s) were not run",
                    file.display()
                ));
                not_run += tests.max(1);
                continue;
            }
        };
        let rules = extractor.rules();
        let mut scratch = extractor.scratch();
        for test in &rules.tests {
            let document = Document::new("test", test.sentence.clone(), None);
            // Each triple once, with the rules that produced it.
            let mut produced: Vec<Triple> = Vec::new();
            let mut by: Vec<Vec<String>> = Vec::new();
            for fact in extractor.extract(&document, &mut scratch).facts {
                let rule = fact.provenance.rule.to_string();
                match produced.iter().position(|t| *t == fact.triple) {
                    Some(at) if by[at].contains(&rule) => {}
                    Some(at) => by[at].push(rule),
                    None => {
                        produced.push(fact.triple);
                        by.push(vec![rule]);
                    }
                }
            }
            let missing: Vec<&TriplePattern> = test
                .expected
                .iter()
                .filter(|p| !produced.iter().any(|t| matches(p, t)))
                .collect();
            let forbidden: Vec<&Triple> = produced
                .iter()
                .filter(|t| test.forbidden.iter().any(|p| matches(p, t)))
                .collect();
            let source = sources.file(test.origin.file);
            let place = format!(
                "{}:{}",
                source.name,
                source.line_col(test.origin.span.start).line
            );
            if missing.is_empty() && forbidden.is_empty() {
                passed += 1;
                output.status("ok", AnsiColor::Green, &format!("{} ({place})", test.rule));
                continue;
            }
            failed += 1;
            output.status(
                "FAILED",
                AnsiColor::Red,
                &format!("{} ({place})", test.rule),
            );
            let short = |term: &str| shorten(term, &rules.prefixes);
            let mut report = format!("  sentence: {}\n", test.sentence);
            for pattern in &missing {
                report.push_str(&format!(
                    "  - missing:   {}\n",
                    pattern_text(pattern, &short)
                ));
            }
            for triple in &forbidden {
                report.push_str(&format!("  ! forbidden: {}\n", triple_text(triple, &short)));
            }
            report.push_str("  produced:\n");
            if produced.is_empty() {
                report.push_str("    (nothing)\n");
            }
            for (triple, rules) in produced.iter().zip(&by) {
                report.push_str(&format!(
                    "    {}   (rule {})\n",
                    triple_text(triple, &short),
                    rules.join(", ")
                ));
            }
            eprint!("{report}");
        }
    }
    let mut summary = format!(
        "{} tests: {passed} passed, {failed} failed",
        passed + failed + not_run
    );
    if not_run > 0 {
        summary.push_str(&format!(", {not_run} not run (their rules have errors)"));
    }
    if failed + not_run > 0 {
        output.error(&summary);
        Ok(Outcome::Problems)
    } else {
        output.status("ok", AnsiColor::Green, &summary);
        Ok(Outcome::Success)
    }
}

/// How many tests `file` itself writes (its rules did not load, so they
/// were not run); 0 when it cannot even be read.
fn tests_written_in(file: &std::path::Path) -> usize {
    let Ok(text) = kgrep::source::SourceLoader::read(&kgrep::source::FileSystem, file) else {
        return 0;
    };
    kgrep::syntax::parse(&text)
        .0
        .items
        .iter()
        .filter(|item| matches!(item.kind, kgrep::syntax::ast::ItemKind::Test(_)))
        .count()
}

fn matches(pattern: &TriplePattern, triple: &Triple) -> bool {
    let subject: Term = triple.subject.clone().into();
    let predicate: Term = triple.predicate.clone().into();
    pattern.subject.as_ref().is_none_or(|s| *s == subject)
        && pattern.predicate.as_ref().is_none_or(|p| *p == predicate)
        && pattern.object.as_ref().is_none_or(|o| *o == triple.object)
}

fn triple_text(triple: &Triple, short: &dyn Fn(&str) -> String) -> String {
    format!(
        "{} {} {}",
        short(&triple.subject.to_string()),
        short(&triple.predicate.to_string()),
        short(&triple.object.to_string())
    )
}

fn pattern_text(pattern: &TriplePattern, short: &dyn Fn(&str) -> String) -> String {
    let term = |term: &Option<Term>| {
        term.as_ref()
            .map_or_else(|| "_".to_owned(), |t| short(&t.to_string()))
    };
    format!(
        "{} {} {}",
        term(&pattern.subject),
        term(&pattern.predicate),
        term(&pattern.object)
    )
}
