//! The terminal side: a progress bar on stderr when it is a terminal (a pseudo-terminal here) and
//! nothing when it is not; Ctrl-C stops a scan and reports what had been read.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{pty, scratch_dir, stderr};

/// A log file big enough that a debug build scans it for seconds (and the directory holding it).
fn big_log(name: &str, lines: usize) -> (common::ScratchDir, String) {
    let dir = scratch_dir(name);
    let path = dir.join("big.ndjson");
    let mut text = String::with_capacity(lines * 110);
    for i in 0..lines {
        text.push_str(&format!(
            "{{\"timestamp\":\"2024-03-15T00:00:{:02}Z\",\"level\":\"{}\",\"message\":\"request {i} handled in {} ms\"}}\n",
            i % 60,
            if i % 7 == 0 { "ERROR" } else { "INFO" },
            i % 1000
        ));
    }
    std::fs::write(&path, text).expect("write the log");
    let path = path.to_str().expect("utf-8").to_string();
    (dir, path)
}

/// Reads everything the terminal shows until the child closes it; `shown` gets each piece as it
/// comes.
fn drain_live(
    mut master: std::fs::File,
    shown: std::sync::mpsc::Sender<Vec<u8>>,
) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        // EIO once the child has exited and the slave is closed.
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
            let _ = shown.send(buf[..n].to_vec());
        }
        seen
    })
}

/// Runs lq with stderr on a new pseudo-terminal (stdout piped) and reads what the terminal shows.
fn spawn_on_pty(
    args: &[&str],
    shown: std::sync::mpsc::Sender<Vec<u8>>,
) -> (std::process::Child, std::thread::JoinHandle<Vec<u8>>) {
    let (master, slave) = pty();
    let child = Command::new(env!("CARGO_BIN_EXE_lq"))
        .args(args)
        .env("LQ_PROGRESS_DELAY_MS", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(slave))
        .spawn()
        .expect("run lq");
    (child, drain_live(master, shown))
}

const QUERY: &str = "filter message like /handled in 9\\d\\d ms/ | stats count(*) as slow by level";

#[test]
fn progress_bar_on_a_terminal_only() {
    let (_dir, log) = big_log("progress", 200_000);
    let (child, reader) = spawn_on_pty(
        &[QUERY, &log, "--format", "csv"],
        std::sync::mpsc::channel().0,
    );
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
    let shown = String::from_utf8_lossy(&reader.join().expect("reader")).into_owned();
    assert!(
        shown.contains("records") && shown.contains("ETA"),
        "{shown:?}"
    );
    assert!(shown.contains("MiB") || shown.contains("KiB"), "{shown:?}");
    // The summary still follows, and stdout holds only the answer.
    assert!(shown.contains("200000 records scanned"), "{shown:?}");
    let expected_error = (0..200_000)
        .filter(|i| i % 7 == 0 && i % 1000 >= 900)
        .count();
    let expected_info = (0..200_000)
        .filter(|i| i % 7 != 0 && i % 1000 >= 900)
        .count();
    let answer = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines: Vec<&str> = answer.lines().skip(1).collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            format!("ERROR,{expected_error}"),
            format!("INFO,{expected_info}")
        ]
    );

    // Not a terminal: no bar.
    let o = Command::new(env!("CARGO_BIN_EXE_lq"))
        .args([QUERY, &log, "--format", "csv"])
        .env("LQ_PROGRESS_DELAY_MS", "0")
        .output()
        .expect("run lq");
    assert_eq!(o.status.code(), Some(0));
    assert!(
        !stderr(&o).contains("ETA") && !stderr(&o).contains('\r'),
        "{}",
        stderr(&o)
    );
    // --progress never: no bar on a terminal either.
    let (child, reader) = spawn_on_pty(
        &[QUERY, &log, "--progress", "never"],
        std::sync::mpsc::channel().0,
    );
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
    let shown = String::from_utf8_lossy(&reader.join().expect("reader")).into_owned();
    assert!(!shown.contains("ETA"), "{shown:?}");
}

#[test]
fn ctrl_c_stops_the_scan_and_reports_what_was_read() {
    // Big enough that the scan is far from done when Ctrl-C arrives, even on a fast machine.
    const LINES: usize = 1_200_000;
    let (_dir, log) = big_log("interrupt", LINES);
    let (tx, rx) = std::sync::mpsc::channel();
    let (child, reader) = spawn_on_pty(&[QUERY, &log, "--partitions", "1"], tx);
    let pid = child.id() as libc::pid_t;
    // Wait for the progress bar: the scan has started (a debug build needs over a second for
    // the whole file).
    let mut seen = String::new();
    while !seen.contains("ETA") {
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(piece) => seen.push_str(&String::from_utf8_lossy(&piece)),
            Err(e) => panic!("no progress bar ({e}): {seen:?}"),
        }
    }
    let sent = Instant::now();
    // SAFETY: signalling our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let out = child.wait_with_output().expect("wait");
    let stopped_in = sent.elapsed();
    let shown = String::from_utf8_lossy(&reader.join().expect("reader")).into_owned();
    assert_eq!(out.status.code(), Some(130), "{shown}");
    assert!(
        stopped_in < Duration::from_secs(5),
        "took {stopped_in:?} to stop"
    );
    assert!(shown.contains("interrupted after"), "{shown:?}");
    assert!(
        shown.contains("records scanned") && shown.contains("matched so far"),
        "{shown:?}"
    );
    assert!(out.stdout.is_empty(), "no partial table");
    // Partial: fewer records than the file has.
    let note = &shown[shown.find("interrupted after").expect("note")..];
    let scanned: u64 = note
        .split(": ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("a record count");
    assert!(scanned < LINES as u64, "{note}");
}

#[test]
fn ctrl_c_while_waiting_for_stdin() {
    let (master, slave) = pty();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lq"))
        .args(["stats count(*) by level"])
        .env("LQ_PROGRESS_DELAY_MS", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(slave))
        .spawn()
        .expect("run lq");
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = drain_live(master, tx);
    let mut stdin = child.stdin.take().expect("stdin");
    use std::io::Write;
    for i in 0..1000 {
        writeln!(stdin, "{{\"level\":\"INFO\",\"n\":{i}}}").expect("write");
    }
    // The pipe stays open: lq waits for more; the spinner shows it is reading.
    let mut seen = String::new();
    while !seen.contains("records") {
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(piece) => seen.push_str(&String::from_utf8_lossy(&piece)),
            Err(e) => panic!("no progress ({e}): {seen:?}"),
        }
    }
    // SAFETY: signalling our own child process.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    let out = child.wait_with_output().expect("wait");
    drop(stdin);
    let shown = String::from_utf8_lossy(&reader.join().expect("reader")).into_owned();
    assert_eq!(out.status.code(), Some(130), "{shown}");
    assert!(shown.contains("interrupted after"), "{shown:?}");
}
