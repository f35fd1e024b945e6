//! Fuzzes the rule language front end: parsing never panics, a file that parses
//! prints to text that parses to the same tree (and prints the same again), and
//! checking (name resolution, lowering) never panics either.
#![no_main]

use kgrep::source::MemoryFiles;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (tree, errors) = kgrep::syntax::parse(text);
    if errors.is_empty() {
        let printed = kgrep::syntax::print(&tree);
        let (again, errors) = kgrep::syntax::parse(&printed);
        assert!(errors.is_empty(), "printed form does not parse: {errors:?}\n{printed}");
        assert_eq!(shape(&tree), shape(&again), "printing changed the tree:\n{printed}");
        assert_eq!(kgrep::syntax::print(&again), printed, "printing is not idempotent");
    }
    let mut files = MemoryFiles::new();
    files.insert("fuzz.kgr", text);
    files.insert("other.kgr", "prefix ex: <http://e/>\nlexicon L = \"x\"\n");
    files.insert("words.tsv", "甲\t<http://e/甲>\n# comment\n乙\tcanonical\n");
    let loaded = kgrep::rules::load(std::path::Path::new("fuzz.kgr"), &files).expect("the file is there");
    for diagnostic in &loaded.diagnostics {
        let _ = diagnostic.render(&loaded.sources, false);
    }
});

fn shape(file: &kgrep::syntax::ast::File) -> String {
    let spans = regex::Regex::new(r"Span\(\d+\.\.\d+\)").expect("regex");
    spans.replace_all(&format!("{:#?}", file.items), "Span").into_owned()
}
