#!/usr/bin/env bash
# Loading speed: the benchmark corpus (People's Daily, see bench/extract.sh)
# extracted to N-Quads with provenance by bench/dense.kgr (rules that fire often,
# to make a large graph), then loaded into a fresh on-disk store by `kgrep load`
# and by Oxigraph's own `oxigraph load` (PyPI package `oxigraph`), side by side.
#
# Usage: bench/load.sh     (needs python3 with pip; installs the `oxigraph` CLI if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kgrep-target}"
runs="${RUNS:-3}"
corpus=$(bash ../shared/corpus/fetch-bench-corpus.sh 2>/dev/null | tail -n 1)
[ -n "${KGREP_NO_BUILD:-}" ] || cargo build --release --quiet
kgrep="$CARGO_TARGET_DIR/release/kgrep"
command -v oxigraph >/dev/null || python3 -m pip install -q oxigraph >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$kgrep" extract -q -r bench/dense.kgr -f nquads --provenance "$corpus/zh/pd199801.txt" > "$work/facts.nq"
quads=$(wc -l < "$work/facts.nq")
echo "input: $quads quads ($(du -h "$work/facts.nq" | cut -f1)) from $(du -h "$corpus/zh/pd199801.txt" | cut -f1) of text"

best() {
  python3 - "$runs" "$work" "$@" <<'PY'
import shutil, subprocess, sys, time
runs, work, command = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
best = float("inf")
for _ in range(runs):
    shutil.rmtree(f"{work}/store", ignore_errors=True)
    start = time.perf_counter()
    subprocess.run([c.replace("STORE", f"{work}/store") for c in command], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    best = min(best, time.perf_counter() - start)
print(f"{best:.3f}")
PY
}
kgrep_time=$(best "$kgrep" load -q --store STORE "$work/facts.nq")
oxigraph_time=$(best oxigraph load --location STORE --file "$work/facts.nq")
python3 - "$quads" "$kgrep_time" "$oxigraph_time" <<'PY'
import sys
quads, kgrep, oxigraph = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print(f"kgrep load:    {kgrep:.3f}s = {quads / kgrep:,.0f} quads/s")
print(f"oxigraph load: {oxigraph:.3f}s = {quads / oxigraph:,.0f} quads/s")
print(f"ratio: kgrep loads at {oxigraph / kgrep:.2f}x Oxigraph's speed (target >= 0.8x)")
PY
