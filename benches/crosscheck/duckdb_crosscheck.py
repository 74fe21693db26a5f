#!/usr/bin/env python3
"""Cross-check lq's answers against DuckDB on the benchmark queries.

Runs each benchmark query (../queries in benches/queries.md) through the `lq` binary and the equivalent SQL through DuckDB over the same NDJSON file, and
compares the answers: strings exactly, numbers within a relative 1e-9 (percentiles 1e-6, since
DataFusion quantises the interpolation weight to 6 decimals), row order only where the query sorts.

    python3 benches/crosscheck/duckdb_crosscheck.py --lq target/debug/lq --data /tmp/logs.ndjson
"""
import argparse
import datetime as dt
import json
import math
import subprocess
import sys
import time

QUERIES = [
    ("Q1", "stats count(*)", "SELECT count(*) FROM logs", False, 1e-9),
    ("Q2", "filter request.status >= 500 | stats count(*)",
     "SELECT count(*) FROM logs WHERE request.status >= 500", False, 1e-9),
    ("Q3", 'filter level = "ERROR" | fields @timestamp, service, message | sort @timestamp desc | limit 20',
     "SELECT epoch_ms(timestamp), service, message FROM logs WHERE level = 'ERROR' ORDER BY timestamp DESC LIMIT 20",
     True, 1e-9),
    ("Q4", "stats avg(request.latency_ms), max(request.latency_ms), pct(request.latency_ms, 99) by service",
     "SELECT service, avg(request.latency_ms), max(request.latency_ms), quantile_cont(request.latency_ms, 0.99) "
     "FROM logs GROUP BY service", False, 1e-6),
    ("Q5", "stats count(*) by bin(5m)",
     "SELECT epoch_ms(time_bucket(INTERVAL 5 MINUTE, timestamp)) AS b, count(*) FROM logs GROUP BY b", False, 1e-9),
    ("Q6", "stats count(*) as c by request.path | sort c desc | limit 10",
     "SELECT request.path, count(*) AS c FROM logs GROUP BY request.path ORDER BY c DESC LIMIT 10", True, 1e-9),
    ("Q7", "filter message like /timeout/ | stats count(*) by service",
     "SELECT service, count(*) FROM logs WHERE regexp_matches(message, 'timeout') GROUP BY service", False, 1e-9),
    ("Q8", 'parse message "user * logged in from *" as uid, ip | stats count_distinct(ip) as ips by uid '
           '| sort ips desc | limit 10',
     "SELECT uid, count(DISTINCT ip) AS ips FROM (SELECT "
     "CASE WHEN regexp_matches(message, 'user (.*?) logged in from (.*)') "
     "THEN regexp_extract(message, 'user (.*?) logged in from (.*)', 1) END AS uid, "
     "CASE WHEN regexp_matches(message, 'user (.*?) logged in from (.*)') "
     "THEN regexp_extract(message, 'user (.*?) logged in from (.*)', 2) END AS ip FROM logs) "
     "GROUP BY uid ORDER BY ips DESC, TRY_CAST(uid AS BIGINT) ASC NULLS LAST, uid LIMIT 10", True, 1e-9),
    ("Q9", "stats count_distinct(user_id)", "SELECT count(DISTINCT user_id) FROM logs", False, 1e-9),
    ("Q10", "filter request.headers.user_agent like /bot/ | stats count(*) as c, sum(request.bytes) as total_bytes "
            "by request.headers.user_agent | sort c desc",
     "SELECT request.headers.user_agent AS ua, count(*) AS c, sum(request.bytes) FROM logs "
     "WHERE regexp_matches(request.headers.user_agent, 'bot') GROUP BY ua ORDER BY c DESC", True, 1e-9),
]


def lq_value(v):
    """lq prints timestamps as 'YYYY-MM-DD HH:MM:SS.mmm' (UTC): compare them as epoch ms. Aggregates
    of log fields (min/max) come back as the field's text: compare numeric text as numbers."""
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            pass
        try:
            t = dt.datetime.strptime(v, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=dt.timezone.utc)
            return int(round(t.timestamp() * 1000))
        except ValueError:
            return v
    return v


def same(a, b, tol):
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=tol, abs_tol=1e-12)
    return a == b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lq", required=True)
    ap.add_argument("--data", required=True)
    args = ap.parse_args()
    import duckdb

    con = duckdb.connect()
    con.execute(
        f"CREATE VIEW logs AS SELECT * FROM read_json('{args.data}', format='newline_delimited', "
        "sample_size=-1, timestampformat='%Y-%m-%dT%H:%M:%S.%gZ')")
    failures = 0
    for qid, lq_query, sql, ordered, tol in QUERIES:
        t0 = time.time()
        out = subprocess.run([args.lq, "--format", "ndjson", "--quiet", lq_query, args.data],
                             capture_output=True, text=True, check=True).stdout
        t1 = time.time()
        lq_rows = [tuple(lq_value(v) for v in json.loads(line).values()) for line in out.splitlines() if line]
        # Text extracted by parse is compared like lq's output: numeric text as a number.
        duck_rows = [tuple(lq_value(v) if isinstance(v, str) else v for v in r)
                     for r in con.execute(sql).fetchall()]
        t2 = time.time()
        if not ordered:
            lq_rows.sort(key=repr)
            duck_rows.sort(key=repr)
        ok = len(lq_rows) == len(duck_rows) and all(
            len(a) == len(b) and all(same(x, y, tol) for x, y in zip(a, b)) for a, b in zip(lq_rows, duck_rows))
        print(f"{qid}: {'ok' if ok else 'MISMATCH'} ({len(lq_rows)} rows; lq {t1 - t0:.2f}s, duckdb {t2 - t1:.2f}s)")
        if not ok:
            failures += 1
            for a, b in list(zip(lq_rows, duck_rows))[:5]:
                print(f"   lq     {a}\n   duckdb {b}")
    print("all answers match" if failures == 0 else f"{failures} queries differ")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
