//! `--follow`: rows for appended lines as they come, across rotation and truncation; a `stats`
//! table recomputed as lines arrive on stdin; Ctrl-C ends it cleanly.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use common::{pty, scratch_dir, testdata};

fn app_lines() -> Vec<String> {
    std::fs::read_to_string(testdata("logs/app.ndjson"))
        .expect("read")
        .lines()
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Lines of the child's stdout, as they come.
fn lines_of(stdout: std::process::ChildStdout) -> Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            match line {
                Ok(l) => {
                    if tx.send(l).is_err() {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
    });
    rx
}

/// Waits until the next `want.len()` lines have come and returns them.
fn next_lines(rx: &Receiver<String>, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut got = Vec::new();
    while got.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) => got.push(l),
            Err(e) => panic!("waited for {n} lines ({e}); got {got:?}"),
        }
    }
    got
}

fn append(path: &std::path::Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open for append");
    f.write_all(text.as_bytes()).expect("append");
}

fn interrupt(child: &std::process::Child) {
    // SAFETY: signalling our own child process.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) },
        0
    );
}

#[test]
fn follows_appends_rotation_and_truncation() {
    let lines = app_lines();
    let dir = scratch_dir("follow");
    let log = dir.join("app.log");
    std::fs::write(&log, lines[..3].concat()).expect("write");
    let mut child = Command::new(env!("CARGO_BIN_EXE_lq"))
        .args(["--follow", "--format", "csv", "fields level, service"])
        .arg(&log)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run lq");
    let rx = lines_of(child.stdout.take().expect("stdout"));
    // What is there already, oldest first.
    assert_eq!(
        next_lines(&rx, 4),
        ["level,service", "INFO,cart", "ERROR,payments", "WARN,cart"]
    );
    // Appended lines; an unfinished line waits for its newline.
    append(&log, &lines[3]);
    let (done, unfinished) = lines[4].split_at(40);
    append(&log, done);
    assert_eq!(next_lines(&rx, 1), ["INFO,search"]);
    append(&log, unfinished);
    assert_eq!(next_lines(&rx, 1), ["ERROR,payments"]);
    // Rotation: the old file's last line, then the new file.
    std::fs::rename(&log, dir.join("app.log.1")).expect("rotate");
    append(&dir.join("app.log.1"), &lines[5]);
    std::fs::write(&log, lines[6..8].concat()).expect("new file");
    let mut rotated = next_lines(&rx, 3);
    rotated.sort();
    assert_eq!(rotated, ["DEBUG,search", "ERROR,cart", "INFO,cart"]);
    // Truncated in place (copytruncate): read again from the start.
    std::thread::sleep(Duration::from_millis(500));
    std::fs::write(&log, &lines[1]).expect("truncate");
    assert_eq!(next_lines(&rx, 1), ["ERROR,payments"]);
    interrupt(&child);
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("stopped following: 9 records read"), "{err}");
}

#[test]
fn stats_table_is_recomputed_from_stdin() {
    let lines = app_lines();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lq"))
        .args([
            "--follow",
            "--format",
            "csv",
            "stats count(*) as n by level | sort level asc",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run lq");
    let mut stdin = child.stdin.take().expect("stdin");
    let rx = lines_of(child.stdout.take().expect("stdout"));
    // The first table (nothing read yet) is just the header.
    assert_eq!(next_lines(&rx, 1), ["level,n"]);
    stdin
        .write_all(lines[..2].concat().as_bytes())
        .expect("write");
    stdin.flush().expect("flush");
    assert_eq!(next_lines(&rx, 4), ["", "level,n", "ERROR,1", "INFO,1"]);
    stdin
        .write_all(lines[2..].concat().as_bytes())
        .expect("write");
    stdin.flush().expect("flush");
    assert_eq!(
        next_lines(&rx, 6),
        ["", "level,n", "DEBUG,1", "ERROR,3", "INFO,3", "WARN,1"]
    );
    interrupt(&child);
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn stats_table_is_redrawn_in_place_on_a_terminal() {
    let lines = app_lines();
    let dir = scratch_dir("follow-tty");
    let log = dir.join("app.log");
    std::fs::write(&log, lines[..2].concat()).expect("write");
    let (master, slave) = pty();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lq"))
        .args(["--follow", "stats count(*) as n by level | sort level asc"])
        .arg(&log)
        .stdin(Stdio::null())
        .stdout(Stdio::from(slave))
        .stderr(Stdio::piped())
        .spawn()
        .expect("run lq");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let mut master = master;
    std::thread::spawn(move || {
        use std::io::Read;
        let mut buf = [0u8; 4096];
        while let Ok(n) = master.read(&mut buf) {
            if n == 0
                || tx
                    .send(String::from_utf8_lossy(&buf[..n]).into_owned())
                    .is_err()
            {
                break;
            }
        }
    });
    let mut shown = String::new();
    let wait_for = |text: &str, shown: &mut String| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !shown.contains(text) {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(piece) => shown.push_str(&piece),
                Err(e) => panic!("waited for {text:?} ({e}): {shown:?}"),
            }
        }
    };
    wait_for("│ INFO  ┆ 1 │", &mut shown);
    append(&log, &lines[2..].concat());
    wait_for("│ INFO  ┆ 3 │", &mut shown);
    // The second table replaced the first: the cursor went back up over its 6 lines, and the
    // screen below was cleared.
    assert!(shown.contains("\x1b[6F\x1b[J"), "{shown:?}");
    interrupt(&child);
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0));
    let _ = child.stderr.take();
}
