#!/usr/bin/env python3
"""The benchmark queries in ClickHouse SQL run by chDB, with the generator's schema given
explicitly. Prints the answer as NDJSON, one row per line.

    python3 benches/peers/chdb_q.py FILE Q4
"""
import sys

import chdb

STRUCTURE = ("timestamp DateTime64(3, \\'UTC\\'), level Nullable(String), service Nullable(String), "
             "message Nullable(String), user_id Nullable(Int64), request Tuple(path Nullable(String), "
             "status Nullable(Int64), latency_ms Nullable(Float64), bytes Nullable(Int64), "
             "headers Tuple(user_agent Nullable(String)))")

SQL = {
    "Q1": "SELECT count(*) FROM logs",
    "Q2": "SELECT count(*) FROM logs WHERE request.status >= 500",
    "Q3": "SELECT toUnixTimestamp64Milli(timestamp), service, message FROM logs WHERE level = 'ERROR' "
          "ORDER BY timestamp DESC LIMIT 20",
    "Q4": "SELECT service, avg(request.latency_ms), max(request.latency_ms), "
          "quantileExactInclusive(0.99)(request.latency_ms) FROM logs GROUP BY service",
    "Q5": "SELECT toUnixTimestamp(toStartOfInterval(timestamp, INTERVAL 5 MINUTE)) * 1000 AS b, count(*) "
          "FROM logs GROUP BY b",
    "Q6": "SELECT request.path AS p, count(*) AS c FROM logs GROUP BY p ORDER BY c DESC LIMIT 10",
    "Q7": "SELECT service, count(*) FROM logs WHERE match(message, 'timeout') GROUP BY service",
    "Q8": "SELECT g[1] AS uid, count(DISTINCT g[2]) AS ips FROM (SELECT "
          "extractGroups(message, 'user (.*?) logged in from (.*)') AS g FROM logs "
          "WHERE match(message, 'user (.*?) logged in from (.*)')) GROUP BY uid ORDER BY ips DESC LIMIT 10",
    "Q9": "SELECT count(DISTINCT user_id) FROM logs",
    "Q10": "SELECT request.headers.user_agent AS ua, count(*) AS c, sum(request.bytes) FROM logs "
           "WHERE match(request.headers.user_agent, 'bot') GROUP BY ua ORDER BY c DESC",
}


def main():
    path, qid = sys.argv[1], sys.argv[2]
    table = f"file('{path}', 'JSONEachRow', '{STRUCTURE}')"
    sql = SQL[qid].replace("FROM logs", f"FROM {table}")
    sql += " SETTINGS max_threads = 2, date_time_input_format = 'best_effort'"
    print(chdb.query(sql, "JSONEachRow"), end="")


if __name__ == "__main__":
    main()
