//! The graph store through the CLI: one correct default graph whatever the
//! number of documents, support and removal, compact provenance, no store by
//! accident, readers while a writer works, all-or-nothing builds and loads
//! under `kill -9`, prefixes through export and load, timeouts; exports
//! checked by rdflib and rapper (CI installs them).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::{example_store, kgrep, root, temp_dir};

fn run_ok(args: &[&str]) -> String {
    let output = kgrep(args);
    assert!(
        output.status.success(),
        "kgrep {args:?}:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

fn sorted_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines.sort();
    lines
}

fn tsv(store: &str, query: &str) -> Vec<String> {
    sorted_lines(&run_ok(&[
        "query", "--store", store, "--format", "tsv", query,
    ]))
}

fn build(store: &str, docs: &[&str], extra: &[&str]) -> String {
    let mut args = vec![
        "build",
        "-q",
        "-r",
        "examples/zh/news.kgr",
        "--store",
        store,
    ];
    args.extend(docs);
    args.extend(extra);
    run_ok(&args)
}

#[test]
fn build_rebuild_change_and_prune() {
    let dir = temp_dir("build");
    let docs = dir.join("docs");
    std::fs::create_dir_all(&docs).expect("docs");
    for name in ["teams.txt", "hospitals.txt", "community.txt"] {
        std::fs::copy(root().join("examples/zh/docs").join(name), docs.join(name)).expect("copy");
    }
    let store = dir.join("graph.kgstore");
    let (store, docs) = (store.to_str().unwrap(), docs.to_str().unwrap());
    build(store, &[docs], &[]);
    let first = run_ok(&["export", "--store", store, "-f", "nquads"]);
    assert!(
        first.contains("<urn:kgrep:doc:teams.txt#m0> ."),
        "a support graph per match"
    );
    assert!(
        first.contains("<urn:kgrep:vocab:Document> <urn:kgrep:doc:teams.txt> ."),
        "a provenance graph per document"
    );
    // The same build again: an identical dump.
    build(store, &[docs], &[]);
    assert_eq!(
        sorted_lines(&first),
        sorted_lines(&run_ok(&["export", "--store", store, "-f", "nquads"]))
    );
    // A changed document: its stale facts are gone, the new ones are there.
    let formed =
        "SELECT ?o WHERE { <http://kgrep.example/zh/org/中国移动湖北分公司党委> ex:formed ?o }";
    assert_eq!(tsv(store, formed).len(), 2, "{:?}", tsv(store, formed));
    std::fs::write(
        Path::new(docs).join("teams.txt"),
        "中国联通湖北分公司党委成立青年突击队。",
    )
    .expect("write");
    build(store, &[docs], &[]);
    assert_eq!(
        tsv(store, formed),
        vec!["?o".to_owned()],
        "stale facts remain"
    );
    assert!(run_ok(&["export", "--store", store, "-f", "nt"]).contains("青年突击队"));
    // A deleted document goes with --prune.
    std::fs::remove_file(Path::new(docs).join("community.txt")).expect("remove");
    build(store, &[docs], &["--prune"]);
    let pruned = run_ok(&["export", "--store", store, "-f", "nquads"]);
    assert!(!pruned.contains("community.txt"), "pruned document remains");
    // And `remove` takes one out by name.
    run_ok(&["remove", "--store", store, "hospitals.txt"]);
    assert!(!run_ok(&["export", "--store", store, "-f", "nquads"]).contains("hospitals.txt"));
    std::fs::remove_dir_all(&dir).ok();
}

/// Three documents state the same facts: every answer is the answer over
/// one of them; removing two keeps the facts, removing the third drops them.
#[test]
fn shared_facts_count_once_and_stay_while_a_document_supports_them() {
    let dir = temp_dir("shared");
    let docs = dir.join("docs");
    std::fs::create_dir_all(&docs).expect("docs");
    let text = std::fs::read_to_string(root().join("examples/zh/docs/hospitals.txt")).expect("doc");
    for name in ["a.txt", "b.txt", "c.txt"] {
        std::fs::write(docs.join(name), &text).expect("write");
    }
    let one = dir.join("one");
    std::fs::create_dir_all(&one).expect("one");
    std::fs::write(one.join("a.txt"), &text).expect("write");
    let (shared, single) = (dir.join("shared.kgstore"), dir.join("single.kgstore"));
    let (shared, single) = (shared.to_str().unwrap(), single.to_str().unwrap());
    build(shared, &[docs.to_str().unwrap()], &[]);
    build(single, &[one.to_str().unwrap()], &[]);
    let queries = [
        "SELECT ?h ?w WHERE { ?h ex:wardCount ?w }",
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
        "SELECT (COUNT(*) AS ?n) WHERE { ?e a ?class ; rdfs:label ?label . ?x ?p ?e }",
        "SELECT ?s ?p ?o WHERE { ?s ?p ?o }",
    ];
    for query in queries {
        let answer = tsv(shared, query);
        assert!(answer.len() > 1, "{query} found nothing");
        assert_eq!(answer, tsv(single, query), "{query}");
    }
    for (format, query) in [
        (
            "ntriples",
            "DESCRIBE <http://kgrep.example/zh/hospital/雷神山医院>",
        ),
        (
            "ntriples",
            "CONSTRUCT { ?s ex:wardCount ?w } WHERE { ?s ex:wardCount ?w }",
        ),
    ] {
        let on = |store| {
            sorted_lines(&run_ok(&[
                "query", "--store", store, "--format", format, query,
            ]))
        };
        assert!(!on(shared).is_empty(), "{query}");
        assert_eq!(on(shared), on(single), "{query}");
    }
    // rdflib over kgrep's own Turtle export gives the same counts.
    let has_rdflib =
        external("python3", &["-c", "import rdflib"]).is_some_and(|o| o.status.success());
    if has_rdflib {
        let turtle = dir.join("shared.ttl");
        run_ok(&["export", "--store", shared, "-o", turtle.to_str().unwrap()]);
        for query in [
            "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
            "SELECT (COUNT(*) AS ?n) WHERE { ?e a ?class ; <http://www.w3.org/2000/01/rdf-schema#label> ?label . ?x ?p ?e }",
        ] {
            let script = "import rdflib,sys\ng=rdflib.Graph(); g.parse(sys.argv[1], format='turtle')\n\
                          for row in g.query(sys.argv[2]): print(row[0])";
            let rdflib = external("python3", &["-c", script, turtle.to_str().unwrap(), query])
                .expect("python3");
            let theirs = String::from_utf8_lossy(&rdflib.stdout).trim().to_owned();
            let ours = run_ok(&["query", "--store", shared, "--format", "csv", query]);
            assert_eq!(ours.lines().nth(1).unwrap_or(""), theirs, "{query}");
        }
    } else {
        crate::support::skip_without("rdflib", "PyPI");
    }
    // pyoxigraph over the N-Triples export answers DESCRIBE and CONSTRUCT as kgrep does.
    let has_pyoxigraph =
        external("python3", &["-c", "import pyoxigraph"]).is_some_and(|o| o.status.success());
    if has_pyoxigraph {
        let facts = dir.join("shared.nt");
        run_ok(&["export", "--store", shared, "-o", facts.to_str().unwrap()]);
        for query in [
            "DESCRIBE <http://kgrep.example/zh/hospital/雷神山医院>",
            "CONSTRUCT { ?t <http://kgrep.example/zh/at> ?h } WHERE { ?t ?p ?h . ?h a ?class }",
        ] {
            let script = "import pyoxigraph as ox,sys\ns=ox.Store(); s.load(path=sys.argv[1], format=ox.RdfFormat.N_TRIPLES)\n\
                          for t in s.query(sys.argv[2]): print(str(t) + ' .')";
            let theirs = external("python3", &["-c", script, facts.to_str().unwrap(), query])
                .expect("python3");
            assert!(
                theirs.status.success(),
                "{}",
                String::from_utf8_lossy(&theirs.stderr)
            );
            let theirs = sorted_lines(&String::from_utf8_lossy(&theirs.stdout));
            let ours = sorted_lines(&run_ok(&[
                "query", "--store", shared, "--format", "ntriples", query,
            ]));
            assert!(!ours.is_empty(), "{query}");
            assert_eq!(ours, theirs, "{query}");
        }
    } else {
        crate::support::skip_without("pyoxigraph", "PyPI");
    }
    let wards = "SELECT ?w WHERE { <http://kgrep.example/zh/hospital/雷神山医院> ex:wardCount ?w }";
    let before = tsv(shared, wards);
    assert_eq!(before.len(), 2, "{before:?}");
    run_ok(&["remove", "--store", shared, "a.txt", "b.txt"]);
    assert_eq!(tsv(shared, wards), before, "c.txt still states it");
    run_ok(&["remove", "--store", shared, "c.txt"]);
    assert_eq!(
        tsv(shared, wards),
        vec!["?w".to_owned()],
        "no document states it"
    );
    assert_eq!(
        tsv(shared, "SELECT ?s WHERE { ?s ?p ?o }"),
        vec!["?s".to_owned()],
        "the store is empty"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Compact provenance: at most 5 quads a fact, and still plain SPARQL.
#[test]
fn provenance_is_compact_and_queryable() {
    let (dir, store) = example_store("provenance", "examples/zh/docs");
    let store = store.as_str();
    let facts = run_ok(&[
        "extract",
        "-q",
        "-r",
        "examples/zh/news.kgr",
        "-f",
        "jsonl",
        "examples/zh/docs",
    ]);
    let facts = facts.lines().count();
    let quads = run_ok(&["export", "--store", store, "-f", "nquads"])
        .lines()
        .filter(|line| !line.contains("<urn:kgrep:meta>"))
        .count();
    assert!(facts > 20, "{facts}");
    let per_fact = quads as f64 / facts as f64;
    assert!(
        per_fact <= 5.0,
        "{quads} quads for {facts} facts: {per_fact:.2} a fact"
    );
    let provenance = run_ok(&[
        "query",
        "--store",
        store,
        "--format",
        "tsv",
        "SELECT ?document ?index ?rule ?start ?end ?text ?sentence WHERE { \
           GRAPH ?m { ?team ex:deployedTo <http://kgrep.example/zh/hospital/雷神山医院> } \
           GRAPH ?document { ?m kgrep:rule ?rule ; kgrep:start ?start ; kgrep:end ?end ; kgrep:text ?text ; \
             kgrep:sentence [ kgrep:index ?index ; kgrep:text ?sentence ] } }",
    ]);
    let row = provenance
        .lines()
        .nth(1)
        .unwrap_or_else(|| panic!("{provenance}"));
    let fields: Vec<&str> = row.split('\t').collect();
    assert_eq!(fields[0], "<urn:kgrep:doc:hospitals.txt>", "{row}");
    let number = |field: &str| -> usize {
        field
            .trim_matches('"')
            .split('"')
            .next()
            .unwrap()
            .parse()
            .expect(field)
    };
    let (start, end) = (number(fields[3]), number(fields[4]));
    let text = fields[5].trim_matches('"');
    // The span is a character range of the original document.
    let original =
        std::fs::read_to_string(root().join("examples/zh/docs/hospitals.txt")).expect("doc");
    let slice: String = original.chars().skip(start).take(end - start).collect();
    assert_eq!(slice, text, "{row}");
    assert!(fields[6].contains(text), "{row}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn read_commands_refuse_what_is_not_a_store() {
    let dir = temp_dir("nostore");
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).expect("dir");
    std::fs::write(rules.join("a.kgr"), "prefix ex: <http://example.org/>\n").expect("write");
    let missing = dir.join("nosuch");
    for path in [&missing, &rules] {
        let path = path.to_str().unwrap();
        for args in [
            vec!["query", "--store", path, "ASK {}"],
            vec!["export", "--store", path],
            vec!["graph", "--store", path, "components"],
            vec!["remove", "--store", path, "a.txt"],
            vec!["repl", "--store", path, "-c", "ASK {}"],
        ] {
            let output = kgrep(&args);
            assert_eq!(output.status.code(), Some(2), "{args:?}");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                stderr.contains("is not a kgrep store"),
                "{args:?}: {stderr}"
            );
        }
    }
    // `build` and `load` create stores only in absent or empty directories.
    for args in [
        vec![
            "build",
            "-q",
            "-r",
            "examples/zh/news.kgr",
            "examples/zh/docs",
            "--store",
        ],
        vec![
            "load",
            "-q",
            "examples/en/news.kgr",
            "--format",
            "nt",
            "--store",
        ],
    ] {
        let mut args = args;
        args.push(dir.to_str().unwrap());
        let output = kgrep(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("is not a kgrep store"));
    }
    assert!(!missing.exists(), "a read created the store");
    let names: Vec<_> = std::fs::read_dir(&rules).expect("dir").collect();
    assert_eq!(names.len(), 1, "files were written into a folder of rules");
    let output = kgrep(&[
        "build",
        "-q",
        "-r",
        "examples/zh/news.kgr",
        "examples/zh/docs",
        "--store",
        rules.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not empty"));
    // A store of an unknown layout version is refused clearly.
    let store = dir.join("graph.kgstore");
    build(store.to_str().unwrap(), &["examples/zh/docs"], &[]);
    let marker = store.join("kgrep-store.json");
    let text = std::fs::read_to_string(&marker).expect("marker");
    std::fs::write(&marker, text.replace("\"version\": 2", "\"version\": 99")).expect("write");
    let output = kgrep(&["query", "--store", store.to_str().unwrap(), "ASK {}"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("layout 99"));
    // The first layout (a bare RocksDB directory) gets a message saying how to rebuild.
    let old = dir.join("old.kgstore");
    std::fs::create_dir_all(&old).expect("dir");
    std::fs::write(old.join("CURRENT"), "MANIFEST-000005\n").expect("write");
    let output = kgrep(&["query", "--store", old.to_str().unwrap(), "ASK {}"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("rebuild it"));
    std::fs::remove_dir_all(&dir).ok();
}

/// A build that reads its document from standard input holds the writer lock.
fn holding_writer(store: &str) -> std::process::Child {
    let holder = Command::new(env!("CARGO_BIN_EXE_kgrep"))
        .args([
            "build",
            "-q",
            "-r",
            "examples/zh/news.kgr",
            "-",
            "--store",
            store,
        ])
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    // The writer is in place once its copy of the store exists.
    for _ in 0..1000 {
        let copies = std::fs::read_dir(store)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|e| {
                        e.file_name().to_string_lossy().starts_with("gen-")
                            && e.path().join("LOCK").exists()
                    })
                    .count()
            })
            .unwrap_or(0);
        if copies >= 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    holder
}

#[test]
fn readers_work_while_a_writer_holds_the_store_and_a_second_writer_is_locked_out() {
    let (dir, store) = example_store("lock", "examples/zh/docs");
    let store = store.as_str();
    let wards = "SELECT ?w WHERE { ?h ex:wardCount ?w }";
    let before = tsv(store, wards);
    let mut holder = holding_writer(store);
    // Readers see the published state.
    assert_eq!(tsv(store, wards), before);
    assert!(!run_ok(&["export", "--store", store, "-f", "nt"]).is_empty());
    assert!(run_ok(&["graph", "--store", store, "components"]).contains("雷神山医院"));
    let repl = kgrep(&[
        "repl",
        "--read-only",
        "--store",
        store,
        "-c",
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    ]);
    assert!(
        repl.status.success(),
        "{}",
        String::from_utf8_lossy(&repl.stderr)
    );
    // A second writer is told.
    for args in [
        vec!["remove", "--store", store, "teams.txt"],
        vec![
            "query",
            "--store",
            store,
            "--update",
            "DELETE WHERE { ?s ex:wardCount ?n }",
        ],
    ] {
        let output = kgrep(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("is locked by another writer"), "{stderr}");
    }
    // The writer finishes: its document is there, published whole.
    holder
        .stdin
        .take()
        .expect("stdin")
        .write_all("中国联通湖北分公司党委成立青年突击队。".as_bytes())
        .expect("write");
    assert!(holder.wait().expect("wait").success());
    let formed = tsv(store, "SELECT ?o WHERE { ?s ex:formed ?o }");
    assert!(
        formed.iter().any(|row| row.contains("青年突击队")),
        "{formed:?}"
    );
    // A read-only REPL refuses updates.
    let output = kgrep(&[
        "repl",
        "--read-only",
        "--store",
        store,
        "-c",
        "CLEAR DEFAULT",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("read-only"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_killed_build_leaves_the_store_as_it_was_and_nothing_behind() {
    let dir = temp_dir("kill");
    let docs = dir.join("docs");
    std::fs::create_dir_all(&docs).expect("docs");
    let text = std::fs::read_to_string(root().join("examples/zh/docs/teams.txt")).expect("sample");
    for index in 0..1500 {
        std::fs::write(docs.join(format!("doc{index:04}.txt")), &text).expect("write");
    }
    let store = dir.join("graph.kgstore");
    let (store, docs_path) = (store.to_str().unwrap(), docs.to_str().unwrap());
    std::fs::write(
        dir.join("seed.txt"),
        "中国移动湖北分公司党委成立党员突击队。",
    )
    .expect("write");
    build(store, &[dir.join("seed.txt").to_str().unwrap()], &[]);
    let before = run_ok(&["export", "--store", store, "-f", "nquads"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_kgrep"))
        .args([
            "build",
            "-v",
            "-r",
            "examples/zh/news.kgr",
            docs_path,
            "--store",
            store,
        ])
        .current_dir(root())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut seen = 0;
    for line in stderr.lines() {
        if line.expect("line").contains("loaded") {
            seen += 1;
            if seen == 50 {
                break;
            }
        }
    }
    child.kill().expect("kill -9");
    child.wait().expect("wait");
    assert_eq!(
        seen, 50,
        "the build finished before the kill: the test proves nothing"
    );
    assert_eq!(
        sorted_lines(&before),
        sorted_lines(&run_ok(&["export", "--store", store, "-f", "nquads"])),
        "the killed build changed what readers see"
    );
    // The next writer clears what the killed one left, and builds in full.
    build(store, &[docs_path], &[]);
    let copies: Vec<String> = std::fs::read_dir(store)
        .expect("store")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("gen-") && !name.ends_with(".readers"))
        .collect();
    assert_eq!(copies.len(), 1, "orphans left behind: {copies:?}");
    let orphans: Vec<_> = walk_files(Path::new(store))
        .into_iter()
        .filter(|path| path.to_string_lossy().contains("bulk-"))
        .collect();
    assert!(orphans.is_empty(), "{orphans:?}");
    let documents = tsv(
        store,
        "SELECT ?d WHERE { GRAPH ?d { ?d a kgrep:Document } }",
    );
    assert_eq!(documents.len(), 1 + 1500 + 1, "{}", documents.len());
    std::fs::remove_dir_all(&dir).ok();
}

fn walk_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.path().is_dir() {
            files.extend(walk_files(&entry.path()));
        } else {
            files.push(entry.path());
        }
    }
    files
}

#[test]
fn documents_get_distinct_iris_or_a_clear_error() {
    let dir = temp_dir("names");
    for folder in ["d1", "d2"] {
        std::fs::create_dir_all(dir.join(folder)).expect("dir");
        std::fs::write(
            dir.join(folder).join("x.txt"),
            "中国移动湖北分公司党委成立党员突击队。",
        )
        .expect("write");
    }
    let store = dir.join("graph.kgstore");
    let (d1, d2) = (dir.join("d1"), dir.join("d2"));
    let output = kgrep(&[
        "build",
        "-q",
        "-r",
        "examples/zh/news.kgr",
        d1.to_str().unwrap(),
        d2.to_str().unwrap(),
        "--store",
        store.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("would both be the document `x.txt`"),
        "{stderr}"
    );
    assert!(!store.join("gen-000001").exists(), "something was written");
    // A backslash is part of a Unix file name, not a separator.
    std::fs::create_dir_all(dir.join("d3/a")).expect("dir");
    std::fs::write(
        dir.join("d3/a/b.txt"),
        "中国移动湖北分公司党委成立党员突击队。",
    )
    .expect("write");
    std::fs::write(dir.join("d3/a\\b.txt"), "中国五矿党委成立青年突击队。").expect("write");
    let store = store.to_str().unwrap();
    build(store, &[dir.join("d3").to_str().unwrap()], &[]);
    let documents = tsv(
        store,
        "SELECT ?d WHERE { GRAPH ?d { ?d a kgrep:Document } }",
    );
    assert_eq!(documents.len(), 3, "{documents:?}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn loads_are_all_or_nothing_and_prefixes_survive_export_and_load() {
    let (dir, store) = example_store("roundtrip", "examples/zh/docs");
    let store = store.as_str();
    let query = "SELECT ?h ?w WHERE { ?h ex:wardCount ?w }";
    let expected = tsv(store, query);
    for extension in ["ttl", "nq", "trig"] {
        let file = dir.join(format!("graph.{extension}"));
        run_ok(&["export", "--store", store, "-o", file.to_str().unwrap()]);
        let copy = dir.join(format!("copy-{extension}.kgstore"));
        run_ok(&[
            "load",
            "-q",
            "--store",
            copy.to_str().unwrap(),
            file.to_str().unwrap(),
        ]);
        // `ex:` is known without the rules, and the answers are the same.
        assert_eq!(tsv(copy.to_str().unwrap(), query), expected, "{extension}");
    }
    // Loaded triples are visible to queries and survive removing documents.
    let extra = dir.join("extra.nt");
    std::fs::write(&extra, "<http://kgrep.example/zh/hospital/雷神山医院> <http://kgrep.example/zh/wardCount> \"32\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n<http://example.org/a> <http://example.org/b> \"c\" .\n").expect("write");
    run_ok(&["load", "-q", "--store", store, extra.to_str().unwrap()]);
    assert_eq!(
        tsv(store, "SELECT ?o WHERE { <http://example.org/a> ?p ?o }").len(),
        2
    );
    run_ok(&["remove", "--store", store, "hospitals.txt"]);
    assert_eq!(tsv(store, query), expected, "the loaded triple stays");
    // A load that fails anywhere leaves the store as it was.
    let before = run_ok(&["export", "--store", store, "-f", "nquads"]);
    let good = dir.join("good.nt");
    std::fs::write(
        &good,
        "<http://example.org/x> <http://example.org/y> \"z\" .\n",
    )
    .expect("write");
    let bad = dir.join("bad.nt");
    std::fs::write(
        &bad,
        "<http://example.org/x> <http://example.org/y> oops .\n",
    )
    .expect("write");
    let output = kgrep(&[
        "load",
        "--store",
        store,
        good.to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert_ne!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stderr).contains("bad.nt"));
    assert_eq!(
        sorted_lines(&before),
        sorted_lines(&run_ok(&["export", "--store", store, "-f", "nquads"]))
    );
    // Standard input needs --format.
    let mut child = Command::new(env!("CARGO_BIN_EXE_kgrep"))
        .args(["load", "-q", "--store", store, "--format", "nt", "-"])
        .current_dir(root())
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"<http://example.org/p> <http://example.org/q> \"r\" .\n")
        .expect("write");
    assert!(child.wait().expect("wait").success());
    assert_eq!(
        tsv(store, "ASK { <http://example.org/p> ?p ?o }"),
        vec!["true".to_owned()]
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn updates_see_the_default_graph_and_rdfxml_refuses_what_xml_cannot_hold() {
    let (dir, store) = example_store("update", "examples/zh/docs");
    let store = store.as_str();
    run_ok(&[
        "query",
        "--store",
        store,
        "--update",
        "INSERT DATA { ex:a ex:b \"c\\u0001d\" }",
    ]);
    assert_eq!(tsv(store, "ASK { ex:a ex:b ?o }"), vec!["true".to_owned()]);
    let file = dir.join("graph.rdf");
    let output = kgrep(&["export", "--store", store, "-o", file.to_str().unwrap()]);
    assert_ne!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("RDF/XML cannot hold") && stderr.contains("c\\u0001d"),
        "{stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("graph.rdf"))
        .collect();
    assert!(left.is_empty(), "a failed export left {left:?}");
    run_ok(&[
        "query",
        "--store",
        store,
        "--update",
        "DELETE WHERE { ?s ?p ?o }",
    ]);
    assert_eq!(tsv(store, "ASK { ?s ?p ?o }"), vec!["false".to_owned()]);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn timeouts_are_positive_numbers_and_stop_slow_queries() {
    let dir = temp_dir("timeout");
    let data = dir.join("data.nt");
    let mut file = std::fs::File::create(&data).expect("create");
    for i in 0..3000 {
        writeln!(
            file,
            "<http://example.org/s{i}> <http://example.org/p> <http://example.org/o{}> .",
            i % 7
        )
        .expect("write");
    }
    drop(file);
    let store = dir.join("graph.kgstore");
    let store = store.to_str().unwrap();
    run_ok(&["load", "-q", "--store", store, data.to_str().unwrap()]);
    for bad in ["-1", "0", "nan", "inf", "soon"] {
        let output = kgrep(&["query", "--store", store, "--timeout", bad, "ASK {}"]);
        assert_eq!(output.status.code(), Some(2), "--timeout {bad}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("--timeout"),
            "{bad}"
        );
    }
    for query in [
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }",
        "SELECT ?a ?c WHERE { ?a ?p ?b . ?c ?q ?d } ORDER BY ?a ?c LIMIT 1",
        "SELECT (COUNT(*) AS ?n) WHERE { ?a (<http://example.org/p>|^<http://example.org/p>)* ?b }",
    ] {
        let started = std::time::Instant::now();
        let output = kgrep(&[
            "query",
            "--store",
            store,
            "--timeout",
            "1",
            "--format",
            "csv",
            query,
        ]);
        let took = started.elapsed();
        assert_eq!(output.status.code(), Some(1), "{query}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("cancelled"),
            "{query}"
        );
        assert!(
            took < std::time::Duration::from_secs(20),
            "{query} ran {took:?}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Runs `program args` if it exists; `None` when it is not installed.
fn external(program: &str, args: &[&str]) -> Option<std::process::Output> {
    Command::new(program).args(args).output().ok()
}

#[test]
fn exports_load_in_rdflib_and_rapper_with_the_same_counts() {
    let has_rdflib =
        external("python3", &["-c", "import rdflib"]).is_some_and(|o| o.status.success());
    let has_rapper = external("rapper", &["--version"]).is_some_and(|o| o.status.success());
    if !(has_rdflib && has_rapper) {
        crate::support::skip_without("rdflib and rapper", "PyPI rdflib, Debian raptor2-utils");
        return;
    }
    let (dir, store) = example_store("export", "examples/zh/docs");
    let store = store.as_str();
    // (format, file, extra arguments, rapper's name, rdflib's name, a dataset?)
    for (format, extension, extra, rapper_name, rdflib_name, dataset) in [
        ("turtle", "ttl", None, "turtle", "turtle", false),
        ("ntriples", "nt", None, "ntriples", "nt", false),
        ("nquads", "nq", None, "nquads", "nquads", true),
        ("trig", "trig", None, "trig", "trig", true),
        ("rdfxml", "rdf", None, "rdfxml", "xml", false),
        ("jsonld", "jsonld", None, "", "json-ld", true),
        // Without provenance JSON-LD is a plain graph: a Graph sees the facts.
        (
            "jsonld",
            "facts.jsonld",
            Some("--no-provenance"),
            "",
            "json-ld",
            false,
        ),
    ] {
        let file = dir.join(format!("graph.{extension}"));
        let mut arguments = vec![
            "export",
            "--store",
            store,
            "-f",
            format,
            "-o",
            file.to_str().unwrap(),
        ];
        arguments.extend(extra);
        let output = kgrep(&arguments);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let said = String::from_utf8_lossy(&output.stderr);
        let count: usize = said
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{said}"));
        let kind = if dataset { "Dataset" } else { "Graph" };
        let script = format!(
            "import rdflib,sys\ng=rdflib.{kind}()\n\
             g.parse(sys.argv[1], format='{rdflib_name}')\nprint(sum(1 for _ in (g.quads() if isinstance(g, rdflib.Dataset) else g)))"
        );
        let rdflib =
            external("python3", &["-c", &script, file.to_str().unwrap()]).expect("python3");
        assert!(
            rdflib.status.success(),
            "rdflib cannot read {format}: {}",
            String::from_utf8_lossy(&rdflib.stderr)
        );
        let rdflib_count: usize = String::from_utf8_lossy(&rdflib.stdout)
            .trim()
            .parse()
            .expect("count");
        assert_eq!(
            rdflib_count, count,
            "rdflib counts {rdflib_count} in the {format} export, kgrep said {count}"
        );
        if !rapper_name.is_empty() {
            let rapper = external("rapper", &["-c", "-i", rapper_name, file.to_str().unwrap()])
                .expect("rapper");
            let text = String::from_utf8_lossy(&rapper.stderr);
            assert!(
                rapper.status.success(),
                "rapper cannot read {format}: {text}"
            );
            let rapper_count: usize = text
                .split_whitespace()
                .find_map(|w| w.parse().ok())
                .unwrap_or(0);
            assert_eq!(
                rapper_count, count,
                "rapper counts {rapper_count} in the {format} export, kgrep said {count}: {text}"
            );
        }
    }
    // One SELECT: rdflib over the Turtle export answers as `kgrep query` does.
    let query = "PREFIX ex: <http://kgrep.example/zh/> SELECT ?org ?team WHERE { ?org ex:formed ?team } ORDER BY ?org ?team";
    let kgrep_rows = run_ok(&["query", "--store", store, "--format", "tsv", query]);
    let script = "import rdflib,sys\ng=rdflib.Graph(); g.parse(sys.argv[1], format='turtle')\n\
                  for row in g.query(sys.argv[2]): print('\\t'.join(r.n3() for r in row))";
    let rdflib = external(
        "python3",
        &["-c", script, dir.join("graph.ttl").to_str().unwrap(), query],
    )
    .expect("python3");
    let rdflib_rows: Vec<&str> = std::str::from_utf8(&rdflib.stdout)
        .expect("UTF-8")
        .lines()
        .collect();
    let kgrep_rows: Vec<&str> = kgrep_rows.lines().skip(1).collect();
    assert!(!kgrep_rows.is_empty());
    assert_eq!(rdflib_rows, kgrep_rows);
    // Turtle: each subject once, sorted, a blank line before each.
    let turtle = std::fs::read_to_string(dir.join("graph.ttl")).expect("turtle");
    let subjects: Vec<&str> = turtle
        .split("\n\n")
        .skip(1)
        .map(|block| block.split_whitespace().next().unwrap_or(""))
        .collect();
    let mut sorted = subjects.clone();
    sorted.sort_by_key(|s| s.to_string());
    sorted.dedup();
    assert!(subjects.len() > 10, "{turtle}");
    assert_eq!(subjects.len(), sorted.len(), "each subject once: {turtle}");
    assert!(!turtle.contains("\\/"), "no escaped `/` in names: {turtle}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn kgrep_store_names_the_default_store() {
    let (dir, store) = example_store("env", "examples/zh/docs");
    let output = Command::new(env!("CARGO_BIN_EXE_kgrep"))
        .args(["query", "--format", "tsv", "ASK { ?s ex:formed ?o }"])
        .env("KGREP_STORE", &store)
        .current_dir(root())
        .output()
        .expect("kgrep");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "true");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn sparql_errors_say_what_is_wrong_in_words() {
    let (dir, store) = example_store("sparql-errors", "examples/zh/docs");
    for (query, message, hint) in [
        (
            "SELECT ?x WHERE { ?x foaf:name ?n }",
            "unknown prefix `foaf:`",
            "use one of: ex: hospital: kgrep: org:",
        ),
        (
            "SELCT ?x WHERE { ?x ?p ?o }",
            "`SELCT` is not a SPARQL keyword",
            "did you mean `SELECT`?",
        ),
        (
            "CLEAR ALL",
            "`CLEAR` is an update, not a query",
            "kgrep query --update",
        ),
    ] {
        let output = kgrep(&["query", "--store", &store, query]);
        assert_eq!(output.status.code(), Some(1), "{query}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(message) && stderr.contains(hint),
            "{query}: {stderr}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
