//! Where log records come from: files, bytes in memory, or readers.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use crate::Error;

/// A log file's content as lq reads it (decompressed), so that the byte offset in a record's
/// `@ptr` (`path:offset`) can be looked up, e.g. to show the lines around it.
pub fn read_log_file(path: &std::path::Path) -> Result<Vec<u8>, Error> {
    Ok(lq_source::read_contents(path)?)
}

/// Where log records come from.
#[derive(Debug, Clone)]
pub struct Input(pub(crate) lq_source::Input);

impl Input {
    /// A file on disk (memory-mapped). `@log` is its directory and `@logStream` its file name.
    pub fn path(path: impl Into<PathBuf>) -> Self {
        Input(lq_source::Input::File(path.into()))
    }

    /// Bytes already in memory; `name` becomes `@logStream` (and `@log` is `memory`).
    pub fn bytes(name: &str, data: impl Into<Arc<Vec<u8>>>) -> Self {
        Input(lq_source::Input::Bytes {
            log: "memory".to_string(),
            stream: name.to_string(),
            data: data.into(),
        })
    }

    /// Bytes read from the file at `path` (e.g. lines appended to it): `@log` and `@logStream` are
    /// named as for [`Input::path`].
    pub fn file_bytes(path: &std::path::Path, data: impl Into<Arc<Vec<u8>>>) -> Self {
        let (log, stream) = lq_source::log_names(path);
        Input(lq_source::Input::Bytes {
            log,
            stream,
            data: data.into(),
        })
    }

    /// A reader (e.g. stdin) scanned as it is read, never whole in memory; `name` becomes
    /// `@logStream`. It can be read once: a query that reads its inputs more than once (joins,
    /// sub-queries) reads it into memory first, and [`crate::Engine::histogram`] does too.
    pub fn stream(name: &str, reader: impl Read + Send + 'static) -> Self {
        Input(lq_source::Input::Stream {
            log: "stdin".to_string(),
            stream: name.to_string(),
            reader: lq_source::SharedReader::new(reader),
        })
    }

    /// The input read into memory if it is a [`Input::stream`], so that it can be read again.
    pub fn buffered(self) -> Result<Self, Error> {
        let name = match &self.0 {
            lq_source::Input::Stream { stream, .. } => stream.clone(),
            _ => String::new(),
        };
        self.0.buffered().map(Input).map_err(|source| Error::Io {
            path: PathBuf::from(name),
            source,
        })
    }

    /// Everything a reader yields (e.g. stdin), read up front; `name` becomes `@logStream`.
    pub fn reader(name: &str, mut reader: impl Read) -> Result<Self, Error> {
        let mut data = Vec::new();
        reader.read_to_end(&mut data).map_err(|source| Error::Io {
            path: PathBuf::from(name),
            source,
        })?;
        Ok(Input(lq_source::Input::Bytes {
            log: "stdin".to_string(),
            stream: name.to_string(),
            data: Arc::new(data),
        }))
    }
}
