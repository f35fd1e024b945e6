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
fn fmt_keeps_every_character_writes_through_symlinks_and_keeps_the_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("kgrep-fmt-keep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    // Control characters inside an IRI and a prefixed name: `check` rejects
    // them, and so must the formatted file.
    let broken = dir.join("control.kgr");
    std::fs::write(
        &broken,
        "prefix ex: <http://e/\u{1}x>\nrule r = \"a\" => ex:a\u{2}b ex:p ex:o\n",
    )
    .expect("write");
    let formatted = kgrep(&["fmt", broken.to_str().unwrap()]);
    let text = String::from_utf8(formatted.stdout).expect("UTF-8");
    assert!(text.contains('\u{1}') && text.contains('\u{2}'), "{text:?}");
    let again = dir.join("again.kgr");
    std::fs::write(&again, &text).expect("write");
    assert!(!kgrep(&["check", again.to_str().unwrap()]).status.success());
    // --write through a symlink, keeping the target's mode.
    let target = dir.join("real.kgr");
    std::fs::write(&target, "prefix   ex:<http://e/>\n").expect("write");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let link = dir.join("link.kgr");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    assert!(
        kgrep(&["fmt", "--write", link.to_str().unwrap()])
            .status
            .success()
    );
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read_to_string(&target).expect("read"),
        "prefix ex: <http://e/>\n"
    );
    let mode = std::fs::metadata(&target)
        .expect("target")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o640);
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

