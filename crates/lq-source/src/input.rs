//! What a caller hands the source: files, bytes in memory, or a reader; and the names they give
//! `@log` and `@logStream`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// One input: a file on disk or bytes already in memory (stdin, an embedding application's buffer).
#[derive(Debug, Clone)]
pub enum Input {
    /// A file path; it is memory-mapped.
    File(PathBuf),
    /// Bytes with the names used for `@log` and `@logStream`.
    Bytes {
        /// The log group name (`@log`).
        log: String,
        /// The log stream name (`@logStream`).
        stream: String,
        /// The content.
        data: Arc<Vec<u8>>,
    },
    /// A reader (e.g. standard input) scanned as it is read, chunk by chunk; it can be read by one
    /// scan only (see [`Input::buffered`]).
    Stream {
        /// The log group name (`@log`).
        log: String,
        /// The log stream name (`@logStream`).
        stream: String,
        /// The reader, taken by the scan that reads it.
        reader: SharedReader,
    },
}

/// A reader shared by the clones of an [`Input`]; the first scan takes it.
#[derive(Clone)]
pub struct SharedReader(Arc<Mutex<Option<Box<dyn std::io::Read + Send>>>>);

impl SharedReader {
    /// Wraps a reader.
    pub fn new(reader: impl std::io::Read + Send + 'static) -> Self {
        SharedReader(Arc::new(Mutex::new(Some(Box::new(reader)))))
    }

    /// The reader, unless a scan has taken it already.
    pub(crate) fn take(&self) -> Option<Box<dyn std::io::Read + Send>> {
        self.0.lock().ok().and_then(|mut r| r.take())
    }
}

impl std::fmt::Debug for SharedReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedReader")
    }
}

impl Input {
    /// The same input with a [`Input::Stream`] read into memory, so that several scans (sub-queries,
    /// joins, repeated queries) can read it.
    pub fn buffered(self) -> std::io::Result<Input> {
        match self {
            Input::Stream {
                log,
                stream,
                reader,
            } => {
                let mut data = Vec::new();
                if let Some(mut r) = reader.take() {
                    r.read_to_end(&mut data)?;
                }
                Ok(Input::Bytes {
                    log,
                    stream,
                    data: Arc::new(data),
                })
            }
            other => Ok(other),
        }
    }
}

/// `@log` (the directory, `.` when none) and `@logStream` (the file name) of a file.
pub fn log_names(path: &Path) -> (String, String) {
    let stream = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let log = path
        .parent()
        .map(|p| p.display().to_string())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| ".".to_string());
    (log, stream)
}
