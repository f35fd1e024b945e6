"""The Hyperscan ceiling of issue 10, item 4: the rules' patterns
(`kgrep debug regex -r RULES`, one a line) compiled into one Hyperscan
database, without captures (Hyperscan reports where matches end), scanned
over each document whole. Prints `SECONDS MATCHES COMPILED/TOTAL`: the best
of RUNS scans, compile time left out; patterns Hyperscan refuses are left
out and counted.

Usage: python3 bench/hs_baseline.py REGEXES.txt DOCUMENT... (PyPI `hyperscan`)
"""

import os
import sys
import time

import hyperscan


def main() -> None:
    lines = [l for l in open(sys.argv[1], encoding="utf-8").read().split("\n") if l.strip()]
    flags = hyperscan.HS_FLAG_UTF8 | hyperscan.HS_FLAG_UCP | hyperscan.HS_FLAG_ALLOWEMPTY
    usable = []
    for line in lines:
        try:
            db = hyperscan.Database()
            db.compile(expressions=[line.encode()], flags=[flags])
            usable.append(line.encode())
        except hyperscan.error:
            pass
    database = hyperscan.Database()
    database.compile(expressions=usable, ids=list(range(len(usable))), flags=[flags] * len(usable))
    texts = [open(path, "rb").read() for path in sys.argv[2:]]
    count = 0

    def on_match(pattern, start, end, flags, context):
        nonlocal count
        count += 1

    best = None
    for _ in range(int(os.environ.get("RUNS", "3"))):
        count = 0
        began = time.perf_counter()
        for text in texts:
            database.scan(text, match_event_handler=on_match)
        elapsed = time.perf_counter() - began
        best = elapsed if best is None else min(best, elapsed)
    print(f"{best:.3f} {count} {len(usable)}/{len(lines)}")


if __name__ == "__main__":
    main()