/// Every IRI a table shows can be pasted back into a query: the shown
/// subjects and objects, put in a VALUES clause, parse and match them all.
#[test]
fn iris_in_tables_paste_back_into_queries() {
    let dir = crate::support::temp_dir("paste");
    // Only `ex:` declared: entity IRIs with `/` in their rest show as <…>.
    let bare = dir.join("bare.kgr");
    std::fs::write(
        &bare,
        "prefix ex: <http://kgrep.example/zh/>\nentity T a ex:Team = \\p{Han}{0,4} (\"“\" \\p{Han}{1,4} \"”\")? \"突击队\" iri ex:team/{text}\nrule r = \"成立\" $t:T => ex:org/甲 ex:formed $t\ntest r \"成立党员突击队\" => ex:org/甲 ex:formed ex:team/党员突击队\n",
    )
    .expect("write");
    let bare_doc = dir.join("bare.txt");
    std::fs::write(&bare_doc, "甲成立党员突击队。乙成立“青年”突击队。").expect("write");
    let bare = bare.to_str().expect("UTF-8").to_owned();
    let bare_doc = bare_doc.to_str().expect("UTF-8").to_owned();
    for (rules, docs) in [
        ("examples/zh/news.kgr", "examples/zh/docs"),
        ("examples/en/news.kgr", "examples/en/docs"),
        (bare.as_str(), bare_doc.as_str()),
    ] {
        let table = |query: &str| {
            let output = kgrep(&[
                "query", "-r", rules, "--docs", docs, "--format", "table", query,
            ]);
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .filter_map(|line| line.strip_prefix("│ ")?.strip_suffix(" │"))
                .skip(1)
                .map(|cell| cell.trim().to_owned())
                .collect::<Vec<_>>()
        };
        let mut shown = table("SELECT DISTINCT ?x WHERE { ?x ?p ?o }");
        shown.extend(table(
            "SELECT DISTINCT ?x WHERE { ?s ?p ?x FILTER(isIRI(?x)) }",
        ));
        shown.sort();
        shown.dedup();
        assert!(shown.len() >= 4, "{rules}: {shown:?}");
        let query = format!(
            "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ VALUES ?x {{ {} }} {{ ?x ?p ?o }} UNION {{ ?s ?p ?x }} }}",
            shown.join(" ")
        );
        let output = kgrep(&[
            "query", "-r", rules, "--docs", docs, "--format", "csv", &query,
        ]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.lines().nth(1) == Some(&shown.len().to_string()),
            "{rules}: {stdout}{}\n{shown:?}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// `kgrep try` names what stopped a rule: the trigger words the text lacks,
/// the `where` that rejected a candidate (quoted and located), the part of
/// the pattern it expected next; shows the normalised sentence; `--rule`
/// narrows it to one rule; and a rule whose constraint rejects everything
/// gives up within its retry budget.
#[test]
fn try_names_missing_words_rejecting_wheres_and_what_was_expected() {
    let dir = crate::support::temp_dir("try");
    let rules = dir.join("r.kgr");
    std::fs::write(
        &rules,
        "prefix ex: <http://e/>\n\
         lexicon Verb = \"成立\", \"组建\"\n\
         entity Team a ex:Team = \\p{Han}{2,4} \"突击队\" iri ex:t/{text}\n\
         rule formed = $org:(\\p{Han}{2,8}) Verb $team:Team where $org not contains \"的\" => ex:x ex:formed $team\n\
         rule size = $t:Team \"有\" $n:([0-9]+) \"人\" => $t ex:size $n|number\n\
         rule sent = $t:Team \"进驻\" $h:(\\p{Han}{2,8} \"医院\") => $t ex:deployedTo ex:h\n\
         rule never = $x:(\\p{Han}{1,1000}) where $x not contains \"党\" => ex:a ex:b ex:c\n\
         rule rare = $x:(\\p{Han}{1,1000}) where $x contains \"龘\" => ex:a ex:b ex:c\n",
    )
    .expect("write");
    let rules = rules.to_str().expect("UTF-8");
    let run = |args: &[&str]| {
        let mut all = vec!["try", "-r", rules];
        all.extend(args);
        let output = kgrep(&all);
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, out, _) =
        run(&["公司的党委成立党员突击队。党员突击队有４６名队员。党员突击队有许多人。"]);
    assert_eq!(code, Some(0));
    for expected in [
        "$org = \"公司的党委\" fails a `where` constraint — `$org not contains \"的\"` (",
        "r.kgr:4:57)",
        "normalised (what the rules see): 党员突击队有46名队员。",
        "sent: the text lacks words it needs: one of “医院”; and one of “进驻”",
        "size: got through 2 of 4 parts of its pattern, as far as \"党员突击队有\" (sentence 2); then it expected one or more of a character of [0-9]",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    let (_, only, _) = run(&["--rule", "sent", "公司的党委成立党员突击队。"]);
    assert!(
        only.contains("sent:") && !only.contains("rule formed") && !only.contains("size"),
        "{only}"
    );
    let (code, _, said) = run(&["--rule", "snet", "x"]);
    assert_eq!(code, Some(2));
    assert!(
        said.contains("no rule is named `snet` (did you mean `sent`?)"),
        "{said}"
    );
    // 1,300 Han characters, one sentence: every candidate fails `contains "龘"`.
    let long: String = "党员突击队成立于社区医院附近"
        .chars()
        .cycle()
        .take(1300)
        .collect();
    let (code, out, _) = run(&["--rule", "never", &long]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains("gave up on the rest of the sentence"),
        "{}",
        &out[..out.len().min(2000)]
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A file of many broken rules shows the first 50 diagnostics and how many
/// more there are; `--max-diagnostics 0` shows all; JSON is never cut.
#[test]
fn diagnostics_are_capped_for_people_not_for_machines() {
    let dir = crate::support::temp_dir("many-errors");
    let file = dir.join("many.kgr");
    let text: String = (0..80).map(|i| format!("rule r{i} = => ex:a\n")).collect();
    std::fs::write(&file, text).expect("write");
    let file = file.to_str().expect("UTF-8");
    let count = |args: &[&str], stream: fn(&std::process::Output) -> &[u8], start: &str| {
        let output = kgrep(args);
        assert_eq!(output.status.code(), Some(1));
        let text = String::from_utf8_lossy(stream(&output)).into_owned();
        (text.lines().filter(|l| l.starts_with(start)).count(), text)
    };
    let (shown, text) = count(&["check", file], |o| &o.stderr, "error[");
    assert_eq!(shown, 50);
    assert!(
        text.contains("note: 30 more diagnostics not shown") && text.contains("has 80 errors"),
        "{text}"
    );
    let (all, _) = count(
        &["check", "--max-diagnostics", "0", file],
        |o| &o.stderr,
        "error[",
    );
    assert_eq!(all, 80);
    let (json, _) = count(
        &["check", "--message-format", "json", file],
        |o| &o.stdout,
        "{",
    );
    assert_eq!(json, 80);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn extract_stats_count_matches_facts_and_documents_per_rule() {
    let output = kgrep(&[
        "extract",
        "--stats",
        "-r",
        "examples/en/news.kgr",
        "examples/en/docs",
    ]);
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let facts = String::from_utf8_lossy(&output.stdout).lines().count();
    let mut counted = 0;
    for line in stderr.lines().skip(1) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [_, matches, rule_facts, documents] = fields[..] else {
            panic!("{line}");
        };
        let (matches, rule_facts, documents): (usize, usize, usize) = (
            matches.parse().unwrap(),
            rule_facts.parse().unwrap(),
            documents.parse().unwrap(),
        );
        assert!(
            matches <= rule_facts && documents <= matches.max(1),
            "{line}"
        );
        counted += rule_facts;
    }
    // Every fact is counted once, by the rule that wrote it (N-Triples
    // repeats a triple two matches make, so the lines are at most as many).
    assert!(
        counted >= facts && facts > 0,
        "{counted} counted, {facts} lines\n{stderr}"
    );
    assert!(stderr.lines().next().unwrap().starts_with("rule"));
}

/// `kgrep try` on the constructs of round 2: a context condition that
/// rejects (quoted, with its place), a match an `excludes` rule drops, a
/// standalone entity, text in any case, a word boundary — as a snapshot.
#[test]
fn try_explains_context_conditions_exclusions_and_standalone_entities() {
    let output = kgrep(&[
        "try",
        "-r",
        "tests/data/ok/context-and-case.kgr",
        "Ann Lee joined “Acme Corp” yesterday. 他在北京市开设新华书店。\nROSEMARY McFADDEN SAID nothing; Jim Beam saidnothing.",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "(dropped: excluded by rule quoted_company)",
        "fails a `where` of its entity type — `text not preceded by (\"在\" | \"自\")` (tests/data/ok/context-and-case.kgr:",
        "rule Company",
        "$p = ROSEMARY McFADDEN",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
    let snapshot = crate::support::root().join("tests/data/try/context-and-case.stdout");
    crate::support::check_snapshot(&snapshot, &stdout).unwrap_or_else(|diff| panic!("{diff}"));
}
