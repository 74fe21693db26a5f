//! Grouping accuracy on the Loghub 2k samples (`../shared/data/loghub/`, research-only licence, so
//! read from beside the repository and never copied in). Skips when the data is absent, except in
//! CI (`CI` set), where a missing sample set is a failure rather than a silent pass.
//!
//! Grouping accuracy: the share of lines whose cluster holds exactly the lines of their
//! ground-truth event. Run with `--nocapture` to see the table.

use std::collections::HashMap;
use std::path::Path;

use lq_patterns::Miner;

const SYSTEMS: &[&str] = &[
    "Android",
    "Apache",
    "HDFS",
    "Hadoop",
    "HealthApp",
    "Linux",
    "OpenSSH",
    "Proxifier",
    "Spark",
    "Zookeeper",
];

fn grouping_accuracy(truth: &[String], found: &[usize]) -> f64 {
    let mut by_truth: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_found: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, (t, f)) in truth.iter().zip(found).enumerate() {
        by_truth.entry(t).or_default().push(i);
        by_found.entry(*f).or_default().push(i);
    }
    let mut correct = 0;
    for lines in by_found.values() {
        let t = &truth[lines[0]];
        if by_truth[t.as_str()] == *lines {
            correct += lines.len();
        }
    }
    correct as f64 / truth.len() as f64
}

#[test]
fn loghub_grouping_accuracy() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/loghub");
    if !root.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "the Loghub samples are not at {}; CI must run this test",
            root.display()
        );
        eprintln!("skipped: {} not present", root.display());
        return;
    }
    let mut total = 0.0;
    for system in SYSTEMS {
        let path = root
            .join(system)
            .join(format!("{system}_2k.log_structured.csv"));
        let mut reader = csv::Reader::from_path(&path).expect("structured csv");
        let headers = reader.headers().expect("headers").clone();
        let content = headers
            .iter()
            .position(|h| h == "Content")
            .expect("Content");
        let event = headers
            .iter()
            .position(|h| h == "EventId")
            .expect("EventId");
        let mut truth = Vec::new();
        let mut found = Vec::new();
        let mut miner = Miner::default();
        for record in reader.records() {
            let record = record.expect("record");
            truth.push(record[event].to_string());
            found.push(miner.add(&record[content]));
        }
        let ga = grouping_accuracy(&truth, &found);
        eprintln!("{system:<10} {ga:.3} ({} patterns)", miner.clusters().len());
        total += ga;
    }
    let mean = total / SYSTEMS.len() as f64;
    eprintln!("mean       {mean:.3}");
    assert!(mean >= 0.84, "mean grouping accuracy {mean:.3} fell");
}
