//! `kgrep fmt`: print rule files in canonical form, check or rewrite them.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;

use super::{Outcome, Output};
use kgrep::diagnostic::Diagnostic;
use kgrep::source::SourceMap;
use kgrep::syntax;

/// Arguments of `kgrep fmt`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  kgrep fmt rules.kgr                 print the canonical form
  kgrep fmt --write rules/*.kgr       rewrite files in place
  kgrep fmt --check rules/*.kgr       exit 1 if any file would change
  cat rules.kgr | kgrep fmt -         read standard input

Comments are kept; a comment inside a declaration moves to just above it.
A file with syntax errors is reported and left alone (exit 1).")]
pub struct FmtArgs {
    /// The rule files (`-` for standard input).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Print nothing; exit 1 and name the files that are not formatted.
    #[arg(long, conflicts_with = "write")]
    pub check: bool,

    /// Rewrite the files in place (atomically) instead of printing.
    #[arg(long, short)]
    pub write: bool,
}

/// Runs `kgrep fmt`.
pub fn run(args: &FmtArgs, output: &Output) -> Result<Outcome> {
    let mut outcome = Outcome::Success;
    for path in &args.files {
        let text = read(path)?;
        let mut sources = SourceMap::new();
        let name = path.display().to_string();
        let file = sources.add(name.clone(), path.clone(), text);
        let (tree, errors) = syntax::parse(&sources.file(file).text);
        if !errors.is_empty() {
            for error in errors {
                let diagnostic = Diagnostic::error(error.code, file, error.span, error.message)
                    .with_label(error.label)
                    .with_optional_hint(error.hint);
                output.diagnostic(&diagnostic, &sources);
            }
            output.error(&format!("`{name}` has syntax errors; not formatted"));
            outcome = Outcome::Problems;
            continue;
        }
        let formatted = syntax::print(&tree);
        if args.check {
            if formatted != sources.file(file).text {
                writeln!(output.stdout(), "{name}")?;
                outcome = Outcome::Problems;
            }
        } else if args.write && path.as_os_str() != "-" {
            if formatted != sources.file(file).text {
                write_atomically(path, &formatted)?;
            }
        } else {
            // Not through the colour-stripping stream: it would drop control
            // characters the source holds (and `fmt` keeps every character).
            std::io::stdout().lock().write_all(formatted.as_bytes())?;
        }
    }
    Ok(outcome)
}

fn read(path: &Path) -> Result<String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read standard input")?;
        return Ok(text);
    }
    std::fs::read_to_string(path).with_context(|| format!("cannot read `{}`", path.display()))
}

/// Writes `text` to a temporary file beside `path`, then renames it over
/// `path`, so a crash never leaves a half-written rule file. A symbolic
/// link is written through (the file it points to is replaced, the link
/// stays), and the file keeps its permissions.
fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let path = &std::fs::canonicalize(path)
        .with_context(|| format!("cannot resolve `{}`", path.display()))?;
    let permissions = std::fs::metadata(path)
        .with_context(|| format!("cannot read `{}`", path.display()))?
        .permissions();
    let directory = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = directory.join(format!(".{file_name}.kgrep-fmt.tmp"));
    std::fs::write(&temporary, text)
        .with_context(|| format!("cannot write `{}`", temporary.display()))?;
    std::fs::set_permissions(&temporary, permissions)
        .with_context(|| format!("cannot set the mode of `{}`", temporary.display()))?;
    std::fs::rename(&temporary, path)
        .with_context(|| format!("cannot replace `{}`", path.display()))?;
    Ok(())
}
