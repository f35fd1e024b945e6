//! The REPL, driven both ways: piped scripts (statements and dot-commands in
//! order), and a real terminal through tmux (completion and its candidate
//! list, the continuation prompt, history, Ctrl-C cancelling a slow query,
//! tables cut to the terminal's width, the pager, confirmation).

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::root;

fn store(name: &str) -> (std::path::PathBuf, String) {
    crate::support::example_store(&format!("repl-{name}"), "examples/zh/docs")
}

/// Runs `kgrep repl ARGS` with `script` on standard input.
fn piped(args: &[&str], script: &str) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kgrep"))
        .arg("repl")
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("KGREP_STORE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("wait");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_piped_script_runs_in_order_and_errors_do_not_end_it() {
    let (dir, store) = store("script");
    let script = "\
.mode csv
SELECT ?team ?hospital
WHERE { ?team ex:deployedTo ?hospital ;
              a ex:Team }
SELEKT nonsense
.modd table
.mode table
SELECT ?h ?n WHERE { ?h ex:wardCount ?n }
.why 雷神山医院
.graphs
.prefixes
";
    let (code, out, err) = piped(&["--store", &store, "-r", "examples/zh/news.kgr"], script);
    assert_eq!(code, Some(1), "errors make the exit status 1: {err}");
    assert!(
        out.contains("team,hospital\r\n") && out.contains("辽宁医疗队"),
        "multi-line query with `;` ran in csv mode: {out}"
    );
    assert!(
        err.contains("error[sparql-syntax]") && err.contains("<stdin>:5:1"),
        "{err}"
    );
    assert!(
        err.contains("<stdin>:6: unknown command `.modd`; did you mean `.mode`?"),
        "{err}"
    );
    assert!(
        out.contains("│ hospital:雷神山医院 │ 32 │"),
        "a table after the errors: {out}"
    );
    assert!(
        out.contains("rule wards") || out.contains("rule hospital_city"),
        ".why shows the rule: {out}"
    );
    assert!(
        out.contains("【雷神山医院") && out.contains("】"),
        ".why marks the span in its sentence: {out}"
    );
    assert!(
        out.contains("urn:kgrep:doc:hospitals.txt#m0"),
        ".graphs: {out}"
    );
    assert!(
        out.contains("ex: <http://kgrep.example/zh/>"),
        ".prefixes: {out}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bail_stops_at_the_first_error_and_c_runs_one_statement() {
    let (dir, store) = store("bail");
    let (code, out, _) = piped(
        &["--store", &store, "--bail"],
        "SELEKT 1\nASK { ?s ?p ?o }\n",
    );
    assert_eq!(code, Some(1));
    assert!(!out.contains("true"), "nothing after the error ran: {out}");
    let output = Command::new(env!("CARGO_BIN_EXE_kgrep"))
        .args(["repl", "--store", &store, "-c", "ASK { ?s ex:formed ?o }"])
        .current_dir(root())
        .output()
        .expect("run");
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("true"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn rules_try_load_and_reload() {
    let dir = std::env::temp_dir().join(format!("kgrep-repl-rules-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let rules = dir.join("r.kgr");
    std::fs::write(&rules, "prefix ex: <http://e/>\nrule formed = \"成立\" => ex:a ex:formed ex:b\ntest formed \"成立\" => ex:a ex:formed ex:b\n").expect("write");
    let doc = dir.join("d.txt");
    std::fs::write(&doc, "甲成立乙。丙组建丁。").expect("write");
    let script = format!(
        ".rules {r}\n.load {d}\n.try 丙组建丁\n.stats\n",
        r = rules.display(),
        d = doc.display()
    );
    // Change the rules between .load and .reload: a second rule appears.
    let (code, out, err) = piped(&[], &script);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("loaded 1 documents"), "{err}");
    assert!(
        out.contains("rules that did not fire") || out.contains("rule formed"),
        "{out}"
    );
    std::fs::write(&rules, "prefix ex: <http://e/>\nrule formed = \"成立\" => ex:a ex:formed ex:b\nrule built = \"组建\" => ex:c ex:built ex:d\ntest formed \"成立\" => ex:a ex:formed ex:b\ntest built \"组建\" => ex:c ex:built ex:d\n").expect("write");
    let script = format!(
        ".rules {r}\n.load {d}\n.reload\n",
        r = rules.display(),
        d = doc.display()
    );
    let (code, _, err) = piped(&[], &script);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("2 rules"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// tmux, for driving the REPL in a real terminal.
struct Tmux {
    session: String,
}

impl Tmux {
    fn start(name: &str, width: u16, command: &str) -> Option<Tmux> {
        let session = format!("kgrep-test-{name}-{}", std::process::id());
        let status = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &session,
                "-x",
                &width.to_string(),
                "-y",
                "40",
                command,
            ])
            .env("NO_COLOR", "1")
            .status()
            .ok()?;
        status.success().then_some(Tmux { session })
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend(keys);
        Command::new("tmux").args(args).status().expect("send-keys");
    }

    fn screen(&self) -> String {
        let output = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .expect("capture");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Waits until the screen shows `text`.
    fn wait_for(&self, text: &str) -> String {
        for _ in 0..100 {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the screen never showed `{text}`:\n{}", self.screen());
    }

    /// Waits until the last line on the screen is a fresh, empty prompt:
    /// keys typed before the line editor is back can be dropped by the
    /// terminal's mode switch, so a test types only at a prompt.
    fn wait_for_prompt(&self) {
        for _ in 0..100 {
            let screen = self.screen();
            let last = screen.lines().rev().find(|line| !line.trim().is_empty());
            if last.is_some_and(|line| line.trim_end() == "kgrep>") {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("no fresh prompt:\n{}", self.screen());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .status();
    }
}

#[test]
fn in_a_terminal_completion_multiline_history_and_ctrl_c() {
    if !has_tmux() {
        return;
    }
    let (dir, store) = store("tty");
    let history = dir.join("data");
    let command = format!(
        "cd {} && XDG_DATA_HOME={} {} repl --store {store}",
        root().display(),
        history.display(),
        env!("CARGO_BIN_EXE_kgrep")
    );
    let tmux = Tmux::start("basic", 160, &command).expect("tmux starts");
    tmux.wait_for_prompt();
    // Completion of a dot-command and of a predicate in the store.
    tmux.keys(&[".mod", "Tab"]);
    tmux.wait_for("kgrep> .mode");
    tmux.keys(&["C-u"]);
    tmux.keys(&["SELECT ?t WHERE { ?t ex:deployedT", "Tab"]);
    tmux.wait_for("ex:deployedTo");
    // Multi-line: Enter inside braces continues the statement.
    tmux.keys(&["Enter"]);
    // Type the next line only once the editor shows its continuation prompt:
    // keys sent while it sets the terminal up again are dropped.
    tmux.wait_for("...>");
    tmux.keys(&[" ?h }", "Enter"]);
    let screen = tmux.wait_for("1 row");
    assert!(screen.contains("team:辽宁医疗队"), "{screen}");
    tmux.wait_for_prompt();
    // Ctrl-C clears a half-typed statement.
    tmux.keys(&["SELECT ?nothing"]);
    tmux.wait_for("kgrep> SELECT ?nothing");
    tmux.keys(&["C-c"]);
    tmux.wait_for_prompt();
    tmux.keys(&["ASK { ?s ?p ?o }", "Enter"]);
    tmux.wait_for("true");
    tmux.wait_for_prompt();
    // Ctrl-C cancels a slow query.
    tmux.keys(&[
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }",
        "Enter",
    ]);
    std::thread::sleep(Duration::from_millis(700));
    tmux.keys(&["C-c"]);
    tmux.wait_for("query cancelled");
    // History survives the session.
    tmux.keys(&["C-d"]);
    std::thread::sleep(Duration::from_millis(500));
    let saved = std::fs::read_to_string(history.join("kgrep/history")).unwrap_or_default();
    assert!(saved.contains("ASK { ?s ?p ?o }"), "history: {saved}");
    drop(tmux);
    std::fs::remove_dir_all(&dir).ok();
}

fn has_tmux() -> bool {
    if Command::new("tmux").arg("-V").output().is_ok() {
        return true;
    }
    crate::support::skip_without("tmux", "Debian");
    false
}

#[test]
fn in_a_terminal_tables_fit_the_pager_pages_and_clear_asks_first() {
    if !has_tmux() {
        return;
    }
    let (dir, store) = store("tty-wide");
    let paged = dir.join("paged.txt");
    let command = format!(
        "cd {} && XDG_DATA_HOME={} PAGER='cat > {}' {} repl --store {store}",
        root().display(),
        dir.join("data").display(),
        paged.display(),
        env!("CARGO_BIN_EXE_kgrep")
    );
    let width = 100;
    let tmux = Tmux::start("wide", width, &command).expect("tmux starts");
    tmux.wait_for_prompt();
    // Sentences are wider than the terminal: cells are cut with an ellipsis.
    tmux.keys(&[
        "SELECT ?s ?text WHERE { GRAPH ?g { ?s kgrep:text ?text } } LIMIT 5",
        "Enter",
    ]);
    let screen = tmux.wait_for("5 rows");
    let table: Vec<&str> = screen
        .lines()
        .filter(|line| line.starts_with(['┌', '│', '├', '└']))
        .collect();
    assert_eq!(table.len(), 9, "{screen}");
    for line in &table {
        let cells = unicode_width::UnicodeWidthStr::width(*line);
        assert!(cells <= usize::from(width), "{cells} cells: {line}");
    }
    assert!(screen.contains('…'), "{screen}");
    tmux.wait_for_prompt();
    // Expanded display shows the values whole.
    tmux.keys(&["\\x", "Enter"]);
    tmux.wait_for("expanded display is on");
    tmux.keys(&["C-l"]);
    tmux.wait_for_prompt();
    tmux.keys(&[
        "SELECT ?text WHERE { GRAPH ?g { ?s kgrep:text ?text } FILTER(STRLEN(?text) > 60) } LIMIT 1",
        "Enter",
    ]);
    let screen = tmux.wait_for("-[ row 1 ]");
    assert!(!screen.contains('…'), "{screen}");
    tmux.keys(&["\\x", "Enter"]);
    tmux.wait_for("expanded display is off");
    tmux.wait_for_prompt();
    // A result taller than the screen goes to the pager, whole.
    tmux.keys(&["SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", "Enter"]);
    tmux.wait_for_prompt();
    let mut pager_text = String::new();
    for _ in 0..50 {
        pager_text = std::fs::read_to_string(&paged).unwrap_or_default();
        if pager_text.contains(" rows\n") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        pager_text.contains("100 rows") && pager_text.contains("more rows not shown"),
        "the pager got: {pager_text}"
    );
    // The continuation prompt, and completion's list of candidates.
    tmux.keys(&["SELECT ?t WHERE {", "Enter"]);
    tmux.wait_for("  ...>");
    tmux.keys(&["?t a schema:", "Tab", "Tab"]);
    let screen = tmux.wait_for("schema:Organization");
    assert!(screen.contains("schema:Hospital"), "{screen}");
    tmux.keys(&["Hospital }", "Enter"]);
    tmux.wait_for("hospital:雷神山医院");
    tmux.wait_for_prompt();
    // A destructive update asks first; "no" keeps the store.
    tmux.keys(&["clear all", "Enter"]);
    tmux.wait_for("Run it? [y/N]");
    tmux.keys(&["n", "Enter"]);
    tmux.wait_for("not run");
    tmux.wait_for_prompt();
    tmux.keys(&["ASK { ?s ?p ?o }", "Enter"]);
    tmux.wait_for("true");
    drop(tmux);
    // Piped, the pager is never used.
    std::fs::remove_file(&paged).ok();
    let output = Command::new(env!("CARGO_BIN_EXE_kgrep"))
        .args(["repl", "--store", &store, "-c"])
        .arg("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }")
        .env("PAGER", format!("cat > {}", paged.display()))
        .env_remove("KGREP_STORE")
        .output()
        .expect("run");
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(out.contains("100 rows") && !paged.exists(), "{out}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Pipes `tests/data/repl/NAME.sparql` into a REPL on the example store and
/// compares stdout, stderr and the exit status with `NAME.out`.
fn matches_snapshot(name: &str) {
    let (dir, store) = store(name);
    let data = root().join("tests/data/repl");
    let script = std::fs::read_to_string(data.join(format!("{name}.sparql"))).expect("script");
    let (code, out, err) = piped(&["--store", &store], &script);
    let actual = format!(
        "{out}--- stderr\n{err}--- exit status {}\n",
        code.unwrap_or(-1)
    );
    let result = crate::support::check_snapshot(&data.join(format!("{name}.out")), &actual);
    std::fs::remove_dir_all(&dir).ok();
    result.unwrap_or_else(|mismatch| panic!("{mismatch}"));
}

#[test]
fn a_piped_session_matches_its_snapshot() {
    matches_snapshot("session");
}

#[test]
fn sparql_and_command_errors_match_their_snapshot() {
    matches_snapshot("errors");
}

#[test]
fn read_goes_on_after_an_error_and_a_misspelt_keyword_swallows_nothing() {
    let (dir, store) = store("read");
    let script = dir.join("script.rq");
    std::fs::write(&script, "SELEKT x\nASK { ?s ex:formed ?o }\n").expect("write");
    let (code, out, err) = piped(
        &["--store", &store],
        &format!(".read {}\nASK {{ ?s ex:wardCount ?o }}\n", script.display()),
    );
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(
        out.matches("true").count(),
        2,
        "both ASKs ran: {out}\n{err}"
    );
    assert!(
        err.contains("did you mean `SELECT`?")
            && err.contains("1 statement(s) failed")
            && err.contains("script.rq:1:1"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn reload_rebuilds_a_store_made_by_build_and_shows_each_rules_changes() {
    let dir = crate::support::temp_dir("repl-reload-build");
    let rules = dir.join("news.kgr");
    let source = std::fs::read_to_string(root().join("examples/zh/news.kgr")).expect("rules");
    let lexicons = root().join("examples/zh/lexicons");
    let absolute = source.replace("\"lexicons/", &format!("\"{}/", lexicons.display()));
    std::fs::write(&rules, &absolute).expect("write");
    let store = dir.join("graph.kgstore");
    let output = crate::support::kgrep(&[
        "build",
        "-q",
        "-r",
        rules.to_str().unwrap(),
        "examples/zh/docs",
        "--store",
        store.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The rule author drops a verb: formed_units (组建) finds nothing now.
    let edited = absolute.replace(
        "lexicon FormVerb = \"成立\", \"组建\", \"组成\"",
        "lexicon FormVerb = \"成立\", \"组成\"",
    );
    assert_ne!(edited, absolute);
    std::fs::write(&rules, edited).expect("write");
    let (code, _, err) = piped(&["--store", store.to_str().unwrap()], ".reload\n");
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("3 replaced"), "re-extracted: {err}");
    assert!(
        err.contains("rule formed_units: 16 → 0 triples (+0 −16)")
            && err.contains("− place:山东胶州 ex:formed team:胶州先锋疫情防控突击队"),
        "{err}"
    );
    // The store holds the new rules' facts.
    let (_, out, _) = piped(
        &["--store", store.to_str().unwrap()],
        "ASK { ?p ex:formed team:胶州先锋疫情防控突击队 }\n",
    );
    assert_eq!(out.trim(), "false");
    std::fs::remove_dir_all(&dir).ok();
}
