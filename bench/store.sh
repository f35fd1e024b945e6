#!/usr/bin/env bash
# The store at corpus scale (issue 9), side by side with Oxigraph's own loader:
#   provenance cost   quads per fact of bench/dense.kgr over People's Daily (target <= 5)
#   streaming ingest  peak RSS and time of `kgrep build` over the corpus x1 and x3
#                     (targets <= 1 GB each, ratio <= 1.2), next to `oxigraph load`
#                     of the same quads from N-Quads (target: build <= 1.0x its time)
#   streaming reads   time to the first byte and peak RSS of `kgrep export` in every
#                     format (targets < 1 s, <= 300 MB); `.stats`, `.rank`, `.why`
#                     in the REPL (targets < 1 s, < 3 s, < 0.5 s); first open (< 2 s)
#
# Usage: bench/store.sh   (KGREP_NO_BUILD=1 skips `cargo build --release`)
# Needs python3; installs the `oxigraph` CLI (PyPI) if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kgrep-target}"
corpus=$(bash ../shared/corpus/fetch-bench-corpus.sh 2>/dev/null | tail -n 1)
[ -n "${KGREP_NO_BUILD:-}" ] || cargo build --release --quiet
kgrep="$CARGO_TARGET_DIR/release/kgrep"
command -v oxigraph >/dev/null || python3 -m pip install -q oxigraph >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/x1" "$work/x3"
cp "$corpus/zh/pd199801.txt" "$work/x1/pd.txt"
for copy in a b c; do cp "$corpus/zh/pd199801.txt" "$work/x3/pd-$copy.txt"; done

python3 - "$kgrep" "$work" <<'PY'
import os, subprocess, sys, time, shutil

kgrep, work = sys.argv[1], sys.argv[2]

def measured(args):
    """Time and peak RSS (MB) of one command, stdout discarded."""
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        sys.exit(f"{args} failed: {child.stderr.read().decode()[-2000:]}")
    return seconds, usage.ru_maxrss / 1024

def first_byte(args):
    """Seconds to the first byte of stdout; then reads to the end; peak RSS."""
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    child.stdout.read(1)
    first = time.perf_counter() - start
    while child.stdout.read(1 << 20):
        pass
    _, status, usage = os.wait4(child.pid, 0)
    return first, time.perf_counter() - start, usage.ru_maxrss / 1024

print("== provenance cost (bench/dense.kgr over People's Daily)")
facts = 0
child = subprocess.Popen([kgrep, "extract", "-q", "-r", "bench/dense.kgr", "-f", "jsonl", f"{work}/x1"], stdout=subprocess.PIPE)
for _ in child.stdout:
    facts += 1
child.wait()

results = {}
for name in ["x1", "x3"]:
    store = f"{work}/{name}.kgstore"
    seconds, rss = measured([kgrep, "build", "-q", "-r", "bench/dense.kgr", f"{work}/{name}", "--store", store])
    results[name] = (seconds, rss)
store = f"{work}/x1.kgstore"
nq = f"{work}/x1.nq"
with open(nq, "wb") as out:
    subprocess.run([kgrep, "export", "--store", store, "-f", "nquads"], stdout=out, check=True)
quads = sum(1 for line in open(nq, "rb") if b"<urn:kgrep:meta>" not in line)
print(f"facts extracted: {facts:,}; quads stored: {quads:,}; {quads / facts:.2f} quads a fact (target <= 5; was 12)")
size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(store) for f in fs) / 1e6
print(f"store on disk: {size:.0f} MB")

print("\n== streaming ingest")
shutil.rmtree(f"{work}/oxigraph", ignore_errors=True)
ox_seconds, ox_rss = measured(["oxigraph", "load", "--location", f"{work}/oxigraph", "--file", nq])
for name, (seconds, rss) in results.items():
    print(f"kgrep build {name}: {seconds:7.2f}s  peak RSS {rss:6.0f} MB")
print(f"oxigraph load of the x1 quads (N-Quads): {ox_seconds:7.2f}s  peak RSS {ox_rss:6.0f} MB")
print(f"build x1 / oxigraph load: {results['x1'][0] / ox_seconds:.2f}x time (target <= 1.0)")
print(f"peak RSS x3 / x1: {results['x3'][1] / results['x1'][1]:.2f} (target <= 1.2; each <= 1024 MB)")

print("\n== streaming reads (the x1 store)")
for fmt in ["ntriples", "nquads", "turtle", "trig", "rdfxml", "jsonld"]:
    first, total, rss = first_byte([kgrep, "export", "--store", store, "-f", fmt])
    print(f"export -f {fmt:8}: first byte {first:6.3f}s, all {total:6.2f}s, peak RSS {rss:6.0f} MB")
seconds, _ = measured([kgrep, "query", "--store", store, "ASK {}"])
print(f"open + ASK {{}}: {seconds:.3f}s (target < 2 s)")
for command in [".stats", ".rank", ".why <http://kgrep.example/bench/place/北京>"]:
    seconds, rss = measured([kgrep, "repl", "--store", store, "-c", command])
    print(f"repl -c '{command}': {seconds:.3f}s, peak RSS {rss:.0f} MB")
PY
