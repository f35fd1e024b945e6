//! Data-driven rule files: `tests/data/err/NAME.kgr` must give exactly the
//! diagnostics in `NAME.stderr` (with the exit status on the last line);
//! `tests/data/ok/NAME.kgr` must check clean and survive `fmt` unchanged in meaning.

use crate::support::{check_snapshot, kgrep, root, rule_files, shape};

fn run_check(file: &str) -> String {
    let output = kgrep(&["check", file]);
    let stderr = String::from_utf8(output.stderr).expect("UTF-8 stderr");
    format!(
        "{stderr}exit status: {}\n",
        output.status.code().unwrap_or(-1)
    )
}

#[test]
fn broken_rule_files_give_their_snapshot_diagnostics() {
    let files = rule_files("tests/data/err");
    assert!(
        files.len() >= 30,
        "expected at least 30 broken rule files, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    for file in &files {
        let actual = run_check(file);
        assert!(
            actual.contains("error[") || actual.contains("warning["),
            "{file}: a broken file must produce a diagnostic:\n{actual}"
        );
        let snapshot = root().join(file).with_extension("stderr");
        if let Err(mismatch) = check_snapshot(&snapshot, &actual) {
            failures.push(mismatch);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn valid_rule_files_check_clean() {
    let mut files = rule_files("tests/data/ok");
    files.extend(rule_files("examples/zh"));
    files.extend(rule_files("examples/en"));
    assert!(
        files.len() >= 12,
        "expected the valid files and the examples, found {}",
        files.len()
    );
    for file in &files {
        let output = kgrep(&["check", file]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "{file} should check clean:\n{stderr}"
        );
        assert!(
            !stderr.contains("warning"),
            "{file} should have no warnings:\n{stderr}"
        );
        assert!(stderr.starts_with("ok: "), "{file}: {stderr}");
    }
}

#[test]
fn formatting_keeps_the_tree_and_is_idempotent() {
    let mut files = rule_files("tests/data/ok");
    files.extend(rule_files("examples/zh"));
    files.extend(rule_files("examples/en"));
    for file in &files {
        // Read as kgrep reads rule files (a byte order mark is dropped).
        let text =
            kgrep::source::SourceLoader::read(&kgrep::source::FileSystem, &root().join(file))
                .expect("read");
        let (tree, errors) = kgrep::syntax::parse(&text);
        assert!(errors.is_empty(), "{file}: {errors:?}");
        let printed = kgrep::syntax::print(&tree);
        let (again, errors) = kgrep::syntax::parse(&printed);
        assert!(
            errors.is_empty(),
            "{file}: the printed form does not parse: {errors:?}\n{printed}"
        );
        assert_eq!(
            shape(&tree),
            shape(&again),
            "{file}: printing changed the tree"
        );
        let texts = |t: &kgrep::syntax::ast::File| {
            t.comments
                .iter()
                .map(|c| c.text.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            texts(&tree),
            texts(&again),
            "{file}: printing lost or reordered comments"
        );
        assert_eq!(
            kgrep::syntax::print(&again),
            printed,
            "{file}: printing is not idempotent"
        );
    }
}

#[test]
fn every_construct_is_used_by_the_valid_files() {
    // Each needle is a construct of the grammar; the valid files together must use them all.
    let mut text = String::new();
    for file in rule_files("tests/data/ok") {
        text.push_str(&std::fs::read_to_string(root().join(file)).expect("read"));
    }
    let needles = [
        "prefix ",
        "base <",
        "include \"",
        "lexicon ",
        " from \"",
        " -> \"",
        " -> <",
        "fragment ",
        "entity ",
        " iri ",
        "label @",
        "normalize ",
        "where ",
        "priority ",
        "rule ",
        "=> ",
        "test ",
        "!=> ",
        " _ ",
        " not in ",
        " in ",
        " matches ",
        " contains ",
        "len(",
        "text ",
        "$",
        ":(",
        "|number",
        "|date",
        "|approximate",
        "|strip_quotes",
        "|trim",
        "^^xsd:",
        "\"@zh",
        "@en",
        " a ",
        "true",
        "[^",
        "\\p{",
        "\\P{",
        "\\d",
        "\\w",
        "\\s",
        "{0,",
        "{2}",
        ",}",
        "?",
        "*",
        "+",
        ".{",
        "^",
        "(",
        "|",
        "#",
        "\\b",
        "\\B",
        "\"i ",
        " ignore case ",
        " preceded by ",
        " followed by ",
        " not preceded by ",
        " not followed by ",
        " or $",
        " | Person)",
        " excludes ",
        "standalone",
    ];
    let missing: Vec<&str> = needles
        .iter()
        .copied()
        .filter(|needle| !text.contains(needle))
        .collect();
    assert!(
        missing.is_empty(),
        "constructs no valid test file uses: {missing:?}"
    );
}
