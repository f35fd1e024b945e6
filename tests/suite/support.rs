//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (tests run commands from there so paths in output are relative).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `kgrep ARGS` from the repository root, without colours.
pub fn kgrep(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kgrep"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("KGREP_STORE")
        .output()
        .expect("kgrep runs")
}

/// The `.kgr` files directly in `dir` (relative to the root), sorted.
pub fn rule_files(dir: &str) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "kgr"))
        .map(|path| {
            format!(
                "{dir}/{}",
                path.file_name().expect("name").to_string_lossy()
            )
        })
        .collect();
    files.sort();
    files
}

/// Compares `actual` with the snapshot at `path`; with `KGREP_BLESS=1`,
/// writes the snapshot instead. Returns a description of the mismatch.
pub fn check_snapshot(path: &Path, actual: &str) -> Result<(), String> {
    if std::env::var_os("KGREP_BLESS").is_some() {
        std::fs::write(path, actual).expect("write snapshot");
        return Ok(());
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    if expected == actual {
        return Ok(());
    }
    let diff = similar::TextDiff::from_lines(expected.as_str(), actual);
    Err(format!(
        "{} differs (run with KGREP_BLESS=1 to accept):\n{}",
        path.display(),
        diff.unified_diff().header("expected", "actual")
    ))
}

/// The tree of a parsed file with every span erased, for "same tree" checks.
pub fn shape(file: &kgrep::syntax::ast::File) -> String {
    let spans = regex::Regex::new(r"Span\(\d+\.\.\d+\)").expect("regex");
    spans
        .replace_all(&format!("{:#?}", file.items), "Span")
        .into_owned()
}

/// A fresh directory under the system's temporary directory.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kgrep-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A store in a fresh directory, built with the Chinese example rules from
/// `documents`; returns the directory and the store's path.
pub fn example_store(name: &str, documents: &str) -> (PathBuf, String) {
    let dir = temp_dir(name);
    let store = dir
        .join("graph.kgstore")
        .to_str()
        .expect("UTF-8 path")
        .to_owned();
    let output = kgrep(&[
        "build",
        "-q",
        "-r",
        "examples/zh/news.kgr",
        documents,
        "--store",
        &store,
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (dir, store)
}

/// A file of `../shared/` (the corpus beside a developer's checkout; a
/// user's fresh clone has none; `KGREP_SHARED` points elsewhere). Outside CI a
/// missing file skips the test with a note; in CI it fails the test.
pub fn shared_file(relative: &str) -> Option<PathBuf> {
    let shared = std::env::var_os("KGREP_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared"));
    let path = shared.join(relative);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI needs {} (the shared corpus beside the checkout)",
        path.display()
    );
    eprintln!(
        "note: {} is not here (a fresh clone has no ../shared); skipping",
        path.display()
    );
    None
}

/// A test that needs an optional tool calls this when `what` is missing:
/// outside CI the test is skipped with a note, in CI it fails (CI installs
/// everything the tests need).
pub fn skip_without(what: &str, install: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must install {what} ({install})"
    );
    eprintln!("note: {what} missing here; this runs in CI");
}
