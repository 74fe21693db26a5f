#!/usr/bin/env python3
"""Real AWS clients against `lq serve`: boto3 and the aws CLI create a group and streams, put
events, run Logs Insights queries (compared with the `lq` command over the same store), read and
filter events, tail them, and are refused with wrong credentials; raw requests probe the signature
checks, oversize bodies and path traversal. With --load SECONDS, many clients query and put at once
and every accepted event must be queryable afterwards.

Usage: aws_clients.py --lq target/debug/lq [--aws aws] [--load 20]
Exits non-zero on the first wrong answer. Everything runs on 127.0.0.1 and stops by itself.
"""
import argparse
import csv
import io
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import boto3
import botocore
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

KEY, SECRET = "AKIDLQSERVETEST", "lq-serve-test-secret"
GROUP = "/lq/test/app"
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)
        raise SystemExit(1)
    print("ok:", what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(lq, store, logs, extra=(), scheme="http"):
    port = free_port()
    env = dict(os.environ, LQ_SERVE_ACCESS_KEY_ID=KEY, LQ_SERVE_SECRET_ACCESS_KEY=SECRET)
    proc = subprocess.Popen(
        [lq, "serve", "--listen", f"127.0.0.1:{port}", "--store", store, "--logs", logs, *extra],
        env=env, stderr=subprocess.PIPE, text=True)
    url = f"{scheme}://127.0.0.1:{port}"
    import ssl
    insecure = ssl._create_unverified_context()
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/", timeout=1, context=insecure).read()
            return proc, url
        except Exception:
            if proc.poll() is not None:
                raise SystemExit(f"lq serve exited: {proc.stderr.read()}")
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("lq serve did not start within 30 s")


def client(url, key=KEY, secret=SECRET, verify=None):
    return boto3.client(
        "logs", endpoint_url=url, region_name="us-east-1", verify=verify,
        aws_access_key_id=key, aws_secret_access_key=secret,
        config=botocore.config.Config(retries={"max_attempts": 1}))


def error_code(fn):
    try:
        fn()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


def make_events(now_ms, n=300):
    services = ["cart", "search", "checkout"]
    events = []
    for i in range(n):
        t = now_ms - (n - i) * 1000
        if i % 10 == 7:
            msg = f"user u{i % 13} logged in from 10.0.{i % 5}.{i % 7}"
        else:
            level = "ERROR" if i % 9 == 0 else ("WARN" if i % 4 == 0 else "INFO")
            msg = json.dumps({"level": level, "service": services[i % 3],
                              "latency_ms": (i * 37) % 1000, "msg": f"request {i} done"})
        events.append({"timestamp": t, "message": msg})
    return events


def run_query(logs, query, start, end, groups=(GROUP,)):
    qid = logs.start_query(logGroupNames=list(groups), startTime=start, endTime=end,
                           queryString=query)["queryId"]
    for _ in range(600):
        r = logs.get_query_results(queryId=qid)
        if r["status"] not in ("Scheduled", "Running"):
            return qid, r
        time.sleep(0.05)
    raise SystemExit(f"query {query!r} did not finish in 30 s")


def lq_rows(lq, store, query, start, end):
    out = subprocess.run(
        [lq, "--store", store, "--format", "csv", "--start", str(start), "--end", str(end), query],
        capture_output=True, text=True, check=True).stdout
    return [dict(r) for r in csv.DictReader(io.StringIO(out))]


def api_rows(result):
    return [{f["field"]: f["value"] for f in row if f["field"] != "@ptr"} for row in result["results"]]


def same_rows(api, cli):
    norm = lambda rows: sorted(json.dumps({k: v for k, v in r.items() if v != ""}, sort_keys=True) for r in rows)
    return norm(api) == norm(cli)


def signed(url, target, body, key=KEY, secret=SECRET, when=None):
    req = AWSRequest(method="POST", url=url + "/", data=body,
                     headers={"X-Amz-Target": f"Logs_20140328.{target}",
                              "Content-Type": "application/x-amz-json-1.1"})
    auth = SigV4Auth(Credentials(key, secret), "logs", "us-east-1")
    if when is not None:
        import datetime
        real = datetime.datetime

        class Fixed(real):
            @classmethod
            def utcnow(cls):
                return when

            @classmethod
            def now(cls, tz=None):
                return when if tz is None else when.replace(tzinfo=tz)

        import botocore.auth as ba
        old = ba.datetime.datetime
        ba.datetime.datetime = Fixed
        try:
            auth.add_auth(req)
        finally:
            ba.datetime.datetime = old
    else:
        auth.add_auth(req)
    return req


def post(url, req_or_headers, body):
    headers = dict(req_or_headers.headers) if hasattr(req_or_headers, "headers") else req_or_headers
    r = urllib.request.Request(url + "/", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(r, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def functional(lq, aws, url, store):
    logs = client(url)
    now_ms = int(time.time() * 1000)
    logs.create_log_group(logGroupName=GROUP)
    check(error_code(lambda: logs.create_log_group(logGroupName=GROUP)) == "ResourceAlreadyExistsException",
          "creating a group twice is refused")
    for s in ("web-1", "web-2"):
        logs.create_log_stream(logGroupName=GROUP, logStreamName=s)
    check(error_code(lambda: logs.create_log_stream(logGroupName=GROUP, logStreamName="web-1"))
          == "ResourceAlreadyExistsException", "creating a stream twice is refused")
    check(error_code(lambda: logs.put_log_events(logGroupName=GROUP, logStreamName="nope",
                                                 logEvents=[{"timestamp": now_ms, "message": "x"}]))
          == "ResourceNotFoundException", "events to a missing stream are refused")
    events = make_events(now_ms)
    logs.put_log_events(logGroupName=GROUP, logStreamName="web-1", logEvents=events[:200])
    logs.put_log_events(logGroupName=GROUP, logStreamName="web-2", logEvents=events[200:])
    day = 86_400_000
    r = logs.put_log_events(logGroupName=GROUP, logStreamName="web-2", logEvents=[
        {"timestamp": now_ms - 15 * day, "message": "too old"},
        {"timestamp": now_ms, "message": "just right"},
        {"timestamp": now_ms + 3 * 3_600_000, "message": "too new"}])
    check(r.get("rejectedLogEventsInfo") == {"tooNewLogEventStartIndex": 2, "tooOldLogEventEndIndex": 1},
          f"too old and too new events are rejected by index: {r.get('rejectedLogEventsInfo')}")
    check(error_code(lambda: logs.put_log_events(logGroupName=GROUP, logStreamName="web-1", logEvents=[
        {"timestamp": now_ms, "message": "b"}, {"timestamp": now_ms - 5, "message": "a"}]))
          == "InvalidParameterException", "events out of order are refused")
    total = len(events) + 1

    groups = logs.describe_log_groups(logGroupNamePrefix="/lq/")["logGroups"]
    check([g["logGroupName"] for g in groups] == [GROUP] and groups[0]["storedBytes"] > 0,
          "describe-log-groups lists the group with its bytes")
    streams = logs.describe_log_streams(logGroupName=GROUP)["logStreams"]
    check([s["logStreamName"] for s in streams] == ["web-1", "web-2"]
          and streams[0]["firstEventTimestamp"] == events[0]["timestamp"]
          and streams[0]["lastEventTimestamp"] == events[199]["timestamp"],
          "describe-log-streams gives each stream's first and last event")

    start, end = (now_ms - 3_600_000) // 1000, now_ms // 1000 + 60
    queries = [
        "stats count(*) as n by level",
        "filter level = 'ERROR' | fields @timestamp, service, latency_ms | sort @timestamp desc | limit 5",
        "stats avg(latency_ms) as avg, max(latency_ms) as max, pct(latency_ms, 90) as p90 by service",
        "parse @message 'user * logged in from *' as user, ip | filter ispresent(user) | stats count(*) as logins by ip | sort ip",
        "pattern @message | sort @sampleCount desc | limit 5",
        "filter @logStream = 'web-2' | stats count(*) as n",
        "fields @timestamp, @message | sort @timestamp asc | limit 3",
    ]
    for q in queries:
        _, r = run_query(logs, q, start, end)
        check(r["status"] == "Complete", f"{q!r} completes")
        cli = lq_rows(lq, store, q, start, end + 59)
        check(same_rows(api_rows(r), cli) and len(cli) > 0,
              f"{q!r}: boto3 gives the same {len(cli)} rows as lq")
    _, r = run_query(logs, "stats count(*) as n", start, end)
    check(api_rows(r) == [{"n": str(total)}], f"every accepted event is counted ({total})")
    check(r["statistics"]["recordsScanned"] == total, "recordsScanned counts the events")

    qid, r = run_query(logs, "fields @timestamp, @message, @logStream | sort @timestamp asc | limit 2", start, end)
    ptr = [f["value"] for f in r["results"][0] if f["field"] == "@ptr"][0]
    rec = logs.get_log_record(logRecordPointer=ptr)["logRecord"]
    check(rec["@message"] == events[0]["message"] and rec["level"] == json.loads(events[0]["message"])["level"]
          and rec["@logStream"] == "web-1", "get-log-record reads the record a @ptr names, fields flattened")
    check(logs.stop_query(queryId=qid)["success"] is False, "stopping a finished query says so")
    described = {q["queryId"] for q in logs.describe_queries(logGroupName=GROUP)["queries"]}
    check(qid in described, "describe-queries lists the queries")
    check(error_code(lambda: logs.start_query(logGroupName=GROUP, startTime=start, endTime=end,
                                              queryString="stats cout(*)")) == "MalformedQueryException",
          "a query with an error is refused with MalformedQueryException")
    check(error_code(lambda: logs.start_query(logGroupName="/no/such", startTime=start, endTime=end,
                                              queryString="stats count(*)")) == "ResourceNotFoundException",
          "a missing group is ResourceNotFoundException")

    # Events back, paged and filtered.
    got = logs.get_log_events(logGroupName=GROUP, logStreamName="web-1", startFromHead=True, limit=150)
    nxt = logs.get_log_events(logGroupName=GROUP, logStreamName="web-1", startFromHead=True, limit=150,
                              nextToken=got["nextForwardToken"])
    msgs = [e["message"] for e in got["events"] + nxt["events"]]
    check(msgs == [e["message"] for e in events[:200]], "get-log-events pages forward through a stream")
    tail = logs.get_log_events(logGroupName=GROUP, logStreamName="web-1", limit=10)
    check([e["message"] for e in tail["events"]] == [e["message"] for e in events[190:200]],
          "get-log-events without a token gives the newest events")
    def filtered(pattern, **kw):
        out, token = [], None
        while True:
            args = dict(logGroupName=GROUP, filterPattern=pattern, limit=50, **kw)
            if token:
                args["nextToken"] = token
            r = logs.filter_log_events(**args)
            out += [e["message"] for e in r["events"]]
            token = r.get("nextToken")
            if not token:
                return out
    all_msgs = [e["message"] for e in events] + ["just right"]
    def js(m):
        try:
            return json.loads(m)
        except ValueError:
            return None
    for pattern, expect in [
        ("", all_msgs),
        ("ERROR", [m for m in all_msgs if "ERROR" in m]),
        ("?ERROR ?WARN", [m for m in all_msgs if "ERROR" in m or "WARN" in m]),
        ('"logged in" -10.0.0', [m for m in all_msgs if "logged in" in m and "10.0.0" not in m]),
        ('{ $.level = "ERROR" && $.latency_ms > 500 }',
         [m for m in all_msgs if js(m) and js(m)["level"] == "ERROR" and js(m)["latency_ms"] > 500]),
        ("[user, name, logged, in, from, ip = 10.0.2.3*]",
         [m for m in all_msgs if m.startswith("user ") and m.split()[-1].startswith("10.0.2.3")]),
    ]:
        got = filtered(pattern)
        check(sorted(got) == sorted(expect) and len(set(got)) == len(got),
              f"filter-log-events {pattern!r}: {len(expect)} events, paged without repeats")
    only2 = filtered("", logStreamNames=["web-2"])
    check(len(only2) == 101, "filter-log-events by stream name")

    # The aws CLI.
    env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET, AWS_DEFAULT_REGION="us-east-1",
               AWS_PAGER="", AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    cli = lambda *a, **kw: subprocess.run([aws, "--endpoint-url", url, "logs", *a], env=env,
                                          capture_output=True, text=True, **kw)
    r = cli("describe-log-groups")
    check(r.returncode == 0 and GROUP in r.stdout, "aws logs describe-log-groups")
    r = cli("start-query", "--log-group-name", GROUP, "--start-time", str(start), "--end-time", str(end),
            "--query-string", "stats count(*) as n by @logStream | sort @logStream asc")
    check(r.returncode == 0, f"aws logs start-query: {r.stderr}")
    qid = json.loads(r.stdout)["queryId"]
    for _ in range(200):
        res = json.loads(cli("get-query-results", "--query-id", qid).stdout)
        if res["status"] == "Complete":
            break
        time.sleep(0.05)
    check(api_rows(res) == [{"@logStream": "web-1", "n": "200"}, {"@logStream": "web-2", "n": "101"}],
          f"aws logs start-query / get-query-results: {res}")
    r = cli("filter-log-events", "--log-group-name", GROUP, "--filter-pattern", "ERROR")
    check(r.returncode == 0 and len(json.loads(r.stdout)["events"]) == sum("ERROR" in m for m in all_msgs),
          "aws logs filter-log-events")
    r = cli("tail", GROUP, "--since", "2h", "--format", "short")
    check(r.returncode == 0 and r.stdout.count("\n") == total and "just right" in r.stdout,
          f"aws logs tail prints every event ({r.stdout.count(chr(10))} lines)")
    follower = subprocess.Popen([aws, "--endpoint-url", url, "logs", "tail", GROUP, "--follow", "--since", "1m",
                                 "--format", "short"], env=env, stdout=subprocess.PIPE, text=True)
    time.sleep(2)
    logs.put_log_events(logGroupName=GROUP, logStreamName="web-1",
                        logEvents=[{"timestamp": int(time.time() * 1000), "message": "followed event"}])
    total += 1
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(iter(follower.stdout.readline, "")), daemon=True)
    reader.start()
    deadline = time.time() + 20
    while time.time() < deadline and not any("followed event" in l for l in lines):
        time.sleep(0.5)
    seen = "".join(lines)
    follower.terminate()
    follower.wait(timeout=10)
    check("followed event" in seen, "aws logs tail --follow prints an event put after it started")

    # Wrong credentials and bad signatures.
    check(error_code(lambda: client(url, secret="wrong").describe_log_groups()) == "InvalidSignatureException",
          "a wrong secret is refused (InvalidSignatureException)")
    check(error_code(lambda: client(url, key="AKIDUNKNOWN").describe_log_groups()) == "UnrecognizedClientException",
          "an unknown key is refused (UnrecognizedClientException)")
    r = subprocess.run(
        [aws, "--endpoint-url", url, "logs", "describe-log-groups"],
        env=dict(env, AWS_SECRET_ACCESS_KEY="wrong"), capture_output=True, text=True)
    check(r.returncode != 0 and "InvalidSignatureException" in r.stderr, "the aws CLI with a wrong secret is refused")
    body = b"{}"
    status, err = post(url, {"X-Amz-Target": "Logs_20140328.DescribeLogGroups"}, body)
    check(status == 400 and err["__type"] == "MissingAuthenticationTokenException", "an unsigned request is refused")
    import datetime
    old = signed(url, "DescribeLogGroups", body, when=datetime.datetime.utcnow() - datetime.timedelta(minutes=20))
    status, err = post(url, old, body)
    check(status == 400 and err["__type"] == "InvalidSignatureException" and "expired" in err["message"],
          "a request signed 20 minutes ago is refused (Signature expired)")
    fresh = signed(url, "DescribeLogGroups", body)
    status, _ = post(url, fresh, body)
    check(status == 200, "a signed raw request is answered")
    time.sleep(2.5)
    status, err = post(url, fresh, body)
    check(status == 400 and "replayed" in err["message"], "the same signed request sent again 2.5 s later is refused")
    tampered = signed(url, "DescribeLogGroups", body)
    status, err = post(url, tampered, b'{"limit": 1}')
    check(status == 400 and err["__type"] == "InvalidSignatureException", "a body changed after signing is refused")
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5242880\r\n\r\n" + b"a" * 1000)
        reply = s.recv(4096).decode(errors="replace")
    check(reply.startswith("HTTP/1.1 413") and "RequestEntityTooLargeException" in reply,
          "a 5 MiB body is refused before it is read")
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        try:
            for _ in range(6):
                s.sendall(b"100000\r\n" + b"a" * (1 << 20) + b"\r\n")
        except OSError:
            pass
        reply = s.recv(4096).decode(errors="replace")
    check(reply.startswith("HTTP/1.1 413"), "a chunked body past the limit is refused")
    t0 = time.time()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")
        reply = s.recv(4096)
    check(time.time() - t0 < 15, f"a connection that never finishes its headers is closed ({time.time() - t0:.0f} s)")
    bad = b'{"logGroupNamePrefix": '
    status, err = post(url, signed(url, "DescribeLogGroups", bad), bad)
    check(status == 400 and err["__type"] == "SerializationException", "a malformed JSON body is refused")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        half = signed(url, "PutLogEvents", b"{}")
        head = "".join(f"{k}: {v}\r\n" for k, v in half.headers.items())
        s.sendall(f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 1000\r\n{head}\r\n".encode() + b'{"logGroupName"')
    check(client(url).describe_log_groups()["logGroups"] is not None,
          "a client that disconnects mid-body leaves the server serving")
    for name in ["../../etc", "/../../../etc/passwd", "app/../../x"]:
        code = error_code(lambda: logs.start_query(logGroupName=name, startTime=start, endTime=end,
                                                   queryString="stats count(*)"))
        check(code in ("ResourceNotFoundException", "InvalidParameterException"),
              f"the group {name!r} reaches nothing outside the served directories ({code})")
    _, r = run_query(logs, "stats count(*) as n", start, end, groups=("served",))
    check(api_rows(r) == [{"n": "3"}], "a group of a log directory is queried from its files")

    # Retention and deletion.
    logs.put_retention_policy(logGroupName=GROUP, retentionInDays=7)
    g = logs.describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"][0]
    check(g.get("retentionInDays") == 7, "put-retention-policy is kept")
    check(error_code(lambda: logs.put_retention_policy(logGroupName=GROUP, retentionInDays=8))
          == "InvalidParameterException", "a retention period the service does not offer is refused")
    return logs, total


def load(url, store, seconds, lq, proc):
    """32 clients querying and 8 putting for `seconds`; every accepted event must be counted after."""
    logs = client(url)
    group = "/lq/test/load"
    logs.create_log_group(logGroupName=group)
    for i in range(8):
        logs.create_log_stream(logGroupName=group, logStreamName=f"w{i}")
    stop = time.time() + seconds
    accepted = [0] * 8
    latencies, errors, wrong = [], [], []
    lock = threading.Lock()
    peak = [0]

    def putter(i):
        c = client(url)
        n = 0
        while time.time() < stop:
            batch = [{"timestamp": int(time.time() * 1000), "message": json.dumps({"w": i, "n": n + k, "level": "INFO"})}
                     for k in range(50)]
            try:
                c.put_log_events(logGroupName=group, logStreamName=f"w{i}", logEvents=batch)
                n += 50
                accepted[i] = n
            except Exception as e:
                with lock:
                    errors.append(f"put: {e}")

    def querier(i):
        c = client(url)
        q = ["stats count(*) as n by @logStream", "filter w = 3 | stats max(n) as top",
             "fields @timestamp, @message | sort @timestamp desc | limit 20"][i % 3]
        while time.time() < stop:
            t0 = time.time()
            try:
                _, r = run_query(c, q, int(time.time()) - 3600, int(time.time()) + 60, groups=(group,))
                with lock:
                    latencies.append(time.time() - t0)
                    if r["status"] != "Complete":
                        wrong.append(r["status"])
            except ClientError as e:
                code = e.response["Error"]["Code"]
                if code != "LimitExceededException":
                    with lock:
                        errors.append(f"query: {code}")
                time.sleep(0.05)

    def sampler():
        while time.time() < stop + 1:
            try:
                with open(f"/proc/{proc.pid}/status") as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            peak[0] = max(peak[0], int(line.split()[1]) * 1024)
            except OSError:
                pass
            time.sleep(0.2)

    threads = [threading.Thread(target=putter, args=(i,)) for i in range(8)]
    threads += [threading.Thread(target=querier, args=(i,)) for i in range(32)]
    threads.append(threading.Thread(target=sampler))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _, r = run_query(logs, "stats count(*) as n by @logStream | sort @logStream asc", int(time.time()) - 3600,
                     int(time.time()) + 60, groups=(group,))
    counted = {row["@logStream"]: int(row["n"]) for row in api_rows(r)}
    expected = {f"w{i}": accepted[i] for i in range(8) if accepted[i]}
    lat = sorted(latencies)
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")
    print(f"load: {seconds} s, {sum(accepted)} events accepted by 8 putters, {len(lat)} queries by 32 clients, "
          f"p50 {p(0.5) * 1000:.0f} ms, p99 {p(0.99) * 1000:.0f} ms, peak RSS {peak[0] >> 20} MiB, "
          f"{len(errors)} errors, {len(wrong)} queries not complete")
    check(not errors, f"no request failed under load ({errors[:3]})")
    check(not wrong, "every query under load completed")
    check(counted == expected, f"every accepted event is queryable after the load ({sum(accepted)})")
    check(peak[0] < 1024 << 20, f"the server's memory stays under --memory-mb 1024 ({peak[0] >> 20} MiB)")
    return sum(accepted)


def tls_check(lq, store, logs, tmp):
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    proc, url = start_server(lq, store, logs, ["--tls-cert", cert, "--tls-key", key], scheme="https")
    try:
        names = [g["logGroupName"] for g in client(url, verify=cert).describe_log_groups()["logGroups"]]
        check(GROUP in names, "over TLS (--tls-cert, --tls-key) boto3 verifies the certificate and is answered")
        plain = url.replace("https://", "http://")
        try:
            client(plain).describe_log_groups()
            answered = True
        except Exception:
            answered = False
        check(not answered, "plain HTTP to the TLS port gets no answer")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=40)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lq", required=True)
    ap.add_argument("--aws", default=shutil.which("aws") or "aws")
    ap.add_argument("--load", type=float, default=0)
    a = ap.parse_args()
    lq = os.path.abspath(a.lq)
    with tempfile.TemporaryDirectory() as tmp:
        store = os.path.join(tmp, "store")
        served = os.path.join(tmp, "logs", "served")
        os.makedirs(served)
        with open(os.path.join(served, "a.log"), "w") as f:
            t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
            f.write(f'{{"timestamp":"{t}","level":"INFO"}}\n{{"timestamp":"{t}","level":"ERROR"}}\n'
                    f'{t} plain text line\n')
        with open(os.path.join(tmp, "secret.txt"), "w") as f:
            f.write("not to be served\n")
        proc, url = start_server(lq, store, os.path.join(tmp, "logs"), ["--memory-mb", "1024", "--request-timeout", "5"])
        try:
            _, total = functional(lq, a.aws, url, store)
            loaded = load(url, store, a.load, lq, proc) if a.load else 0
            # Still serving after all of it.
            check(client(url).describe_log_groups()["logGroups"] is not None, "the server still answers")
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
                failures.append("lq serve did not stop within 40 s of SIGTERM")
        check(proc.returncode == 0, f"lq serve stops cleanly on SIGTERM (exit {proc.returncode})")
        # After the shutdown the store is whole: lq reads every acknowledged event.
        n = lq_rows(lq, store, "stats count(*) as n", int(time.time()) - 7200, int(time.time()) + 7200)
        check(n == [{"n": str(total + loaded)}], f"after SIGTERM the store holds every acknowledged event ({n})")
        tls_check(lq, store, os.path.join(tmp, "logs"), tmp)
    print("all client checks passed")


if __name__ == "__main__":
    main()
