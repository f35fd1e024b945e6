//! `kgrep push` to real SPARQL servers, started here on loopback with free
//! ports: `oxigraph serve` (PyPI `oxigraph`) by SPARQL Update and by its
//! Graph Store Protocol endpoint, and Virtuoso (Debian
//! `virtuoso-opensource-7`) by its digest-authenticated GSP and Update
//! endpoints. After a push, and after a second push of a changed corpus with
//! `--prune`, each server answers as the local store does.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::{kgrep, root, temp_dir};

/// A server process, killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// The SPARQL JSON answer of `query` at `endpoint`, as sorted rows of values.
fn ask_server(
    endpoint: &str,
    query: &str,
    default_graph: Option<&str>,
) -> Option<Vec<Vec<String>>> {
    rows(&post(endpoint, query, default_graph)?)
}

/// The body of a successful query request.
fn post(endpoint: &str, query: &str, default_graph: Option<&str>) -> Option<String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into();
    let mut form = vec![("query", query)];
    if let Some(graph) = default_graph {
        form.push(("default-graph-uri", graph));
    }
    let mut response = agent
        .post(endpoint)
        .header("Accept", "application/sparql-results+json")
        .send_form(form)
        .ok()?;
    if response.status() != 200 {
        return None;
    }
    response.body_mut().read_to_string().ok()
}

fn rows(json: &str) -> Option<Vec<Vec<String>>> {
    let value: serde_json::Value = serde_json::from_str(json).ok()?;
    let variables: Vec<String> = value["head"]["vars"]
        .as_array()?
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    let mut rows: Vec<Vec<String>> = value["results"]["bindings"]
        .as_array()?
        .iter()
        .map(|binding| {
            variables
                .iter()
                .map(|v| {
                    let value = binding[v]["value"].as_str().unwrap_or("");
                    // Virtuoso answers xsd:boolean as 1 and 0: the same values.
                    let boolean = binding[v]["datatype"]
                        .as_str()
                        .is_some_and(|d| d.ends_with("#boolean"));
                    match (boolean, value) {
                        (true, "1") => "true".to_owned(),
                        (true, "0") => "false".to_owned(),
                        _ => value.to_owned(),
                    }
                })
                .collect()
        })
        .collect();
    rows.sort();
    Some(rows)
}

