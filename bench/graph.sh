#!/usr/bin/env bash
# Graph analytics at scale: a store of about a million facts (People's Daily,
# extracted with bench/dense.kgr, several copies as separate documents), then
# `kgrep graph rank` (projection into petgraph + PageRank), timed, with peak memory.
#
# Usage: bench/graph.sh [COPIES]   (default 4 copies of the 5.5 MB corpus)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kgrep-target}"
copies="${1:-4}"
corpus=$(bash ../shared/corpus/fetch-bench-corpus.sh 2>/dev/null | tail -n 1)
[ -n "${KGREP_NO_BUILD:-}" ] || cargo build --release --quiet
kgrep="$CARGO_TARGET_DIR/release/kgrep"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/docs"
for i in $(seq 1 "$copies"); do
  # Each copy gets its own entities: a suffix on every line keeps documents distinct.
  sed "s/$/（第${i}版）/" "$corpus/zh/pd199801.txt" > "$work/docs/pd$i.txt"
done
/usr/bin/time -f '%e s, %M KiB peak' "$kgrep" build -q --no-provenance -r bench/dense.kgr "$work/docs" --store "$work/store" 2> "$work/build.time"
facts=$("$kgrep" query --store "$work/store" --format tsv 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }' | tail -n 1)
echo "store: $facts facts from $copies x $(du -h "$corpus/zh/pd199801.txt" | cut -f1) of text; build: $(tail -n 1 "$work/build.time")"
/usr/bin/time -f '%e s, %M KiB peak' "$kgrep" graph --store "$work/store" rank --top 5 > "$work/rank.txt" 2> "$work/rank.time"
cat "$work/rank.txt"
echo "projection + PageRank (graph rank): $(tail -n 1 "$work/rank.time")"
