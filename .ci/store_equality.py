#!/usr/bin/env python3
"""The benchmark queries over a log file and over a store made from it by `lq ingest`: every answer
must be the same, byte for byte.

Usage: store_equality.py --lq target/debug/lq --data FILE --store DIR
"""

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
QUERIES = os.path.join(os.path.dirname(HERE), "benches", "queries", "bench.lq")


def run(args):
    p = subprocess.run(args, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{p.stderr}")
    return p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lq", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--store", required=True)
    a = ap.parse_args()
    print(run([a.lq, "ingest", "--quiet", "--store", a.store, "--group", "bench", a.data]), end="")
    checked = 0
    for line in open(QUERIES):
        if not line.strip() or line.startswith("#"):
            continue
        qid, query = line.rstrip("\n").split("\t", 1)
        files = run([a.lq, "--format", "csv", "--quiet", query, a.data])
        store = run([a.lq, "--format", "csv", "--quiet", "--store", a.store, query])
        if files != store:
            sys.exit(f"{qid}: the store answers differently\n--- file\n{files}\n--- store\n{store}")
        checked += 1
    if checked < 10:
        sys.exit(f"only {checked} queries found in {QUERIES}")
    print(f"store equality: {checked} benchmark queries answer the same over the file and the store")


if __name__ == "__main__":
    main()
