//! Actions on a change of state: a command (`sh -c`) or a webhook (`http(s)://` URL, POSTed).
//!
//! Both get the same JSON notice (`alarm`, `old_state`, `new_state`, `reason`, `value`, `time`),
//! a command on its standard input and in `LQ_ALARM_*` environment variables. A failed action
//! is reported and never stops the alarm: a command that runs over [`COMMAND_TIMEOUT`] is killed;
//! a webhook is tried [`WEBHOOK_ATTEMPTS`] times, each within [`WEBHOOK_TIMEOUT`], with a
//! doubling pause between (0.5 s, 1 s, ...), and a 4xx answer is not retried.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::state::State;

/// A command is killed after this long.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// Attempts at a webhook.
pub const WEBHOOK_ATTEMPTS: u32 = 4;
/// Each webhook attempt's limit.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// What an action is told.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notice {
    /// The alarm's name.
    pub alarm: String,
    /// The state it left.
    pub old_state: State,
    /// The state it entered.
    pub new_state: State,
    /// Why.
    pub reason: String,
    /// The value of the period that caused it, if it had one.
    pub value: Option<f64>,
    /// That period's start, RFC 3339.
    pub time: String,
}

/// Runs every action, returning a description of each that failed.
pub fn run_all(actions: &[String], notice: &Notice) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| {
            let outcome = if a.starts_with("http://") || a.starts_with("https://") {
                post(a, notice)
            } else {
                command(a, notice)
            };
            outcome.err().map(|e| format!("action `{a}` failed: {e}"))
        })
        .collect()
}

fn command(cmd: &str, notice: &Notice) -> Result<(), String> {
    let json = serde_json::to_string(notice).map_err(|e| e.to_string())?;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .env("LQ_ALARM_NAME", &notice.alarm)
        .env("LQ_ALARM_OLD_STATE", notice.old_state.name())
        .env("LQ_ALARM_STATE", notice.new_state.name())
        .env("LQ_ALARM_REASON", &notice.reason)
        .env(
            "LQ_ALARM_VALUE",
            notice.value.map(crate::number_text).unwrap_or_default(),
        )
        .env("LQ_ALARM_TIME", &notice.time)
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start it: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its input closes the pipe early; that is its choice.
        let _ = stdin.write_all(json.as_bytes());
    }
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("it exited with {status}")),
            Ok(None) if started.elapsed() > COMMAND_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "it ran over {} s and was killed",
                    COMMAND_TIMEOUT.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(e.to_string()),
        }
    }
}

fn post(url: &str, notice: &Notice) -> Result<(), String> {
    let body = serde_json::to_string(notice).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    // The client's timers belong to the runtime it is built in.
    let _inside = runtime.enter();
    let client = reqwest::Client::builder()
        .timeout(WEBHOOK_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    let mut pause = Duration::from_millis(500);
    let mut last = String::new();
    for attempt in 1..=WEBHOOK_ATTEMPTS {
        let sent = runtime.block_on(
            client
                .post(url)
                .header("content-type", "application/json")
                .body(body.clone())
                .send(),
        );
        match sent {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) if r.status().is_client_error() => {
                return Err(format!("the server refused it: {}", r.status()));
            }
            Ok(r) => last = format!("the server answered {}", r.status()),
            Err(e) => last = e.to_string(),
        }
        if attempt < WEBHOOK_ATTEMPTS {
            std::thread::sleep(pause);
            pause *= 2;
        }
    }
    Err(format!("{last} (after {WEBHOOK_ATTEMPTS} attempts)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice() -> Notice {
        Notice {
            alarm: "checkout-errors".into(),
            old_state: State::Ok,
            new_state: State::Alarm,
            reason: "Threshold Crossed".into(),
            value: Some(3.5),
            time: "2024-03-15T10:04:00Z".into(),
        }
    }

    #[test]
    fn a_command_gets_the_notice_in_its_environment_and_on_stdin() {
        let dir = std::env::temp_dir().join(format!("lq-alarm-action-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("out");
        let cmd = format!(
            "cat > '{0}.json'; echo \"$LQ_ALARM_NAME $LQ_ALARM_OLD_STATE $LQ_ALARM_STATE $LQ_ALARM_VALUE $LQ_ALARM_TIME\" > '{0}'",
            out.display()
        );
        assert!(run_all(&[cmd], &notice()).is_empty());
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            "checkout-errors OK ALARM 3.5 2024-03-15T10:04:00Z\n"
        );
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("out.json")).unwrap()).unwrap();
        assert_eq!(json["new_state"], "ALARM");
        assert_eq!(json["value"], 3.5);
        let failed = run_all(&["exit 3".to_string()], &notice());
        assert_eq!(failed.len(), 1);
        assert!(failed[0].contains("exit status: 3"), "{failed:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
