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

/// `fmt` against `check` on mutated files: each valid file, changed a
/// character at a time (deleted, doubled, or replaced by a character from a
/// set that holds control characters, quotes, full-width punctuation and
/// CJK); whenever the mutant parses, its printed form parses, checks the
/// same (errors or not), has the same tree and prints the same again.
#[test]
fn formatting_mutated_files_keeps_what_check_says() {
    const CHARS: &[char] = &[
        '\u{1}', '\u{7f}', '\u{200e}', '\t', ' ', '"', '\\', '$', ':', '|', '(', ')', '，', '：',
        '“', '党', 'a', '{', '#', '\n',
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |bound: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % bound as u64) as usize
    };
    let errors_of = |text: &str| {
        let mut files = kgrep::source::MemoryFiles::new();
        files.insert("m.kgr", text.to_owned());
        match kgrep::rules::load(std::path::Path::new("m.kgr"), &files) {
            Ok(loaded) => loaded.diagnostics.iter().filter(|d| d.is_error()).count() > 0,
            Err(_) => true,
        }
    };
    let (mut tried, mut parsed) = (0, 0);
    for file in rule_files("tests/data/ok") {
        let original = std::fs::read_to_string(root().join(&file)).expect("read");
        if original.contains("include") || original.contains(" from \"") {
            continue; // needs its other files
        }
        let chars: Vec<char> = original.chars().collect();
        for _ in 0..100 {
            let mut mutant = chars.clone();
            let at = next(mutant.len());
            match next(3) {
                0 => {
                    mutant.remove(at);
                }
                1 => mutant.insert(at, mutant[at]),
                _ => mutant[at] = CHARS[next(CHARS.len())],
            }
            let mutant: String = mutant.into_iter().collect();
            tried += 1;
            let (tree, syntax) = kgrep::syntax::parse(&mutant);
            if !syntax.is_empty() {
                continue;
            }
            parsed += 1;
            let printed = kgrep::syntax::print(&tree);
            let (again, syntax) = kgrep::syntax::parse(&printed);
            assert!(
                syntax.is_empty(),
                "{file}: fmt of {mutant:?} does not parse: {syntax:?}"
            );
            assert_eq!(
                shape(&tree),
                shape(&again),
                "{file}: fmt changed the tree of {mutant:?}"
            );
            assert_eq!(
                kgrep::syntax::print(&again),
                printed,
                "{file}: not idempotent on {mutant:?}"
            );
            assert_eq!(
                errors_of(&mutant),
                errors_of(&printed),
                "{file}: check differs on {mutant:?} and its fmt {printed:?}"
            );
        }
    }
    assert!(
        tried > 1000 && parsed > 300,
        "{tried} mutants, {parsed} parsed"
    );
}
