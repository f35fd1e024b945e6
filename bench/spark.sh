#!/usr/bin/env bash
# Extraction on Spark (issue 12) next to one machine, in one run: People's
# Daily ×10 cut into documents of 20 lines, as JSON lines, with the example
# rules, N-Quads with provenance —
#   kgrep extract --input jsonl -j1 and -j2 (release build), and
#   kgrep.spark.extract on Spark local[2] (release wheel): start-up and a
#   first (cold) job, then the same job again on the warm session.
# The sorted outputs are checked equal.
#
# Usage: bench/spark.sh   (KGREP_NO_BUILD=1 skips the release builds)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kgrep-target}"
corpus=$(bash ../shared/corpus/fetch-bench-corpus.sh 2>/dev/null | tail -n 1)
if [ -z "${KGREP_NO_BUILD:-}" ]; then
  cargo build --release --quiet
  rm -rf "$CARGO_TARGET_DIR/wheels"
  python3 -m maturin build --release --quiet 2>&1 | tail -n 1 >&2
  python3 -m pip install -q --force-reinstall --no-deps "$CARGO_TARGET_DIR"/wheels/kgrep-*.whl
fi
kgrep="$CARGO_TARGET_DIR/release/kgrep"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$corpus/zh/pd199801.txt" "$work/pd.jsonl" <<'PY'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for copy in range(10):
        for start in range(0, len(lines), 20):
            text = "\n".join(lines[start:start + 20]) + "\n"
            out.write(json.dumps({"id": f"{copy}/{start}", "text": text}, ensure_ascii=False) + "\n")
PY
bytes=$(python3 -c "import json,sys; print(sum(len(json.loads(l)['text'].encode()) for l in open(sys.argv[1], encoding='utf-8')))" "$work/pd.jsonl")
docs=$(wc -l < "$work/pd.jsonl")
seconds() { python3 -c 'import sys,time,subprocess; t=time.perf_counter(); subprocess.run(sys.argv[2:], check=True, stdout=open(sys.argv[1],"wb"), stderr=subprocess.DEVNULL); print(f"{time.perf_counter()-t:.2f}")' "$@"; }
one=$(seconds "$work/one.nq" "$kgrep" extract -q -j1 --input jsonl -f nquads --provenance -r examples/zh/news.kgr "$work/pd.jsonl")
two=$(seconds "$work/two.nq" "$kgrep" extract -q -j2 --input jsonl -f nquads --provenance -r examples/zh/news.kgr "$work/pd.jsonl")
SPARK_LOCAL_IP=127.0.0.1 PYSPARK_PYTHON="$(command -v python3)" python3 - "$work" <<'PY' 2>/dev/null
import os, sys, time
work = sys.argv[1]
started = time.perf_counter()
from pyspark.sql import SparkSession
from kgrep.spark import extract
spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
         .config("spark.sql.files.maxPartitionBytes", str(16 << 20))  # 4 tasks, not 1
         .config("spark.driver.host", "127.0.0.1").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
def run(output):
    documents = spark.read.schema("id STRING, text STRING").json(os.path.join(work, "pd.jsonl"))
    extract(documents, "examples/zh/news.kgr").write.mode("overwrite").text(os.path.join(work, output))
first = time.perf_counter()
run("spark-cold")
second = time.perf_counter()
run("spark")
done = time.perf_counter()
spark.stop()
with open(os.path.join(work, "spark.times"), "w") as out:
    out.write(f"{second - started:.2f} {second - first:.2f} {done - second:.2f}\n")
PY
read -r spark_total spark_cold spark_job < "$work/spark.times"
sort "$work/one.nq" > "$work/one.sorted"
cat "$work/spark"/part-* | sort > "$work/spark.sorted"
cmp -s "$work/one.sorted" "$work/spark.sorted" && same=yes || same=NO
mb=$(python3 -c "print(round($bytes/1e6, 1))")
printf "corpus: People's Daily x10, %s documents, %s MB; %s N-Quads lines\n" "$docs" "$mb" "$(wc -l < "$work/one.nq")"
printf 'kgrep extract -j1:                 %ss (%s MB/s)\n' "$one" "$(python3 -c "print(round($mb/$one))")"
printf 'kgrep extract -j2:                 %ss (%s MB/s)\n' "$two" "$(python3 -c "print(round($mb/$two))")"
printf 'Spark local[2], kgrep.spark:       %ss from start-up to the first job done (%ss that job), %ss a second run (%s MB/s)\n' "$spark_total" "$spark_cold" "$spark_job" "$(python3 -c "print(round($mb/$spark_job))")"
printf 'sorted Spark output equals kgrep extract -j1: %s\n' "$same"
