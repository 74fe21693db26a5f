//! Counters of a scan (records, bytes, malformed lines, unreadable inputs), updated while
//! partitions run.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// A line that looked like JSON but could not be read as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct MalformedLine {
    /// The file (or stream name).
    pub source: String,
    /// 1-based line number.
    pub line: u64,
    /// What the JSON parser said.
    pub error: String,
}

/// Counters of a scan, updated while partitions run.
#[derive(Debug, Default)]
pub struct ScanStats {
    pub(crate) records: AtomicU64,
    pub(crate) bytes: AtomicU64,
    pub(crate) input_bytes: AtomicU64,
    pub(crate) malformed: AtomicU64,
    pub(crate) examples: Mutex<Vec<MalformedLine>>,
    pub(crate) problems: Mutex<Vec<String>>,
}

/// How many malformed lines are kept as examples.
pub(crate) const MALFORMED_EXAMPLES: usize = 5;

impl ScanStats {
    /// Records (non-blank lines) read.
    pub fn records(&self) -> u64 {
        self.records.load(Ordering::Relaxed)
    }
    /// Bytes read (decompressed).
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
    /// Bytes of the inputs as stored (compressed for streamed files) read so far; with
    /// [`crate::LogSource::total_bytes`], how far a scan has come.
    pub fn input_bytes(&self) -> u64 {
        self.input_bytes.load(Ordering::Relaxed)
    }
    /// Lines that started like JSON but were not valid JSON (still returned as records).
    pub fn malformed(&self) -> u64 {
        self.malformed.load(Ordering::Relaxed)
    }
    /// The first few malformed lines, in file order.
    pub fn malformed_examples(&self) -> Vec<MalformedLine> {
        let mut v = self.examples.lock().map(|g| g.clone()).unwrap_or_default();
        v.sort_by(|a, b| (&a.source, a.line).cmp(&(&b.source, b.line)));
        v.truncate(MALFORMED_EXAMPLES);
        v
    }
    /// Inputs that could not be read completely (unreadable, or changed while being read); the
    /// query answered the rest.
    pub fn input_problems(&self) -> Vec<String> {
        self.problems.lock().map(|g| g.clone()).unwrap_or_default()
    }
    /// Counts records and bytes read by another reader (a store's Parquet files).
    pub fn note_read(&self, records: u64, bytes: u64) {
        self.records.fetch_add(records, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        self.input_bytes.fetch_add(bytes, Ordering::Relaxed);
    }
    /// Records an input that could not be read completely.
    pub fn note_problem(&self, problem: String) {
        if let Ok(mut p) = self.problems.lock()
            && !p.contains(&problem)
        {
            p.push(problem);
        }
    }
    pub(crate) fn note_malformed(&self, line: MalformedLine) {
        self.malformed.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut examples) = self.examples.lock() {
            examples.push(line);
            // Keep the earliest per file order; partitions finish in any order.
            if examples.len() > 4 * MALFORMED_EXAMPLES {
                examples.sort_by(|a, b| (&a.source, a.line).cmp(&(&b.source, b.line)));
                examples.truncate(MALFORMED_EXAMPLES);
            }
        }
    }
}
