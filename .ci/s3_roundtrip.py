#!/usr/bin/env python3
"""The store on S3, offline: a local S3 server (moto, on 127.0.0.1), `lq ingest` into a bucket and
queries from it, compared with the same queries over the files; then the same through a proxy that
drops connections (lq retries and succeeds), and through one that drops every connection (lq fails
with a clear error and leaves no object half-written).

Usage: s3_roundtrip.py --lq target/debug/lq --python VENV_PYTHON
Every server it starts is stopped when it ends; every wait is bounded.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
QUERIES = [
    "stats count(*) as n by level | sort level",
    "filter status >= 500 | stats count(*) as n by service | sort service",
    "stats avg(latency_ms) as a, max(latency_ms) as m by service | sort service",
    "fields @timestamp, service, message | sort @timestamp desc | limit 5",
]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(port, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"no server on 127.0.0.1:{port} after {seconds} s")


class Proxy(threading.Thread):
    """Forwards 127.0.0.1:listen to 127.0.0.1:target, closing every `drop_every`-th connection
    at once (every one when drop_every is 1)."""

    def __init__(self, target, drop_every):
        super().__init__(daemon=True)
        self.target, self.drop_every = target, drop_every
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.count = 0
        self.dropped = 0

    def run(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            self.count += 1
            if self.count % self.drop_every == 0:
                self.dropped += 1
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target), timeout=30)
            except OSError:
                client.close()
                continue
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=pipe, args=(a, b), daemon=True).start()


def pipe(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def lq(binary, args, env, check=True):
    p = subprocess.run([binary] + args, env=env, capture_output=True, text=True, timeout=300)
    if check and p.returncode != 0:
        sys.exit(f"lq {' '.join(args)} failed ({p.returncode}):\n{p.stderr}")
    return p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lq", required=True)
    ap.add_argument("--python", default=sys.executable, help="a Python with moto[server] and boto3")
    args = ap.parse_args()
    port = free_port()
    server = subprocess.Popen(
        [args.python, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(port)
        env = dict(os.environ)
        env.update(
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_REGION="us-east-1",
            AWS_ALLOW_HTTP="true",
            AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
        )
        env.pop("LQ_CONFIG", None)
        subprocess.run(
            [args.python, "-c",
             "import boto3,sys; boto3.client('s3', endpoint_url=sys.argv[1]).create_bucket(Bucket='logs')",
             env["AWS_ENDPOINT_URL"]],
            env=env, check=True, timeout=60,
        )
        app = os.path.join(ROOT, "testdata/logs/app.ndjson")
        service = os.path.join(ROOT, "testdata/logs/service.ndjson")
        store = "s3://logs/prod"
        out = lq(args.lq, ["ingest", "--store", store, "--group", "app", app], env)
        print(out.stderr.strip())
        for q in QUERIES:
            want = lq(args.lq, ["--format", "csv", q, app], env).stdout
            got = lq(args.lq, ["--format", "csv", "--store", store, q], env).stdout
            if got != want:
                sys.exit(f"S3 store answers differ for {q!r}:\n--- files\n{want}\n--- store\n{got}")
        # Re-running appends nothing.
        again = lq(args.lq, ["ingest", "--store", store, "--group", "app", app], env)
        if "ingested 0 records" not in again.stderr:
            sys.exit(f"a second ingest wrote records again:\n{again.stderr}")
        print(lq(args.lq, ["store", "ls", "--store", store], env).stdout.strip())

        # A server that drops one connection in three: retried, same answers. Several rounds,
        # since which request meets a dropped connection varies from run to run.
        want = lq(args.lq, ["--format", "csv", "stats count(*) as n", service], env).stdout
        for round in range(5):
            flaky = Proxy(port, 3)
            flaky.start()
            env_flaky = dict(env, AWS_ENDPOINT_URL=f"http://127.0.0.1:{flaky.port}")
            group = f"svc-{round}"
            lq(args.lq, ["ingest", "--store", store, "--group", group, service], env_flaky)
            query = f"SOURCE '{group}' | stats count(*) as n"
            got = lq(args.lq, ["--format", "csv", "--store", store, query], env_flaky).stdout
            if got != want or flaky.dropped == 0:
                sys.exit(f"through a flaky server: {got!r} vs {want!r}, {flaky.dropped} connections dropped")
            print(f"flaky server: {flaky.dropped} of {flaky.count} connections dropped, answers unchanged")

        # A server that drops everything: a clear error, and nothing half-written is visible.
        dead = Proxy(port, 1)
        dead.start()
        env_dead = dict(env, AWS_ENDPOINT_URL=f"http://127.0.0.1:{dead.port}")
        started = time.time()
        p = lq(args.lq, ["ingest", "--store", store, "--group", "dead", app], env_dead, check=False)
        if p.returncode == 0 or "s3://logs/prod" not in p.stderr and "prod" not in p.stderr:
            sys.exit(f"an unreachable store did not fail clearly ({p.returncode}):\n{p.stderr}")
        print(f"dead server: failed in {time.time() - started:.1f} s: {p.stderr.strip().splitlines()[0]}")
        listed = lq(args.lq, ["store", "ls", "--store", store], env).stdout
        if "dead" in listed:
            sys.exit(f"a failed ingest left files:\n{listed}")
        got = lq(args.lq, ["--format", "csv", "--store", store, "stats count(*) as n"], env).stdout
        print("S3 round trip passed:", got.strip().replace("\n", " "))
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
