//! `lq alarm`: the error-rate alarm of the README (above 2% for 4 minutes: no alarm; for 5:
//! ALARM at the 5th minute, OK when it recovers), an anomaly band over seasonal traffic, check's
//! exit codes, actions and webhook retries, and a restart that does not notify twice.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use common::{lq, scratch_dir, stderr, stdout};

const MARCH_15: i64 = 1_710_460_800_000;
const MINUTE: i64 = 60_000;

fn stamp(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .expect("a time")
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// One minute of traffic from `start`: 100 checkout requests, `errors` of them 503s, and 20
/// search requests, all 500s (not checkout, so they must not count).
fn traffic_minute(out: &mut String, start: i64, errors: i64) {
    for i in 0..100 {
        let status = if i < errors { 503 } else { 200 };
        out.push_str(&format!(
            "{{\"timestamp\":\"{}\",\"service\":\"checkout\",\"request\":{{\"status\":{status}}}}}\n",
            stamp(start + i * 500)
        ));
    }
    for i in 0..20 {
        out.push_str(&format!(
            "{{\"timestamp\":\"{}\",\"service\":\"search\",\"request\":{{\"status\":500}}}}\n",
            stamp(start + i * 2_000 + 250)
        ));
    }
}

/// An hour of traffic from 10:00: 1% of checkout requests fail, 5% in the minutes of `bad`.
fn checkout_log(bad: impl Fn(i64) -> bool) -> String {
    let mut out = String::new();
    for minute in 0..60 {
        let errors = if bad(minute) { 5 } else { 1 };
        traffic_minute(
            &mut out,
            MARCH_15 + 10 * 60 * MINUTE + minute * MINUTE,
            errors,
        );
    }
    out
}

const CONFIG: &str = r#"
[alarms.checkout-errors]
description = "Checkout error rate above 2% for five minutes"
metrics.m1 = 'filter service = "checkout" and request.status >= 500 | stats count(*) by bin(1m)'
metrics.m2 = 'filter service = "checkout" | stats count(*) by bin(1m)'
expression = "(m1 / m2) * 100"
period = "1m"
condition = "> 2"
evaluation_periods = 5
datapoints_to_alarm = 5
missing_data = "notBreaching"
"#;

fn config_with(dir: &std::path::Path, extra: &str) -> String {
    let path = dir.join("config.toml");
    std::fs::write(&path, format!("{CONFIG}{extra}")).expect("write config");
    path.to_str().expect("utf-8").to_string()
}

#[test]
fn the_error_rate_alarm_fires_on_the_fifth_minute_and_not_the_fourth() {
    let dir = scratch_dir("alarm-error-rate");
    let config = config_with(&dir, "");
    // Four bad minutes at 10:10-10:13, five at 10:30-10:34.
    let log = dir.join("app.ndjson");
    std::fs::write(
        &log,
        checkout_log(|m| (10..14).contains(&m) || (30..35).contains(&m)),
    )
    .expect("write log");
    let o = lq(
        &[
            "alarm",
            "history",
            "--config",
            &config,
            "checkout-errors",
            log.to_str().expect("utf-8"),
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "checkout-errors: (m1 / m2) * 100 > 2, 5 of 5 periods of 1m, missing data notBreaching\n\
2024-03-15 10:00:00  INSUFFICIENT_DATA -> OK  value 1\n  \
Threshold Crossed: 5 out of the last 5 datapoints [1 (10:00), 4 missing treated as not breaching] were not greater than the threshold (2) (ALARM needs 5 breaching)\n\
2024-03-15 10:34:00  OK -> ALARM  value 5\n  \
Threshold Crossed: 5 out of the last 5 datapoints [5 (10:34), 5 (10:33), 5 (10:32), 5 (10:31), 5 (10:30)] were greater than the threshold (2)\n\
2024-03-15 10:35:00  ALARM -> OK  value 1\n  \
Threshold Crossed: 1 out of the last 5 datapoints [1 (10:35), 5 (10:34), 5 (10:33), 5 (10:32), 5 (10:31)] were not greater than the threshold (2) (ALARM needs 5 breaching)\n\
60 periods from 2024-03-15 10:00:00 to 2024-03-15 10:59:00 (every 1m): ALARM 1 time(s), 1 period(s) in ALARM; now OK\n"
    );
    // --points shows the fourth bad minute of the first run breaching without an alarm.
    let o = lq(
        &[
            "alarm",
            "history",
            "--points",
            "--config",
            &config,
            "checkout-errors",
            log.to_str().expect("utf-8"),
        ],
        None,
    );
    let text = stdout(&o);
    assert!(
        text.contains("2024-03-15 10:13:00             5                        2  OK\n"),
        "{text}"
    );
    assert!(
        text.contains("2024-03-15 10:34:00             5                        2  ALARM\n"),
        "{text}"
    );
}

#[test]
fn check_gives_the_state_as_its_exit_status_and_runs_actions_once() {
    let dir = scratch_dir("alarm-check");
    let fired = dir.join("fired.log");
    let config = config_with(
        &dir,
        &format!(
            "actions.alarm = [\"echo \\\"$LQ_ALARM_NAME $LQ_ALARM_OLD_STATE->$LQ_ALARM_STATE $LQ_ALARM_VALUE $LQ_ALARM_TIME\\\" >> '{}'\"]\n",
            fired.display()
        ),
    );
    let log = dir.join("app.ndjson");
    let state = dir.join("state.json");
    let run = |log: &std::path::Path| {
        lq(
            &[
                "alarm",
                "check",
                "--config",
                &config,
                "--state",
                state.to_str().expect("utf-8"),
                "checkout-errors",
                log.to_str().expect("utf-8"),
            ],
            None,
        )
    };
    // Bad until the end: ALARM, exit 3, the action runs once.
    std::fs::write(&log, checkout_log(|m| m >= 50)).expect("write log");
    let o = run(&log);
    assert_eq!(o.status.code(), Some(3), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).starts_with("checkout-errors: ALARM at 2024-03-15 10:59:00"),
        "{}",
        stdout(&o)
    );
    assert_eq!(
        std::fs::read_to_string(&fired).expect("the action ran"),
        "checkout-errors INSUFFICIENT_DATA->ALARM 5 2024-03-15T10:54:00Z\n"
    );
    // Run again (a restart): still ALARM, no second notification.
    let o = run(&log);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(
        std::fs::read_to_string(&fired)
            .expect("read")
            .lines()
            .count(),
        1
    );
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).expect("state")).expect("json");
    assert_eq!(saved["alarms"]["checkout-errors"]["state"], "ALARM");
    // Recovered: OK, exit 0; no OK action is defined, so nothing more is written.
    std::fs::write(&log, checkout_log(|m| (20..30).contains(&m))).expect("write log");
    let o = run(&log);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(
        std::fs::read_to_string(&fired)
            .expect("read")
            .lines()
            .count(),
        1
    );
    // No data at all in the range under `missing`: INSUFFICIENT_DATA, exit 4.
    let o = lq(
        &[
            "alarm",
            "check",
            "--config",
            &config,
            "--metric",
            "m1=stats count(*) by bin(1m)",
            "--period",
            "1m",
            "--condition",
            "> 0",
            "--start",
            "2030-01-01T00:00:00Z",
            "--end",
            "2030-01-01T00:05:00Z",
            log.to_str().expect("utf-8"),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(4), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn definitions_are_validated_with_located_errors() {
    let dir = scratch_dir("alarm-invalid");
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        r#"
[alarms.typo]
metrics.m1 = 'filter service = "checkout" | stats count(*) by bin(1m'
period = "1m"
condition = "> 2"
"#,
    )
    .expect("write");
    let config = path.to_str().expect("utf-8");
    let o = lq(&["alarm", "list", "--config", config], None);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.starts_with("error: alarm `typo`, metric `m1`:\n"), "{e}");
    assert!(
        e.contains("(line 1, column 55)"),
        "the error is located in the query: {e}"
    );
    assert!(e.contains("close the argument list of `bin(`"), "{e}");
    let o = lq(
        &[
            "alarm",
            "history",
            "--metric",
            "m1=stats count(*) by bin(1m)",
            "--period",
            "1m",
            "--condition",
            "above 2",
            "x.log",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is not valid: use `> N`, `>= N`"),
        "{}",
        stderr(&o)
    );
    // Standard input cannot be read once per metric; a misspelt alarm is not watched as a file.
    let o = lq(
        &[
            "alarm",
            "history",
            "--metric",
            "m1=stats count(*) by bin(1m)",
            "--period",
            "1m",
            "--condition",
            "> 2",
            "-",
        ],
        Some(""),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("standard input cannot be read twice"),
        "{}",
        stderr(&o)
    );
    let o = lq(
        &[
            "alarm",
            "watch",
            "--config",
            config,
            "--state",
            "s.json",
            "typo2",
            "typo3.log",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("`typo2` is neither an alarm (alarms: typo) nor a file"),
        "{}",
        stderr(&o)
    );
    // A metric whose bins are not the period.
    let log = dir.join("app.ndjson");
    std::fs::write(&log, checkout_log(|_| false)).expect("write log");
    let o = lq(
        &[
            "alarm",
            "history",
            "--metric",
            "m1=stats count(*) by bin(1m)",
            "--period",
            "5m",
            "--condition",
            "> 2",
            log.to_str().expect("utf-8"),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("does not start a 5m period; bin by the alarm's period: `by bin(5m)`"),
        "{}",
        stderr(&o)
    );
}

/// Ten days of hourly traffic with a daily peak (14:00, five times the night), and on day 8 a
/// spike at 03:00.
fn seasonal_log() -> String {
    let mut out = String::new();
    for day in 0..10i64 {
        for hour in 0..24i64 {
            let base = match hour {
                0..=6 => 20,
                7..=11 => 50,
                12..=16 => 100,
                _ => 40,
            };
            let wobble = (day * 7 + hour * 3) % 5;
            let n = if day == 8 && hour == 3 {
                120
            } else {
                base + wobble
            };
            for i in 0..n {
                let t = MARCH_15 + day * 86_400_000 + hour * 3_600_000 + i * 3_600_000 / n;
                out.push_str(&format!(
                    "{{\"timestamp\":\"{}\",\"msg\":\"hit\"}}\n",
                    stamp(t)
                ));
            }
        }
    }
    out
}

#[test]
fn the_anomaly_band_fires_on_a_spike_and_not_on_the_daily_peak() {
    let dir = scratch_dir("alarm-band");
    let log = dir.join("traffic.ndjson");
    std::fs::write(&log, seasonal_log()).expect("write log");
    let o = lq(
        &[
            "alarm",
            "history",
            "--metric",
            "m1=stats count(*) by bin(1h)",
            "--period",
            "1h",
            "--condition",
            "outside band(3)",
            log.to_str().expect("utf-8"),
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let changes: Vec<&str> = text.lines().filter(|l| l.contains(" -> ")).collect();
    // No band for the first five days (five earlier datapoints per hour are needed): missing.
    assert_eq!(
        changes,
        [
            "2024-03-20 00:00:00  INSUFFICIENT_DATA -> OK  value 20",
            "2024-03-23 03:00:00  OK -> ALARM  value 120",
            "2024-03-23 04:00:00  ALARM -> OK  value 23",
        ],
        "{text}"
    );
}

/// A server on 127.0.0.1 that answers 503 to the first `failures` requests and 200 after,
/// recording each body.
fn webhook_server(failures: usize) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = bodies.clone();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate().take(10) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            seen.lock()
                .expect("lock")
                .push(String::from_utf8_lossy(&body).into_owned());
            let status = if n < failures {
                "503 Service Unavailable"
            } else {
                "200 OK"
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
        }
    });
    (url, bodies)
}

/// `lq alarm check --state` over checkout traffic bad for its last ten minutes (ALARM from 10:54).
fn check_bad_ending(
    dir: &std::path::Path,
    config: &str,
) -> (std::process::Output, std::path::PathBuf) {
    let log = dir.join("app.ndjson");
    std::fs::write(&log, checkout_log(|m| m >= 50)).expect("write log");
    let state = dir.join("state.json");
    let o = lq(
        &[
            "alarm",
            "check",
            "--config",
            config,
            "--state",
            state.to_str().expect("utf-8"),
            "checkout-errors",
            log.to_str().expect("utf-8"),
        ],
        None,
    );
    (o, state)
}

#[test]
fn a_webhook_is_retried_until_it_succeeds() {
    let dir = scratch_dir("alarm-webhook");
    let (url, bodies) = webhook_server(2);
    let config = config_with(&dir, &format!("actions.alarm = [\"{url}\"]\n"));
    let (o, _) = check_bad_ending(&dir, &config);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(!stderr(&o).contains("failed"), "{}", stderr(&o));
    let bodies = bodies.lock().expect("lock").clone();
    assert_eq!(bodies.len(), 3, "two 503s, then accepted: {bodies:?}");
    let notice: serde_json::Value = serde_json::from_str(&bodies[2]).expect("json");
    assert_eq!(notice["alarm"], "checkout-errors");
    assert_eq!(notice["old_state"], "INSUFFICIENT_DATA");
    assert_eq!(notice["new_state"], "ALARM");
    assert_eq!(notice["value"], 5.0);
    assert_eq!(notice["time"], "2024-03-15T10:54:00Z");
}

#[test]
fn a_webhook_that_never_answers_is_reported_and_not_fatal() {
    let dir = scratch_dir("alarm-webhook-dead");
    // A port with nothing listening: bind, note it, close.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let config = config_with(
        &dir,
        &format!("actions.alarm = [\"http://127.0.0.1:{port}/hook\"]\n"),
    );
    let (o, state) = check_bad_ending(&dir, &config);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("(after 4 attempts)"), "{}", stderr(&o));
    assert!(
        state.exists(),
        "the state is saved even when an action fails"
    );
}

