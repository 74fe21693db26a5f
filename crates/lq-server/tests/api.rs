//! The server in-process, called with requests signed by the AWS signer: signatures checked (wrong
//! secret, old date, replay, changed body), the query lifecycle (limit of queries at once, StopQuery,
//! timeout) and events written, queried and filtered.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use lq_server::{Credentials, ServeOptions};
use serde_json::{Value, json};

const KEY: &str = "AKIDTEST";
const SECRET: &str = "secret-test";

struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<()>,
    _dir: TempDir,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("lq-server-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// A log directory with group `big`: one file of `lines` JSON lines.
fn big_logs(dir: &std::path::Path, lines: usize) -> std::path::PathBuf {
    let logs = dir.join("logs");
    std::fs::create_dir_all(logs.join("big")).unwrap();
    let mut text = String::new();
    for i in 0..lines {
        text.push_str(&format!(
            "{{\"timestamp\":\"2024-03-15T00:{:02}:{:02}Z\",\"level\":\"INFO\",\"n\":{i},\"msg\":\"request {i} served with some padding text\"}}\n",
            (i / 60) % 60,
            i % 60
        ));
    }
    std::fs::write(logs.join("big").join("app.log"), text).unwrap();
    logs
}

async fn start(name: &str, tune: impl FnOnce(&mut ServeOptions)) -> Server {
    let dir = temp_dir(name);
    let mut options = ServeOptions::new(
        "127.0.0.1:0".parse().unwrap(),
        Credentials::single(KEY, SECRET),
    );
    options.store = Some(dir.0.join("store").display().to_string());
    options.logs = vec![big_logs(&dir.0, 200_000)];
    options.memory_total = 512 << 20;
    options.memory_per_query = 128 << 20;
    tune(&mut options);
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let done = tokio::spawn(async move {
        lq_server::serve(
            options,
            |addr| {
                let _ = ready_tx.send(addr);
            },
            async {
                let _ = stop_rx.await;
            },
        )
        .await
        .unwrap();
    });
    let addr = ready_rx.await.unwrap();
    Server {
        addr,
        stop: Some(stop_tx),
        done,
        _dir: dir,
    }
}

impl Server {
    async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        tokio::time::timeout(Duration::from_secs(40), &mut self.done)
            .await
            .expect("the server stops")
            .unwrap();
    }
}

/// A request signed at `when` with `secret`: the headers to send.
fn signed_headers(
    addr: SocketAddr,
    target: &str,
    body: &[u8],
    secret: &str,
    when: SystemTime,
) -> Vec<(String, String)> {
    let host = addr.to_string();
    let target = format!("Logs_20140328.{target}");
    let headers = [
        ("host", host.as_str()),
        ("x-amz-target", target.as_str()),
        ("content-type", "application/x-amz-json-1.1"),
    ];
    let request = SignableRequest::new(
        "POST",
        "/",
        headers.iter().copied(),
        SignableBody::Bytes(body),
    )
    .unwrap();
    let identity = aws_credential_types::Credentials::new(KEY, secret, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("logs")
        .time(when)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let (instructions, _) = sign(request, &params).unwrap().into_parts();
    let mut out: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| *n != "host")
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    for (name, value) in instructions.headers() {
        out.push((name.to_string(), value.to_string()));
    }
    out
}

