#!/usr/bin/env bash
# The benchmark queries as jq programs (jq 1.6, one thread). Prints the answer as NDJSON.
#   benches/peers/jq_q.sh FILE Q4
set -euo pipefail
file=$1
case $2 in
  Q1) jq -n -c 'reduce inputs as $l (0; . + 1) | {"count(*)": .}' "$file" ;;
  Q2) jq -n -c 'reduce (inputs | select((.request.status // -1) >= 500)) as $l (0; . + 1) | {"count(*)": .}' "$file" ;;
  Q3) jq -c 'select(.level == "ERROR") | [.timestamp, .service, .message]' "$file" | sort -r | awk 'NR <= 20' |
      jq -c '{"@timestamp": .[0], service: .[1], message: .[2]}' ;;
  Q4) jq -n -c '[inputs | select(.request.latency_ms != null) | [.service, .request.latency_ms]]
      | group_by(.[0])[] | .[0][0] as $s | (map(.[1]) | sort) as $v | ($v | length) as $n
      | (0.99 * ($n - 1)) as $h | ($h | floor) as $lo
      | {service: $s, avg: (($v | add) / $n), max: $v[$n - 1],
         pct: ($v[$lo] + ($h - $lo) * (($v[([$lo + 1, $n - 1] | min)]) - $v[$lo]))}' "$file" ;;
  Q5) jq -n -c 'reduce (inputs | .timestamp | (.[0:14] + ((.[14:16] | tonumber / 5 | floor * 5) | tostring
        | if length < 2 then "0" + . else . end) + ":00.000Z")) as $b ({}; .[$b] = ((.[$b] // 0) + 1))
      | to_entries[] | {"bin(5m)": .key, "count(*)": .value}' "$file" ;;
  Q6) jq -n -c 'reduce (inputs | .request.path // empty) as $k ({}; .[$k] = ((.[$k] // 0) + 1))
      | to_entries | sort_by(-.value) | .[:10][] | {"request.path": .key, c: .value}' "$file" ;;
  Q7) jq -n -c 'reduce (inputs | select((.message // "") | test("timeout")) | .service) as $k
        ({}; .[$k] = ((.[$k] // 0) + 1)) | to_entries[] | {service: .key, "count(*)": .value}' "$file" ;;
  Q8) jq -n -c 'reduce (inputs | (.message // "") | capture("user (?<uid>.*?) logged in from (?<ip>.*)")) as $m
        ({}; .[$m.uid][$m.ip] = 1) | to_entries | map({uid: .key, ips: (.value | length)})
      | sort_by(-.ips) | .[:10][]' "$file" ;;
  Q9) jq -n -c 'reduce (inputs | .user_id // empty | tostring) as $u ({}; .[$u] = 1) | {"count_distinct(user_id)": length}' "$file" ;;
  Q10) jq -n -c 'reduce (inputs | select((.request.headers.user_agent // "") | test("bot"))) as $l
        ({}; .[$l.request.headers.user_agent] |= ((. // {c: 0, b: 0}) | .c += 1 | .b += ($l.request.bytes // 0)))
      | to_entries | sort_by(-.value.c)[] | {"request.headers.user_agent": .key, c: .value.c, total_bytes: .value.b}' "$file" ;;
  *) echo "unknown query $2" >&2; exit 2 ;;
esac