fn ask_local(store: &str, query: &str) -> Vec<Vec<String>> {
    let output = kgrep(&["query", "--store", store, "--format", "json", query]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    rows(&String::from_utf8_lossy(&output.stdout)).expect("JSON results")
}

/// Waits until `endpoint` answers `ASK {}`.
fn wait_for(endpoint: &str, server: &mut Running, log: &Path) {
    // Up to a minute: Virtuoso creates its database on the first start.
    for _ in 0..240 {
        if post(endpoint, "ASK {}", None).is_some() {
            return;
        }
        if let Ok(Some(status)) = server.0.try_wait() {
            panic!(
                "the server stopped ({status}): {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!(
        "{endpoint} never answered: {}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

fn start_oxigraph(dir: &Path) -> Option<(Running, String)> {
    if Command::new("oxigraph").arg("--version").output().is_err() {
        crate::support::skip_without("oxigraph", "PyPI");
        return None;
    }
    let port = free_port();
    let mut command = Command::new("oxigraph");
    command
        .args(["serve", "--location"])
        .arg(dir.join(format!("oxigraph-{port}")))
        .args(["--bind", &format!("127.0.0.1:{port}")]);
    let endpoint = format!("http://127.0.0.1:{port}/query");
    let server = serve(
        command,
        &dir.join(format!("oxigraph-{port}.log")),
        &endpoint,
    );
    Some((server, endpoint))
}

/// Starts `command`, its output to `log`, and waits until `endpoint` answers.
fn serve(mut command: Command, log: &Path, endpoint: &str) -> Running {
    let mut server = Running(
        command
            .stdout(std::fs::File::create(log).expect("log"))
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts"),
    );
    wait_for(endpoint, &mut server, log);
    server
}

fn start_virtuoso(dir: &Path) -> Option<(Running, String)> {
    let template = Path::new("/etc/virtuoso-opensource-7/virtuoso.ini");
    if Command::new("virtuoso-t").arg("-?").output().is_err() || !template.exists() {
        crate::support::skip_without("virtuoso-opensource-7", "Debian");
        return None;
    }
    let db = dir.join("virtuoso");
    std::fs::create_dir_all(&db).expect("dir");
    let (sql, http) = (free_port(), free_port());
    let config = std::fs::read_to_string(template)
        .expect("config")
        .replace("/var/lib/virtuoso-opensource-7/db", db.to_str().unwrap())
        .replace(
            "ServerPort               = 1111",
            &format!("ServerPort               = 127.0.0.1:{sql}"),
        )
        .replace(
            "ServerPort                  = 8890",
            &format!("ServerPort                  = 127.0.0.1:{http}"),
        );
    let ini = db.join("virtuoso.ini");
    std::fs::write(&ini, config).expect("write");
    let mut command = Command::new("virtuoso-t");
    command
        .args(["+foreground", "+configfile"])
        .arg(&ini)
        .current_dir(&db);
    let endpoint = format!("http://127.0.0.1:{http}/sparql");
    let server = serve(command, &db.join("out.log"), &endpoint);
    Some((server, endpoint))
}

fn build(store: &str, documents: &Path) {
    let output = kgrep(&[
        "build",
        "-q",
        "-r",
        "examples/zh/news.kgr",
        documents.to_str().unwrap(),
        "--store",
        store,
        "--prune",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A server to push to: where to push and how, where to ask.
struct Target {
    _server: Running,
    /// The endpoint queries are compared on (anonymous).
    endpoint: String,
    facts_graph: Option<&'static str>,
    /// `kgrep push` arguments after `push`, before `--store`.
    push: Vec<String>,
    /// Credentials in the environment.
    env: Vec<(&'static str, &'static str)>,
}

fn push(target: &Target, store: &str) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kgrep"));
    command
        .arg("push")
        .args(&target.push)
        .args(["--store", store, "--prune"]);
    if let Some(graph) = target.facts_graph {
        command.args(["--facts-graph", graph]);
    }
    let output = command
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("KGREP_STORE")
        .envs(target.env.iter().copied())
        .output()
        .expect("kgrep runs");
    let said = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{said}");
    said
}

/// The queries both sides must answer alike: (query, needs the facts graph).
const QUERIES: &[(&str, bool)] = &[
    ("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", true),
    ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", true),
    (
        "SELECT ?team ?hospital ?label WHERE { ?team <http://kgrep.example/zh/deployedTo> ?hospital . ?hospital <http://www.w3.org/2000/01/rdf-schema#label> ?label }",
        true,
    ),
    (
        "SELECT ?d ?rule ?text WHERE { GRAPH ?d { ?m <urn:kgrep:vocab:rule> ?rule ; <urn:kgrep:vocab:text> ?text } }",
        false,
    ),
    (
        "SELECT ?m ?s ?p ?o WHERE { GRAPH ?m { ?s ?p ?o } FILTER(CONTAINS(STR(?m), \"#m\")) }",
        false,
    ),
];

fn same_answers(store: &str, endpoint: &str, facts_graph: Option<&str>) {
    for (query, facts) in QUERIES {
        let local = ask_local(store, query);
        let graph = if *facts { facts_graph } else { None };
        let remote = ask_server(endpoint, query, graph)
            .unwrap_or_else(|| panic!("{endpoint} failed on {query}"));
        assert_eq!(remote, local, "{endpoint}: {query}");
    }
}

#[test]
fn a_pushed_store_answers_alike_on_oxigraph_and_virtuoso_and_a_second_push_replaces_exactly() {
    let dir = temp_dir("push");
    let oxigraph = |gsp: bool| {
        start_oxigraph(&dir).map(|(server, endpoint)| {
            let mut push = vec![endpoint.clone()];
            if gsp {
                push.extend(["--graph-store".into(), endpoint.replace("/query", "/store")]);
            }
            Target {
                _server: server,
                endpoint,
                facts_graph: None,
                push,
                env: Vec::new(),
            }
        })
    };
    let virtuoso = start_virtuoso(&dir).map(|(server, endpoint)| {
        // Writes only as `dba`, by digest: the anonymous user may only read.
        let push = vec![
            endpoint.replace("/sparql", "/sparql-auth"),
            "--graph-store".into(),
            endpoint.replace("/sparql", "/sparql-graph-crud-auth"),
        ];
        let env = vec![("KGREP_PUSH_USER", "dba"), ("KGREP_PUSH_PASSWORD", "dba")];
        Target {
            _server: server,
            endpoint,
            facts_graph: Some("urn:kgrep:facts"),
            push,
            env,
        }
    });
    let targets: Vec<Target> = [oxigraph(false), oxigraph(true), virtuoso]
        .into_iter()
        .flatten()
        .collect();
    if targets.is_empty() {
        return;
    }
    // A corpus of our own: a copy of the examples' documents.
    let documents: PathBuf = dir.join("docs");
    std::fs::create_dir_all(&documents).expect("dir");
    for name in ["teams.txt", "hospitals.txt", "community.txt"] {
        std::fs::copy(
            root().join("examples/zh/docs").join(name),
            documents.join(name),
        )
        .expect("copy");
    }
    let store = dir.join("graph.kgstore").to_str().unwrap().to_owned();
    build(&store, &documents);
    for target in &targets {
        let said = push(target, &store);
        assert!(said.contains("3 documents (0 unchanged"), "{said}");
        same_answers(&store, &target.endpoint, target.facts_graph);
        // Again: the server has every document's content already.
        let said = push(target, &store);
        assert!(said.contains("0 documents (3 unchanged"), "{said}");
    }
    // Change the corpus: a document loses a sentence, another goes.
    let hospitals = documents.join("hospitals.txt");
    let text = std::fs::read_to_string(&hospitals).expect("read");
    let kept: String = text
        .lines()
        .filter(|line| !line.contains("病区"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(kept, text, "the edit removes something");
    std::fs::write(&hospitals, kept).expect("write");
    std::fs::remove_file(documents.join("community.txt")).expect("remove");
    build(&store, &documents);
    for target in &targets {
        let said = push(target, &store);
        assert!(
            said.contains("1 documents (1 unchanged") && said.contains("1 removed"),
            "{said}"
        );
        same_answers(&store, &target.endpoint, target.facts_graph);
    }
    // Without the password, Virtuoso's authenticated endpoints refuse.
    if let Some(target) = targets.iter().find(|t| !t.env.is_empty()) {
        let output = Command::new(env!("CARGO_BIN_EXE_kgrep"))
            .arg("push")
            .args(&target.push)
            .args([
                "--store",
                &store,
                "--prune",
                "--facts-graph",
                "urn:kgrep:other",
            ])
            .env("NO_COLOR", "1")
            .env_remove("KGREP_PUSH_USER")
            .env_remove("KGREP_PUSH_PASSWORD")
            .output()
            .expect("kgrep runs");
        let said = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success() && said.contains("401"), "{said}");
    }
    // Straight from rules and documents, no local store: the same graph, and
    // the same content hashes as a build records.
    if let Some(target) = oxigraph(false) {
        let docs = documents.to_str().unwrap();
        let push_rules = || {
            let output = kgrep(&[
                "push",
                &target.endpoint,
                "-r",
                "examples/zh/news.kgr",
                docs,
                "--prune",
            ]);
            let said = String::from_utf8_lossy(&output.stderr).into_owned();
            assert!(output.status.success(), "{said}");
            said
        };
        let said = push_rules();
        assert!(said.contains("2 documents (0 unchanged"), "{said}");
        same_answers(&store, &target.endpoint, None);
        let said = push(&target, &store);
        assert!(said.contains("0 documents (2 unchanged"), "{said}");
        assert!(push_rules().contains("0 documents (2 unchanged"));
    }
    drop(targets);
    std::fs::remove_dir_all(&dir).ok();
}