async fn send(addr: SocketAddr, headers: &[(String, String)], body: &[u8]) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut request = client.post(format!("http://{addr}/")).body(body.to_vec());
    for (n, v) in headers {
        request = request.header(n, v);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn call(addr: SocketAddr, target: &str, body: Value) -> (u16, Value) {
    let body = body.to_string().into_bytes();
    let headers = signed_headers(addr, target, &body, SECRET, SystemTime::now());
    send(addr, &headers, &body).await
}

async fn wait_done(addr: SocketAddr, id: &str) -> Value {
    for _ in 0..1200 {
        let (_, r) = call(addr, "GetQueryResults", json!({"queryId": id})).await;
        if !matches!(r["status"].as_str(), Some("Scheduled" | "Running")) {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("query {id} did not end");
}

fn query(text: &str) -> Value {
    json!({"logGroupName": "big", "startTime": 1_710_460_000, "endTime": 1_710_470_000, "queryString": text})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_are_checked() {
    let server = start("sig", |_| {}).await;
    let addr = server.addr;
    let body = b"{}".to_vec();
    let now = SystemTime::now();
    let good = signed_headers(addr, "DescribeLogGroups", &body, SECRET, now);
    assert_eq!(send(addr, &good, &body).await.0, 200);

    let wrong = signed_headers(addr, "DescribeLogGroups", &body, "not-the-secret", now);
    let (status, err) = send(addr, &wrong, &body).await;
    assert_eq!(
        (status, err["__type"].as_str()),
        (400, Some("InvalidSignatureException"))
    );

    let changed = signed_headers(addr, "DescribeLogGroups", &body, SECRET, now);
    let (_, err) = send(addr, &changed, b"{\"limit\":1}").await;
    assert_eq!(err["__type"], "InvalidSignatureException");

    let old = signed_headers(
        addr,
        "DescribeLogGroups",
        &body,
        SECRET,
        now - Duration::from_secs(16 * 60),
    );
    let (_, err) = send(addr, &old, &body).await;
    assert_eq!(err["__type"], "InvalidSignatureException");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .starts_with("Signature expired"),
        "{err}"
    );

    let future = signed_headers(
        addr,
        "DescribeLogGroups",
        &body,
        SECRET,
        now + Duration::from_secs(16 * 60),
    );
    let (_, err) = send(addr, &future, &body).await;
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .starts_with("Signature not yet current"),
        "{err}"
    );

    let (_, err) = send(
        addr,
        &[(
            "x-amz-target".into(),
            "Logs_20140328.DescribeLogGroups".into(),
        )],
        &body,
    )
    .await;
    assert_eq!(err["__type"], "MissingAuthenticationTokenException");

    // The same signature: taken again at once (a client repeating itself within a second),
    // refused once the repeat window has passed (a replay).
    let again = signed_headers(addr, "DescribeLogGroups", &body, SECRET, SystemTime::now());
    assert_eq!(send(addr, &again, &body).await.0, 200);
    assert_eq!(send(addr, &again, &body).await.0, 200);
    tokio::time::sleep(lq_server::auth::REPEAT_WINDOW + Duration::from_millis(500)).await;
    let (_, err) = send(addr, &again, &body).await;
    assert!(
        err["message"].as_str().unwrap().contains("replayed"),
        "{err}"
    );

    let (_, err) = call(addr, "DeleteEverything", json!({})).await;
    assert_eq!(err["__type"], "UnknownOperationException");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_are_limited_stopped_and_timed_out() {
    let server = start("lifecycle", |o| o.max_concurrent_queries = 1).await;
    let addr = server.addr;
    let (_, r) = call(addr, "StartQuery", query("stats count(*) as n by msg")).await;
    let first = r["queryId"].as_str().unwrap().to_string();
    let (_, err) = call(addr, "StartQuery", query("stats count(*)")).await;
    assert_eq!(err["__type"], "LimitExceededException", "{err}");
    let (_, stopped) = call(addr, "StopQuery", json!({"queryId": first})).await;
    assert_eq!(stopped["success"], true);
    let r = wait_done(addr, &first).await;
    assert_eq!(r["status"], "Cancelled");
    assert_eq!(r["results"], json!([]));
    // The slot is free again, and a query runs to the end.
    let (_, r) = call(addr, "StartQuery", query("stats count(*) as n")).await;
    let r = wait_done(addr, r["queryId"].as_str().unwrap()).await;
    assert_eq!(r["status"], "Complete");
    assert_eq!(r["results"], json!([[{"field": "n", "value": "200000"}]]));
    assert_eq!(r["statistics"]["recordsScanned"], 200000.0);
    server.stop().await;

    // Results are kept for `keep_results`, then forgotten when the next query starts.
    let server = start("keep", |o| o.keep_results = Duration::from_millis(200)).await;
    let (_, r) = call(server.addr, "StartQuery", query("stats count(*) as n")).await;
    let kept = r["queryId"].as_str().unwrap().to_string();
    assert_eq!(wait_done(server.addr, &kept).await["status"], "Complete");
    tokio::time::sleep(Duration::from_millis(400)).await;
    call(server.addr, "StartQuery", query("stats count(*) as n")).await;
    let (_, err) = call(server.addr, "GetQueryResults", json!({"queryId": kept})).await;
    assert_eq!(err["__type"], "ResourceNotFoundException", "{err}");
    server.stop().await;

    let server = start("timeout", |o| o.query_timeout = Duration::from_millis(1)).await;
    let (_, r) = call(server.addr, "StartQuery", query("stats count(*) by msg")).await;
    let r = wait_done(server.addr, r["queryId"].as_str().unwrap()).await;
    assert_eq!(r["status"], "Timeout");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_put_are_queried_and_filtered() {
    let server = start("events", |_| {}).await;
    let addr = server.addr;
    assert_eq!(
        call(addr, "CreateLogGroup", json!({"logGroupName": "/app"}))
            .await
            .0,
        200
    );
    assert_eq!(
        call(
            addr,
            "CreateLogStream",
            json!({"logGroupName": "/app", "logStreamName": "s1"})
        )
        .await
        .0,
        200
    );
    let now = chrono::Utc::now().timestamp_millis();
    let events: Vec<Value> = (0..100)
        .map(|i| json!({"timestamp": now - 100_000 + i * 1000, "message": format!("{{\"i\":{i},\"level\":\"{}\"}}", if i % 10 == 0 { "ERROR" } else { "INFO" })}))
        .collect();
    let (status, r) = call(
        addr,
        "PutLogEvents",
        json!({"logGroupName": "/app", "logStreamName": "s1", "logEvents": events}),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    let (_, r) = call(
        addr,
        "FilterLogEvents",
        json!({"logGroupName": "/app", "filterPattern": "{ $.level = \"ERROR\" }", "limit": 4}),
    )
    .await;
    let firsts: Vec<&str> = r["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        firsts,
        [
            "{\"i\":0,\"level\":\"ERROR\"}",
            "{\"i\":10,\"level\":\"ERROR\"}",
            "{\"i\":20,\"level\":\"ERROR\"}",
            "{\"i\":30,\"level\":\"ERROR\"}"
        ]
    );
    let token = r["nextToken"].as_str().unwrap();
    let (_, r) = call(addr, "FilterLogEvents", json!({"logGroupName": "/app", "filterPattern": "{ $.level = \"ERROR\" }", "nextToken": token})).await;
    assert_eq!(r["events"].as_array().unwrap().len(), 6);
    assert!(r.get("nextToken").is_none());
    let (_, r) = call(addr, "StartQuery", json!({"logGroupName": "/app", "startTime": now / 1000 - 3600, "endTime": now / 1000 + 60, "queryString": "stats count(*) as n by level | sort level asc"})).await;
    let r = wait_done(addr, r["queryId"].as_str().unwrap()).await;
    assert_eq!(
        r["results"],
        json!([[{"field": "level", "value": "ERROR"}, {"field": "n", "value": "10"}],
               [{"field": "level", "value": "INFO"}, {"field": "n", "value": "90"}]])
    );
    let (_, r) = call(addr, "DeleteLogGroup", json!({"logGroupName": "/app"})).await;
    assert_eq!(r, json!({}));
    let (_, err) = call(addr, "FilterLogEvents", json!({"logGroupName": "/app"})).await;
    assert_eq!(err["__type"], "ResourceNotFoundException");
    server.stop().await;
}