/// Checkout traffic over the ten minutes before now, bad (5%) in the last six.
fn recent_checkout_log() -> String {
    checkout_minutes_ago(1, 10, 6)
}

/// Checkout traffic from `oldest` to `newest` minutes before this one, bad (5%) in the minutes up
/// to `bad_from` minutes ago.
fn checkout_minutes_ago(newest: i64, oldest: i64, bad_from: i64) -> String {
    let now = chrono::Utc::now().timestamp_millis();
    let this_minute = now - now.rem_euclid(MINUTE);
    let mut out = String::new();
    for back in (newest..=oldest).rev() {
        let errors = if back <= bad_from { 5 } else { 1 };
        traffic_minute(&mut out, this_minute - back * MINUTE, errors);
    }
    out
}

/// Starts `lq alarm watch` and waits (at most a minute) until its first round of evaluations is
/// done, returning it still running.
fn start_watch(args: &[&str]) -> std::process::Child {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lq"))
        .env_remove("LQ_CONFIG")
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start lq alarm watch");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line.starts_with("watching ") => return child,
            Ok(_) => {}
            Err(_) => {
                let _ = child.kill();
                panic!("lq alarm watch did not finish its first round within a minute");
            }
        }
    }
}

#[test]
fn a_restarted_watcher_keeps_its_alarm_and_does_not_notify_again() {
    let dir = scratch_dir("alarm-watch");
    let fired = dir.join("fired.log");
    let config = config_with(
        &dir,
        &format!(
            "actions.alarm = [\"echo \\\"$LQ_ALARM_OLD_STATE->$LQ_ALARM_STATE\\\" >> '{}'\"]\n",
            fired.display()
        ),
    );
    let log = dir.join("app.ndjson");
    std::fs::write(&log, recent_checkout_log()).expect("write log");
    let state = dir.join("state.json");
    let args = [
        "alarm",
        "watch",
        "--config",
        &config,
        "--state",
        state.to_str().expect("utf-8"),
        "--grace",
        "1s",
        "--interval",
        "0.2",
        "checkout-errors",
        log.to_str().expect("utf-8"),
    ];
    let mut watcher = start_watch(&args);
    let _ = watcher.kill();
    let _ = watcher.wait();
    assert_eq!(
        std::fs::read_to_string(&fired).expect("the action ran"),
        "INSUFFICIENT_DATA->ALARM\n"
    );
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).expect("state")).expect("json");
    assert_eq!(saved["alarms"]["checkout-errors"]["state"], "ALARM");
    // Killed mid-ALARM and restarted: it evaluates again, still ALARM, and does not notify.
    let mut watcher = start_watch(&args);
    let _ = watcher.kill();
    let _ = watcher.wait();
    assert_eq!(
        std::fs::read_to_string(&fired).expect("read"),
        "INSUFFICIENT_DATA->ALARM\n"
    );
}

