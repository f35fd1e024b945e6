//! `kgrep serve`, started on a free loopback port: the SPARQL 1.1 Protocol
//! by hand (status codes, negotiation, updates only when writable, a build
//! publishing while it serves), with real clients (SPARQLWrapper and rdflib's
//! SPARQLStore), and its page in headless Chromium.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::{example_store, kgrep, root};

/// A running `kgrep serve`, killed when dropped.
struct Server {
    child: Child,
    address: String,
}

impl Server {
    fn start(store: &str, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kgrep"))
            .args(["serve", "--store", store, "--bind", "127.0.0.1:0"])
            .args(extra)
            .env("NO_COLOR", "1")
            .env_remove("KGREP_STORE")
            .stderr(Stdio::piped())
            .spawn()
            .expect("kgrep serve");
        let mut line = String::new();
        BufReader::new(child.stderr.take().expect("stderr"))
            .read_line(&mut line)
            .expect("the first line");
        let address = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_owned();
        Server { child, address }
    }

    fn url(&self) -> String {
        format!("http://{}/", self.address)
    }

    /// One HTTP/1.1 request; the status code and the body.
    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.address).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.address,
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream.write_all(request.as_bytes()).expect("send");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).expect("read");
        let response = String::from_utf8_lossy(&response).into_owned();
        let status = response
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let body = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            unchunk(body)
        } else {
            body.to_owned()
        };
        (status, body)
    }

    fn query(&self, accept: &str, query: &str) -> (u16, String) {
        let body = format!("query={}", encode(query));
        self.request(
            "POST",
            "/sparql",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Accept", accept),
            ],
            &body,
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn unchunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn the_protocol_negotiates_refuses_updates_and_sees_a_build_publish() {
    let (dir, store) = example_store("serve", "examples/zh/docs/hospitals.txt");
    let server = Server::start(&store, &[]);
    let ward = "ASK { hospital:雷神山医院 ex:wardCount 32 }";
    let formed = "ASK { ?org ex:formed team:党员突击队 }";
    assert_eq!(
        server
            .query("application/sparql-results+json", ward)
            .1
            .trim(),
        r#"{"head":{},"boolean":true}"#
    );
    assert!(
        server
            .query("application/sparql-results+json", formed)
            .1
            .contains("false")
    );
    // Negotiation: CSV by Accept, TSV by ?format=, Turtle for CONSTRUCT, 406 for nothing that fits.
    let (status, csv) = server.query("text/csv", "SELECT ?h ?n WHERE { ?h ex:wardCount ?n }");
    assert_eq!(
        (status, csv.as_str()),
        (
            200,
            "h,n\r\nhttp://kgrep.example/zh/hospital/雷神山医院,32\r\n"
        )
    );
    let (status, tsv) = server.request(
        "GET",
        &format!(
            "/sparql?format=tsv&query={}",
            encode("SELECT ?n WHERE { ?h ex:wardCount ?n }")
        ),
        &[],
        "",
    );
    assert_eq!((status, tsv.as_str()), (200, "?n\n32\n"));
    let (status, turtle) = server.query("text/turtle", "CONSTRUCT WHERE { ?h ex:wardCount ?n }");
    assert!(
        status == 200 && turtle.contains("ex:wardCount 32"),
        "{turtle}"
    );
    assert_eq!(server.query("image/png", ward).0, 406);
    // Mistakes are 4xx with a message.
    let (status, message) = server.query("*/*", "SELEKT ?x");
    assert!(status == 400 && message.contains("syntax"), "{message}");
    let (status, message) = server.request(
        "POST",
        "/sparql",
        &[("Content-Type", "application/sparql-update")],
        "CLEAR ALL",
    );
    assert!(status == 403 && message.contains("--writable"), "{message}");
    assert_eq!(server.request("GET", "/nothing", &[], "").0, 404);
    // The page, with the store's prefixes.
    let (status, page) = server.request("GET", "/", &[], "");
    assert!(status == 200 && page.contains("\"team\",\"http://kgrep.example/zh/team/\""));
    // A build publishes while the server runs: the next request sees it.
    let output = kgrep(&[
        "build",
        "-q",
        "-r",
        "examples/zh/news.kgr",
        "examples/zh/docs",
        "--store",
        &store,
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        server
            .query("application/sparql-results+json", formed)
            .1
            .contains("true")
    );
    drop(server);
    // Writable: an update is applied and published.
    let server = Server::start(&store, &["--writable"]);
    let (status, _) = server.request(
        "POST",
        "/sparql",
        &[("Content-Type", "application/sparql-update")],
        "DELETE WHERE { hospital:雷神山医院 ex:wardCount ?n }",
    );
    assert_eq!(status, 204);
    assert!(
        server
            .query("application/sparql-results+json", ward)
            .1
            .contains("false")
    );
    drop(server);
    std::fs::remove_dir_all(&dir).ok();
}

/// Runs `tests/python/SCRIPT ARGS`; it must succeed.
fn run_python(script: &str, args: &[&str]) {
    let output = Command::new("python3")
        .arg(root().join("tests/python").join(script))
        .args(args)
        .output()
        .expect("python3");
    assert!(
        output.status.success(),
        "{script}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Whether python3 can import `modules`; outside CI a missing one skips.
fn python_has(modules: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        crate::support::skip_without(modules, "PyPI");
    }
    ok
}

#[test]
fn real_sparql_clients_get_the_answers_of_the_local_store() {
    if !python_has("SPARQLWrapper, rdflib") {
        return;
    }
    let (dir, store) = example_store("serve-clients", "examples/zh/docs");
    let query = "SELECT ?org ?team WHERE { ?org ex:formed ?team }";
    let local = kgrep(&["query", "--store", &store, "--format", "json", query]);
    let expected = dir.join("expected.json");
    std::fs::write(&expected, &local.stdout).expect("write");
    let server = Server::start(&store, &[]);
    run_python(
        "protocol.py",
        &[&server.url(), expected.to_str().unwrap(), query],
    );
    drop(server);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_page_runs_a_query_and_shows_a_facts_sentence_in_a_browser() {
    let browser = std::path::Path::new("/usr/bin/chromium").exists()
        && std::path::Path::new("/usr/bin/chromedriver").exists();
    if !browser {
        crate::support::skip_without("chromium and chromium-driver", "Debian");
        return;
    }
    if !python_has("selenium") {
        return;
    }
    let (dir, store) = example_store("serve-page", "examples/zh/docs");
    let server = Server::start(&store, &[]);
    run_python("page.py", &[&server.url()]);
    drop(server);
    std::fs::remove_dir_all(&dir).ok();
}
