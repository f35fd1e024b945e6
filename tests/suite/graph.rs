//! `kgrep graph` on a store built from our own sentences: a known path (an
//! organisation reaches a hospital through a team), neighbourhoods,
//! components, PageRank against networkx, and a picture through Graphviz.

use std::process::Command;

use crate::support::kgrep;

const TEXT: &str = "中国移动湖北分公司党委成立党员突击队。党员突击队进驻雷神山医院。\
                    甘肃肃北蒙古族自治县成立“马背防疫先锋队”。雷神山医院共有32个病区。";

/// A store built from TEXT with the Chinese example rules.
fn store(name: &str) -> (std::path::PathBuf, String) {
    let text_dir = crate::support::temp_dir(&format!("graph-text-{name}"));
    std::fs::write(text_dir.join("news.txt"), TEXT).expect("write");
    let (dir, store) = crate::support::example_store(
        &format!("graph-{name}"),
        text_dir.join("news.txt").to_str().expect("UTF-8"),
    );
    std::fs::remove_dir_all(&text_dir).ok();
    (dir, store)
}

fn graph(store: &str, args: &[&str]) -> (bool, String, String) {
    let mut all = vec!["graph", "--store", store];
    all.extend(args);
    let output = kgrep(&all);
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn paths_neighbourhoods_and_components() {
    let (dir, store) = store("path");
    let (ok, out, err) = graph(&store, &["path", "中国移动湖北分公司党委", "雷神山医院"]);
    assert!(ok, "{err}");
    assert!(out.contains("-> ex:formed -> 党员突击队"), "{out}");
    assert!(out.contains("-> ex:deployedTo -> 雷神山医院"), "{out}");
    assert!(
        out.contains("\"党员突击队进驻雷神山医院\""),
        "the supporting sentence: {out}"
    );
    // Against the direction of the edges only with --undirected.
    let (ok, _, err) = graph(&store, &["path", "雷神山医院", "中国移动湖北分公司党委"]);
    assert!(!ok && err.contains("no path"), "{err}");
    let (ok, out, _) = graph(
        &store,
        &[
            "path",
            "--undirected",
            "ex:hospital/雷神山医院",
            "ex:org/中国移动湖北分公司党委",
        ],
    );
    assert!(ok && out.contains("<- ex:formed <-"), "{out}");
    let (ok, out, _) = graph(&store, &["neighbors", "党员突击队", "-k", "1"]);
    assert!(
        ok && out.contains("中国移动湖北分公司党委")
            && out.contains("雷神山医院")
            && out.contains("3 rows"),
        "{out}"
    );
    let (ok, out, _) = graph(&store, &["components"]);
    assert!(ok && out.contains("2 components"), "{out}");
    let (ok, _, err) = graph(&store, &["neighbors", "没有这个"]);
    assert!(
        !ok && err.contains("no entity is called `没有这个`"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn page_rank_agrees_with_networkx() {
    let (dir, store) = store("rank");
    let (ok, out, err) = graph(&store, &["rank", "--top", "3", "--save"]);
    assert!(ok, "{err}");
    assert!(out.contains("pagerank"), "{out}");
    let ranks = kgrep(&[
        "query",
        "--store",
        &store,
        "--format",
        "tsv",
        "SELECT ?n ?r WHERE { GRAPH <urn:kgrep:analytics> { ?n kgrep:pageRank ?r } }",
    ]);
    let ranks = String::from_utf8(ranks.stdout).expect("UTF-8");
    assert!(
        ranks.lines().count() > 4,
        "ranks are queryable with SPARQL: {ranks}"
    );
    let has_networkx = Command::new("python3")
        .args(["-c", "import networkx, numpy, scipy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_networkx {
        crate::support::skip_without("networkx", "PyPI");
        std::fs::remove_dir_all(&dir).ok();
        return;
    }
    let edges = kgrep(&[
        "query",
        "--store",
        &store,
        "--format",
        "tsv",
        "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(isIRI(?s)) }",
    ]);
    let script = r#"
import sys, networkx
graph = networkx.MultiDiGraph()
for line in sys.stdin.read().splitlines()[1:]:
    s, p, o = line.split("\t")
    graph.add_node(s)
    if o.startswith("<") and p != "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>":
        graph.add_edge(s, o, key=p)
for node, rank in networkx.pagerank(graph, alpha=0.85).items():
    print(node[1:-1], rank)
"#;
    let mut python = Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    std::io::Write::write_all(&mut python.stdin.take().expect("stdin"), &edges.stdout)
        .expect("write");
    let expected =
        String::from_utf8(python.wait_with_output().expect("networkx").stdout).expect("UTF-8");
    let mut compared = 0;
    for line in expected.lines() {
        let (node, rank) = line.rsplit_once(' ').expect("node rank");
        let rank: f64 = rank.parse().expect("rank");
        let ours = ranks
            .lines()
            .find(|l| l.starts_with(&format!("<{node}>\t")))
            .and_then(|l| l.split('\t').nth(1))
            .and_then(|r| r.trim_matches('"').split('"').next().map(str::to_owned))
            .unwrap_or_else(|| panic!("no rank for {node} in {ranks}"));
        let ours: f64 = ours.parse().expect("our rank");
        assert!(
            (ours - rank).abs() < 1e-4,
            "{node}: kgrep {ours}, networkx {rank}"
        );
        compared += 1;
    }
    assert!(compared >= 5, "compared only {compared} ranks");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn dot_pictures() {
    let (dir, store) = store("dot");
    let (ok, out, err) = graph(&store, &["dot", "雷神山医院", "-k", "2"]);
    assert!(ok, "{err}");
    assert!(
        out.starts_with("digraph kgrep {")
            && out.contains("label=\"雷神山医院\"")
            && out.contains("fillcolor"),
        "{out}"
    );
    let has_dot = Command::new("dot")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_dot {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install graphviz (Debian)"
        );
        let svg = dir.join("hospital.svg");
        let (ok, _, err) = graph(
            &store,
            &["dot", "雷神山医院", "--svg", svg.to_str().unwrap()],
        );
        assert!(
            !ok && err.contains("Graphviz's `dot` is not installed"),
            "{err}"
        );
    } else {
        let svg = dir.join("hospital.svg");
        let (ok, _, err) = graph(
            &store,
            &[
                "dot",
                "--path",
                "中国移动湖北分公司党委",
                "雷神山医院",
                "--svg",
                svg.to_str().unwrap(),
            ],
        );
        assert!(ok, "{err}");
        let picture = std::fs::read_to_string(&svg).expect("svg");
        assert!(
            picture.contains("<svg") && picture.contains("雷神山医院"),
            "{picture}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
