#!/usr/bin/env python3
"""Writes checkout.ndjson, the log of the README's alarm example: 10:00-10:29 on 2024-03-15, 50
checkout requests a minute, 1 of them failing (2%); 2 failing (4%) at 10:08-10:11, four minutes;
3 failing (6%) at 10:18-10:22, five minutes; and search traffic, which fails often but is not
checkout. Deterministic: `python3 testdata/alarms/make_checkout.py` rewrites the same file."""

import json
import os
from datetime import datetime, timedelta, timezone

START = datetime(2024, 3, 15, 10, 0, tzinfo=timezone.utc)


def failures(minute):
    if 8 <= minute <= 11:
        return 2
    if 18 <= minute <= 22:
        return 3
    return 1


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "checkout.ndjson")
    with open(out, "w") as f:
        for minute in range(30):
            lines = []
            for i in range(50):
                t = START + timedelta(minutes=minute, milliseconds=i * 1200)
                status = 503 if i < failures(minute) else 200
                lines.append((t, {"service": "checkout", "request": {"status": status, "latency_ms": 80 + (i * 37) % 120}}))
            for i in range(10):
                t = START + timedelta(minutes=minute, milliseconds=i * 6000 + 300)
                lines.append((t, {"service": "search", "request": {"status": 500 if i % 2 else 200, "latency_ms": 40 + i}}))
            for t, record in sorted(lines, key=lambda x: x[0]):
                stamp = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
                f.write(json.dumps({"timestamp": stamp, **record}, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
