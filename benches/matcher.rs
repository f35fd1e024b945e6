//! Criterion benchmarks of the matcher: the Chinese example rules on the seed
//! document (a real news report, 20 KB), whole-document extraction and the
//! trigger scan alone. `cargo bench --bench matcher`.
#![allow(missing_docs)] // `criterion_group!` defines an undocumented function

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kgrep::extract::{Document, Extractor};
use kgrep::source::FileSystem;

fn extractor() -> Extractor {
    let loaded = kgrep::rules::load(Path::new("examples/zh/news.kgr"), &FileSystem).expect("rules");
    Extractor::new(loaded.rule_set.expect("rules without errors")).expect("compiles")
}

fn seed() -> String {
    std::fs::read_to_string("../shared/corpus/seed/000_c171a1427bcab795.txt")
        .unwrap_or_else(|_| "中国移动湖北分公司党委成立党员突击队。".repeat(500))
}

fn bench(c: &mut Criterion) {
    let extractor = extractor();
    let text = seed();
    let document = Document::new("seed.txt", text.clone(), None);
    let mut group = c.benchmark_group("seed");
    group.throughput(Throughput::Bytes(text.len() as u64));
    let mut scratch = extractor.scratch();
    group.bench_function("extract", |b| {
        b.iter(|| extractor.extract(&document, &mut scratch))
    });
    let normalized = kgrep::text::normalize(&text);
    let sentences = kgrep::text::split_sentences(&normalized.text);
    group.bench_function("normalize", |b| b.iter(|| kgrep::text::normalize(&text)));
    group.bench_function("split_sentences", |b| {
        b.iter(|| kgrep::text::split_sentences(&normalized.text))
    });
    group.bench_function("trigger_scan", |b| {
        b.iter(|| extractor.matcher().candidates(&normalized.text, &sentences))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
