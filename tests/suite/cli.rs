//! The `kgrep` binary: help, exit codes, output formats.

use crate::support::kgrep;

#[test]
fn help_shows_examples() {
    for args in [&["--help"][..], &["check", "--help"], &["fmt", "--help"]] {
        let output = kgrep(args);
        assert!(output.status.success());
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("Examples:"), "{args:?}: {stdout}");
    }
}

#[test]
fn a_missing_rule_file_is_exit_2_with_its_name() {
    let output = kgrep(&["check", "no/such/file.kgr"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no/such/file.kgr"), "{stderr}");
}

#[test]
fn json_diagnostics_are_one_object_a_line() {
    let output = kgrep(&[
        "check",
        "--message-format",
        "json",
        "tests/data/err/unclosed-string.kgr",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    let first = stdout.lines().next().expect("one diagnostic");
    let value: serde_json::Value = serde_json::from_str(first).expect("JSON");
    assert_eq!(value["code"], "unclosed-string");
    assert!(value["line"].is_u64() && value["column"].is_u64());
}

#[test]
fn fmt_check_names_unformatted_files() {
    let dir = std::env::temp_dir().join(format!("kgrep-fmt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("messy.kgr");
    std::fs::write(&file, "prefix   ex:<http://e/>\nfragment F=\"a\"  |\"b\"\n").expect("write");
    let path = file.to_str().expect("UTF-8 path");
    let output = kgrep(&["fmt", "--check", path]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("messy.kgr"));
    assert!(kgrep(&["fmt", "--write", path]).status.success());
    assert_eq!(
        std::fs::read_to_string(&file).expect("read"),
        "prefix ex: <http://e/>\n\nfragment F = \"a\" | \"b\"\n"
    );
    assert_eq!(kgrep(&["fmt", "--check", path]).status.code(), Some(0));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn threads_change_speed_not_output() {
    let run = |threads: &str, documents: &str| {
        let output = kgrep(&[
            "-j",
            threads,
            "extract",
            "-q",
            "-r",
            "examples/zh/news.kgr",
            "-f",
            "jsonl",
            documents,
        ]);
        assert!(output.status.success());
        output.stdout
    };
    let one = run("1", "examples/zh/docs");
    assert!(!one.is_empty());
    assert_eq!(
        one,
        run("2", "examples/zh/docs"),
        "documents come out in input order"
    );
    // A long document is cut into runs of sentences matched in parallel:
    // the facts, their offsets and their order do not change.
    let long = std::env::temp_dir().join(format!("kgrep-long-{}.txt", std::process::id()));
    let sample = std::fs::read_to_string(crate::support::root().join("examples/zh/docs/teams.txt"))
        .expect("sample");
    std::fs::write(&long, sample.repeat(800)).expect("write");
    let long_name = long.to_str().unwrap();
    let one = run("1", long_name);
    assert!(one.len() > 100_000, "{}", one.len());
    assert!(
        one == run("2", long_name),
        "a long document extracts the same with 2 threads"
    );
    std::fs::remove_file(&long).ok();
    let zero = kgrep(&[
        "-j",
        "0",
        "extract",
        "-r",
        "examples/zh/news.kgr",
        "examples/zh/docs",
    ]);
    assert_eq!(zero.status.code(), Some(2));
}

#[test]
fn completions_and_the_man_page_come_from_the_command_definitions() {
    for shell in ["bash", "zsh", "fish"] {
        let output = kgrep(&["completions", shell]);
        assert!(output.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&output.stdout);
        assert!(
            script.contains("kgrep") && script.contains("build"),
            "{shell}"
        );
    }
    let man = kgrep(&["man"]);
    assert!(man.status.success());
    let page = String::from_utf8_lossy(&man.stdout);
    assert!(
        page.contains(".TH kgrep") && page.contains("KGREP_STORE"),
        "{page}"
    );
}
