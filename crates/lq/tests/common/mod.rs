//! Helpers the engine's integration tests share: the testdata path, an engine split into small
//! partitions, and temporary files removed when dropped.

#![allow(dead_code)] // Each test binary uses a different part.

use std::path::{Path, PathBuf};

use lq::{Engine, EngineOptions};

/// The repository's `testdata/` directory.
pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// An engine that scans in `partitions` partitions of at least `min_partition_bytes`, so that
/// small inputs are split as large ones are.
pub fn split_engine(partitions: usize, min_partition_bytes: usize) -> Engine {
    Engine::new(EngineOptions {
        target_partitions: partitions,
        min_partition_bytes,
        ..EngineOptions::default()
    })
}

/// A file in the temporary directory, named for this process, removed when dropped.
pub struct TempFile(pub PathBuf);

impl TempFile {
    /// A temporary path for `name` (nothing is written).
    pub fn path(name: &str) -> TempFile {
        TempFile(std::env::temp_dir().join(format!("lq-test-{}-{name}", std::process::id())))
    }

    /// A temporary file holding `content`.
    pub fn with(name: &str, content: &[u8]) -> TempFile {
        let file = TempFile::path(name);
        std::fs::write(&file.0, content).expect("write temp file");
        file
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
