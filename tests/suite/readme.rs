//! The README's examples, run as a user runs them, in order, in a fresh
//! directory beside the repository's `examples/`: every `kgr` block checks,
//! every `sh` line that runs kgrep succeeds, and every `text` block that
//! starts with `$ kgrep …` prints what it shows (`...` stands for any lines).

use std::path::Path;
use std::process::Command;

use crate::support::{root, temp_dir};

/// A fenced block of the README: its language and its lines.
struct Block {
    language: String,
    line: usize,
    text: String,
}

fn blocks(readme: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    for (index, line) in readme.lines().enumerate() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(language)) => {
                current = Some(Block {
                    language: language.trim().to_owned(),
                    line: index + 1,
                    text: String::new(),
                })
            }
            (Some(_), Some(_)) => blocks.push(current.take().expect("block")),
            (Some(block), None) => {
                block.text.push_str(line);
                block.text.push('\n');
            }
            (None, None) => {}
        }
    }
    blocks
}

/// Runs `command` with `sh` in `dir`, `kgrep` being the binary under test;
/// returns its exit status and its output (stdout then stderr, as a
/// terminal would interleave them for these commands) and takes `input`.
fn shell(dir: &Path, command: &str, input: &str) -> (bool, String) {
    let binary = Path::new(env!("CARGO_BIN_EXE_kgrep"));
    let path = format!(
        "{}:{}",
        binary.parent().expect("bin dir").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("{{ {command}\n}} 2>&1"))
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env_remove("KGREP_STORE")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sh");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), input.as_bytes())
        .expect("input");
    let output = child.wait_with_output().expect("wait");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// Whether `actual` matches `expected`, where a line `...` matches any lines.
fn matches(expected: &[&str], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((line, rest)) if line.trim() == "..." => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((line, rest)) => {
            actual
                .first()
                .is_some_and(|first| first.trim_end() == line.trim_end())
                && matches(rest, &actual[1..])
        }
    }
}

#[test]
fn the_readme_examples_run_as_shown() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let dir = temp_dir("readme");
    #[cfg(unix)]
    std::os::unix::fs::symlink(root().join("examples"), dir.join("examples")).expect("symlink");
    let blocks = blocks(&readme);
    let kgr: Vec<&Block> = blocks.iter().filter(|b| b.language == "kgr").collect();
    assert!(!kgr.is_empty(), "the README shows a rule file");
    let mut ran = 0;
    for block in &blocks {
        let at = format!("README.md:{}", block.line);
        match block.language.as_str() {
            "kgr" => {
                std::fs::write(dir.join("quickstart.kgr"), &block.text).expect("write");
                let (ok, output) = shell(
                    &dir,
                    "kgrep check quickstart.kgr && kgrep test quickstart.kgr",
                    "",
                );
                assert!(ok, "{at}: the rules do not check:\n{output}");
                // The tour's `check` example: this file with `Org` misspelt.
                let misspelt = block.text.replacen("$org:Org ", "$org:Orgg ", 1);
                std::fs::write(dir.join("rules.kgr"), misspelt).expect("write");
            }
            "sh" => {
                for line in block.text.lines() {
                    let command = line.replace("cargo run -- ", "kgrep ");
                    if !command.starts_with("kgrep ") {
                        continue;
                    }
                    if command.contains("--svg") && Command::new("dot").arg("-V").output().is_err()
                    {
                        crate::support::skip_without("graphviz", "Debian");
                        continue;
                    }
                    let (ok, output) = shell(&dir, &command, "");
                    assert!(ok, "{at}: `{command}` failed:\n{output}");
                    ran += 1;
                }
            }
            "text" if block.text.starts_with("$ kgrep") => {
                let mut lines = block.text.lines();
                let command = lines.next().expect("command")[2..].to_owned();
                // A REPL example: what follows `kgrep> ` is typed.
                let (mut input, mut expected) = (String::new(), Vec::new());
                for line in lines {
                    match line.strip_prefix("kgrep> ") {
                        Some(statement) => {
                            input.push_str(statement);
                            input.push('\n');
                        }
                        None => expected.push(line),
                    }
                }
                let (_, output) = shell(&dir, &command, &input);
                let actual: Vec<&str> = output.lines().collect();
                assert!(
                    matches(&expected, &actual),
                    "{at}: `{command}` printed:\n{output}\nbut the README shows:\n{}",
                    expected.join("\n")
                );
                ran += 1;
            }
            _ => {}
        }
    }
    assert!(ran >= 15, "only {ran} README commands ran");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn ellipses_match_any_lines() {
    assert!(matches(&["a", "...", "d"], &["a", "b", "c", "d"]));
    assert!(matches(&["a", "...", "b"], &["a", "b"]));
    assert!(matches(&["a", "  ...", "b"], &["a", "x", "b"]));
    assert!(!matches(&["a", "...", "d"], &["a", "b"]));
    assert!(!matches(&["a"], &["a", "b"]));
}
