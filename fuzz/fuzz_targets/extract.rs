//! Fuzzes the engine: valid rule sets (the examples and `tests/data/ok`) run
//! over arbitrary text. Invariants: no panic; every match span lies inside its
//! sentence; every provenance text is exactly the slice of the original text
//! its character offsets name.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use kgrep::extract::{Document, Extractor};
use kgrep::source::FileSystem;
use libfuzzer_sys::fuzz_target;

fn extractors() -> &'static [Extractor] {
    static EXTRACTORS: OnceLock<Vec<Extractor>> = OnceLock::new();
    EXTRACTORS.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = vec![
            root.join("examples/zh/news.kgr"),
            root.join("examples/en/news.kgr"),
            root.join("bench/dense.kgr"),
        ];
        let mut ok: Vec<PathBuf> = std::fs::read_dir(root.join("tests/data/ok"))
            .expect("tests/data/ok")
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|e| e == "kgr"))
            .collect();
        ok.sort();
        files.extend(ok);
        files
            .iter()
            .filter_map(|path| {
                let loaded = kgrep::rules::load(path, &FileSystem).ok()?;
                Extractor::new(loaded.rule_set?).ok()
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let [choice, rest @ ..] = data else { return };
    let extractors = extractors();
    let extractor = &extractors[*choice as usize % extractors.len()];
    let text = String::from_utf8_lossy(rest).into_owned();
    let chars: Vec<char> = text.chars().collect();
    let document = Document::new("fuzz.txt", text.clone(), Some(2020));
    let mut scratch = extractor.scratch();
    let trace = extractor.trace(&document, &mut scratch);
    for explained in &trace.matches {
        let sentence = &trace.sentences[explained.sentence];
        assert!(explained.found.span.end <= sentence.len(), "a match outside its sentence");
        assert!(explained.found.span.start <= explained.found.span.end);
    }
    for fact in extractor.extract(&document, &mut scratch).facts {
        let p = &fact.provenance;
        assert!(p.start <= p.end && p.end <= chars.len(), "{p:?}");
        let slice: String = chars[p.start..p.end].iter().collect();
        assert_eq!(slice, &*p.text, "provenance text is not the original's slice");
        assert!(p.sentence_text.contains(&*p.text), "the match is not in its sentence");
    }
});
