#!/usr/bin/env python3
"""The benchmark queries in DuckDB SQL, over the generator's schema given explicitly (DuckDB's
fastest form here), or over the Parquet files of an lq store (a directory made by `lq ingest`).
Prints the answer as NDJSON, one row per line, columns in lq's order.

    python3 benches/peers/duckdb_q.py FILE Q4
    python3 benches/peers/duckdb_q.py STORE_DIR Q4
"""
import json
import os
import sys

import duckdb

COLUMNS = ("{timestamp: 'TIMESTAMP', level: 'VARCHAR', service: 'VARCHAR', message: 'VARCHAR', "
           "user_id: 'BIGINT', request: 'STRUCT(path VARCHAR, status BIGINT, latency_ms DOUBLE, "
           "bytes BIGINT, headers STRUCT(user_agent VARCHAR))'}")

STORE_VIEW = """CREATE VIEW logs AS SELECT "@timestamp" AS timestamp, level, service, message,
  TRY_CAST(user_id AS BIGINT) AS user_id,
  {{'path': "request.path", 'status': TRY_CAST("request.status" AS BIGINT),
    'latency_ms': TRY_CAST("request.latency_ms" AS DOUBLE), 'bytes': TRY_CAST("request.bytes" AS BIGINT),
    'headers': {{'user_agent': "request.headers.user_agent"}}}} AS request
  FROM read_parquet('{files}', union_by_name=true)"""

SQL = {
    "Q1": "SELECT count(*) FROM logs",
    "Q2": "SELECT count(*) FROM logs WHERE request.status >= 500",
    "Q3": "SELECT epoch_ms(timestamp), service, message FROM logs WHERE level = 'ERROR' "
          "ORDER BY timestamp DESC LIMIT 20",
    "Q4": "SELECT service, avg(request.latency_ms), max(request.latency_ms), "
          "quantile_cont(request.latency_ms, 0.99) FROM logs GROUP BY service",
    "Q5": "SELECT epoch_ms(time_bucket(INTERVAL 5 MINUTE, timestamp)) AS b, count(*) FROM logs GROUP BY b",
    "Q6": "SELECT request.path, count(*) AS c FROM logs GROUP BY request.path ORDER BY c DESC LIMIT 10",
    "Q7": "SELECT service, count(*) FROM logs WHERE regexp_matches(message, 'timeout') GROUP BY service",
    "Q8": "SELECT uid, count(DISTINCT ip) AS ips FROM (SELECT "
          "regexp_extract(message, 'user (.*?) logged in from (.*)', 1) AS uid, "
          "regexp_extract(message, 'user (.*?) logged in from (.*)', 2) AS ip FROM logs "
          "WHERE regexp_matches(message, 'user (.*?) logged in from (.*)')) "
          "GROUP BY uid ORDER BY ips DESC LIMIT 10",
    "Q9": "SELECT count(DISTINCT user_id) FROM logs",
    "Q10": "SELECT request.headers.user_agent AS ua, count(*) AS c, sum(request.bytes) FROM logs "
           "WHERE regexp_matches(request.headers.user_agent, 'bot') GROUP BY ua ORDER BY c DESC",
}


def main():
    path, qid = sys.argv[1], sys.argv[2]
    con = duckdb.connect()
    if os.path.isdir(path):
        # An lq store (`lq ingest`): its Parquet files, the flattened columns put back in shape.
        con.execute(STORE_VIEW.format(files=os.path.join(path, "group=*", "*", "*", "*.parquet")))
    else:
        con.execute(
            f"CREATE VIEW logs AS SELECT * FROM read_json('{path}', format='newline_delimited', "
            f"columns={COLUMNS}, timestampformat='%Y-%m-%dT%H:%M:%S.%gZ')")
    cur = con.execute(SQL[qid])
    names = [d[0] for d in cur.description]
    out = sys.stdout
    for row in cur.fetchall():
        out.write(json.dumps(dict(zip(names, row)), default=str) + "\n")


if __name__ == "__main__":
    main()
