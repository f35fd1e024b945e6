//! The layering ARCHITECTURE.md promises, read off the source: the library
//! never names the binary's front ends, and no two modules depend on each
//! other in a cycle (`use crate::a` in `b` and `use crate::b` in `a`, directly
//! or through others). Modules are top-level (`store`, `cli`, …), submodules
//! of `rules`, `store`, `text`, `syntax` and `matcher` count on their own.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::support::root;

/// The binary's modules, as `src/main.rs` declares them (`mod cli;` …); the
/// library's are the rest.
fn front_ends() -> Vec<String> {
    std::fs::read_to_string(root().join("src/main.rs"))
        .expect("src/main.rs")
        .lines()
        .filter_map(|line| line.trim().strip_prefix("mod ")?.strip_suffix(';'))
        .map(str::to_owned)
        .collect()
}

/// `src/a/b.rs` → `a` for front ends, `a/b` for library modules with submodules.
fn module_of(path: &Path) -> String {
    let relative = path.strip_prefix(root().join("src")).expect("under src");
    let mut parts: Vec<String> = relative
        .with_extension("")
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|last| last == "mod") {
        parts.pop();
    }
    if parts.len() > 1 && !front_ends().contains(&parts[0]) {
        parts.truncate(2);
        parts.join("/")
    } else {
        parts[0].clone()
    }
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every module and the modules its code names (`crate::x::y` or `kgrep::x::y`,
/// comments left out).
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let path_pattern = regex::Regex::new(r"\b(?:crate|kgrep)::([a-z_]+)(?:::([a-z_]+))?").unwrap();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy();
        if name == "lib.rs" || name == "main.rs" {
            continue;
        }
        let module = module_of(&file);
        let code: String = std::fs::read_to_string(&file)
            .expect("read")
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let entry = graph.entry(module.clone()).or_default();
        for found in path_pattern.captures_iter(&code) {
            let top = &found[1];
            let target = match found.get(2) {
                Some(sub)
                    if !front_ends().iter().any(|front| front == top)
                        && root()
                            .join("src")
                            .join(top)
                            .join(format!("{}.rs", sub.as_str()))
                            .exists() =>
                {
                    format!("{top}/{}", sub.as_str())
                }
                _ => top.to_owned(),
            };
            let inside = target == module
                || module.starts_with(&format!("{target}/"))
                || target.starts_with(&format!("{module}/"));
            if !inside {
                entry.insert(target);
            }
        }
    }
    graph
}

#[test]
fn the_library_knows_no_front_end() {
    let front_ends = front_ends();
    assert!(front_ends.len() >= 3, "src/main.rs declares {front_ends:?}");
    for (module, uses) in dependencies() {
        if front_ends.contains(&module) {
            continue;
        }
        for front in &front_ends {
            assert!(
                !uses.contains(front),
                "library module `{module}` uses `{front}`"
            );
        }
    }
}

#[test]
fn no_module_depends_on_itself_through_others() {
    let graph = dependencies();
    assert!(graph.len() > 10, "found only {graph:?}");
    for start in graph.keys() {
        let mut stack: Vec<(String, Vec<String>)> = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((module, path)) = stack.pop() {
            for next in graph.get(&module).into_iter().flatten() {
                assert!(next != start, "import cycle: {} → {next}", path.join(" → "));
                if seen.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
}
