#!/usr/bin/env bash
# Pushing a store to a SPARQL server (issue 12), side by side in one run:
#   curl -T of the store's N-Quads export into `oxigraph serve` (its /store
#   endpoint: a bulk load of a file, no replacement semantics), and
#   `kgrep push` of the same store into a fresh `oxigraph serve` (documents
#   replaced exactly, facts kept in step with their supports), and the same
#   with --graph-store (each graph PUT through the Graph Store Protocol).
# The store: bench/dense.kgr over People's Daily (the corpus the fetch script gets).
#
# Usage: bench/push.sh   (KGREP_NO_BUILD=1 skips `cargo build --release`)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kgrep-target}"
corpus=$(bash ../shared/corpus/fetch-bench-corpus.sh 2>/dev/null | tail -n 1)
[ -n "${KGREP_NO_BUILD:-}" ] || cargo build --release --quiet
kgrep="$CARGO_TARGET_DIR/release/kgrep"
command -v oxigraph >/dev/null || python3 -m pip install -q oxigraph >&2
work=$(mktemp -d)
servers=()
trap 'for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"' EXIT
mkdir -p "$work/docs"
cp "$corpus/zh/pd199801.txt" "$work/docs/pd.txt"
"$kgrep" build -q -r bench/dense.kgr "$work/docs" --store "$work/store"
"$kgrep" export --store "$work/store" -f nquads -o "$work/all.nq" 2>/dev/null
quads=$(wc -l < "$work/all.nq")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
serve() {
  local port=$1
  oxigraph serve --location "$work/server-$port" --bind "127.0.0.1:$port" >/dev/null 2>&1 &
  servers+=("$!")
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/query?query=ASK%7B%7D" >/dev/null 2>&1 && return
    sleep 0.1
  done
  echo "oxigraph serve did not start" >&2; exit 1
}
seconds() { python3 -c 'import sys,time; t=time.perf_counter(); import subprocess; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); print(f"{time.perf_counter()-t:.2f}")' "$@"; }

a=$(free_port); serve "$a"
curl_s=$(seconds curl -fs -X POST -H 'Content-Type: application/n-quads' -T "$work/all.nq" "http://127.0.0.1:$a/store")
b=$(free_port); serve "$b"
push_s=$(seconds "$kgrep" push "http://127.0.0.1:$b/query" --store "$work/store")
again_s=$(seconds "$kgrep" push "http://127.0.0.1:$b/query" --store "$work/store")
c=$(free_port); serve "$c"
gsp_s=$(seconds "$kgrep" push "http://127.0.0.1:$c/query" --graph-store "http://127.0.0.1:$c/store" --store "$work/store")
count() { curl -fs -H 'Accept: text/csv' --data-urlencode "query=$2" "http://127.0.0.1:$1/query" | tail -n 1 | tr -d '\r'; }
all='SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } FILTER(?g != <urn:kgrep:meta> && ?g != <urn:kgrep:recipe>) } }'
printf 'store: %s quads (N-Quads export, with prefixes and recipe)\n' "$quads"
printf 'curl -T all.nq into oxigraph serve: %ss (%s quads/s); server holds %s quads\n' "$curl_s" "$(python3 -c "print(round($quads/$curl_s))")" "$(count "$a" "$all")"
printf 'kgrep push into oxigraph serve:     %ss (%s quads/s); server holds %s quads\n' "$push_s" "$(python3 -c "print(round($quads/$push_s))")" "$(count "$b" "$all")"
printf 'kgrep push again (nothing changed): %ss\n' "$again_s"
printf 'kgrep push --graph-store (GSP PUT a graph a request): %ss (%s quads/s); server holds %s quads\n' "$gsp_s" "$(python3 -c "print(round($quads/$gsp_s))")" "$(count "$c" "$all")"
