//! `kgrep try`: run the rules on a sentence and explain what happened.

use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use super::{Outcome, Output};
use crate::ui::explain::{Options, explain};
use crate::ui::rules::load_rules;

/// Arguments of `kgrep try`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  kgrep try -r examples/zh/news.kgr \"中国移动湖北分公司党委成立党员突击队\"
  kgrep try -r examples/en/news.kgr \"The Red Cross formed a volunteer team.\"
  echo \"...\" | kgrep try -r rules.kgr -
  kgrep try -r rules.kgr --rule formed \"...\"      only what rule `formed` did

Shows every match (the sentence with the match underlined, each capture and
entity mention, the triples), matches dropped for a higher-priority rule,
candidates a `where` rejected (quoted, with where it is written), the
normalised sentence when normalising changed it, and for rules that did not
fire, the trigger words the text lacks or how far their pattern got and what
it expected next.")]
pub struct TryArgs {
    /// Rule file (repeat for several).
    #[arg(short, long = "rules", value_name = "RULES", required = true)]
    pub rules: Vec<PathBuf>,

    /// The text to try (`-` reads standard input).
    #[arg(value_name = "TEXT")]
    pub text: String,

    /// Show only this rule (repeat for several).
    #[arg(long = "rule", value_name = "NAME")]
    pub rule: Vec<String>,

    /// The year of dates written without one.
    #[arg(long, value_name = "YEAR", value_parser = clap::value_parser!(i32).range(1..=9999))]
    pub year: Option<i32>,
}

/// Runs `kgrep try`.
pub fn run(args: &TryArgs, output: &Output) -> Result<Outcome> {
    let (extractor, sources) = load_rules(&args.rules, output, true)?;
    let names: Vec<&str> = extractor
        .rules()
        .rules
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    let mut only = Vec::new();
    for wanted in &args.rule {
        match names.iter().position(|name| name == wanted) {
            Some(index) => only.push(index),
            None => {
                let hint = kgrep::diagnostic::did_you_mean(wanted, names.iter().copied())
                    .map(|near| format!(" (did you mean `{near}`?)"))
                    .unwrap_or_default();
                anyhow::bail!("no rule is named `{wanted}`{hint}");
            }
        }
    }
    let text = if args.text == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read standard input")?;
        text
    } else {
        args.text.clone()
    };
    let options = Options {
        year: args.year,
        only,
    };
    let out = explain(&extractor, &sources, &text, &options);
    use std::io::Write as _;
    output.stdout().write_all(out.as_bytes())?;
    Ok(Outcome::Success)
}