#[test]
fn an_alarm_over_a_store_answers_as_over_its_files() {
    let dir = scratch_dir("alarm-store");
    let config = config_with(&dir, "");
    let log = dir.join("app.ndjson");
    std::fs::write(&log, checkout_log(|m| (30..35).contains(&m))).expect("write log");
    let store = dir.join("store");
    let store = store.to_str().expect("utf-8");
    let o = lq(
        &[
            "ingest",
            "--quiet",
            "--store",
            store,
            "--group",
            "app",
            log.to_str().expect("utf-8"),
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let files = lq(
        &[
            "alarm",
            "history",
            "--points",
            "--config",
            &config,
            "checkout-errors",
            log.to_str().expect("utf-8"),
        ],
        None,
    );
    let stored = lq(
        &[
            "alarm",
            "history",
            "--points",
            "--config",
            &config,
            "--store",
            store,
            "checkout-errors",
        ],
        None,
    );
    assert!(stored.status.success(), "{}", stderr(&stored));
    assert!(stdout(&files).contains("OK -> ALARM"), "{}", stdout(&files));
    assert_eq!(stdout(&stored), stdout(&files));
}

#[test]
fn a_composite_alarm_combines_other_alarms_states() {
    let dir = scratch_dir("alarm-composite");
    let config = config_with(
        &dir,
        r#"
[alarms.busy]
metrics.m1 = 'filter service = "checkout" | stats count(*) by bin(1m)'
period = "1m"
condition = ">= 100"

[alarms.quiet-errors]
expression = 'ALARM("checkout-errors") AND NOT ALARM(busy)'

[alarms.busy-errors]
expression = 'ALARM("checkout-errors") AND ALARM(busy)'
"#,
    );
    let log = dir.join("app.ndjson");
    std::fs::write(&log, checkout_log(|m| (30..35).contains(&m))).expect("write log");
    let changes = |name: &str| -> Vec<String> {
        let o = lq(
            &[
                "alarm",
                "history",
                "--config",
                &config,
                name,
                log.to_str().expect("utf-8"),
            ],
            None,
        );
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
            .lines()
            .filter(|l| l.contains(" -> "))
            .map(str::to_string)
            .collect()
    };
    // Checkout has 100 requests every minute, so `busy` is in ALARM throughout.
    assert_eq!(
        changes("busy-errors"),
        [
            "2024-03-15 10:00:00  INSUFFICIENT_DATA -> OK  value -",
            "2024-03-15 10:34:00  OK -> ALARM  value -",
            "2024-03-15 10:35:00  ALARM -> OK  value -",
        ]
    );
    assert_eq!(
        changes("quiet-errors"),
        ["2024-03-15 10:00:00  INSUFFICIENT_DATA -> OK  value -"]
    );
}

#[test]
fn the_readme_example_prints_what_the_readme_shows() {
    let readme = std::fs::read_to_string(format!("{}/../../README.md", env!("CARGO_MANIFEST_DIR")))
        .expect("README");
    let command = "$ lq alarm history --config testdata/alarms/config.toml checkout-errors testdata/alarms/checkout.ndjson\n";
    let start = readme.find(command).expect("the README shows the example") + command.len();
    let shown = &readme[start..start + readme[start..].find("```").expect("the block ends")];
    let o = lq(
        &[
            "alarm",
            "history",
            "--config",
            &common::testdata("alarms/config.toml"),
            "checkout-errors",
            &common::testdata("alarms/checkout.ndjson"),
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), shown);
}

#[test]
fn a_live_check_counts_the_quiet_minutes_since_the_last_record() {
    let dir = scratch_dir("alarm-live");
    let config = config_with(&dir, "");
    // Bad from 30 to 20 minutes ago, then no records at all.
    let log = dir.join("app.ndjson");
    std::fs::write(&log, checkout_minutes_ago(20, 40, 30)).expect("write log");
    let log = log.to_str().expect("utf-8");
    let o = lq(
        &[
            "alarm",
            "check",
            "--config",
            &config,
            "checkout-errors",
            log,
        ],
        None,
    );
    assert_eq!(
        o.status.code(),
        Some(3),
        "up to the last record it is ALARM: {}",
        stdout(&o)
    );
    // Live, the twenty quiet minutes are missing, treated as not breaching: OK.
    let o = lq(
        &[
            "alarm",
            "check",
            "--live",
            "--grace",
            "1s",
            "--config",
            &config,
            "checkout-errors",
            log,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
}
