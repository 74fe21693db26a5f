//! The ingest ledger: per source, how far it has been ingested, so a re-run appends only what is
//! new and a crash loses nothing that was reported as ingested.
//!
//! A source is a file (its path, and a fingerprint of its first KiB so a rotated file is a new
//! source) or a stream read once. Its data files are named `part-<source>-<chunk>.parquet`, and a
//! chunk covers the same records whenever it is ingested again, so a chunk written before a crash
//! but not yet recorded here is rewritten under the same names: never twice.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::layout::META_DIR;
use crate::objects::{read_json, write_json};
use crate::{Location, StoreError};

/// What the store knows of one source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// The source as given (a path, or `-` for standard input).
    pub source: String,
    /// Bytes of the source ingested (the start of the next chunk), for sources read in chunks.
    pub offset: u64,
    /// Chunks committed; the next chunk's number.
    pub next_chunk: u64,
    /// Records ingested.
    pub records: u64,
    /// A number unique among the store's sources: the high bits of the records' input order.
    pub ordinal: u64,
    /// Bytes per chunk this source is read in (kept so a resumed ingest cuts the same chunks).
    pub chunk_bytes: u64,
    /// The whole source has been ingested (for sources read in one go: compressed files, AWS
    /// exports, Parquet).
    pub complete: bool,
}

/// The source id of a file: its canonical path and first KiB (and the group it is sent to).
pub(crate) fn source_id(group: Option<&str>, path: &str, head: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(group.unwrap_or("").as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(&head[..head.len().min(1024)]);
    hex::encode(&h.finalize()[..8])
}

fn entry_path(location: &Location, id: &str) -> object_store::path::Path {
    location.path(&format!("{META_DIR}/ledger/{id}.json"))
}

/// The ledger entry of a source, if it was ingested before.
pub(crate) async fn read(location: &Location, id: &str) -> Result<Option<LedgerEntry>, StoreError> {
    read_json(location, &entry_path(location, id)).await
}

/// Records a source's progress (an atomic replace of its entry).
pub(crate) async fn write(
    location: &Location,
    id: &str,
    entry: &LedgerEntry,
) -> Result<(), StoreError> {
    write_json(location, &entry_path(location, id), entry).await
}

/// Every source's entry, by source id.
pub async fn entries(location: &Location) -> Result<Vec<(String, LedgerEntry)>, StoreError> {
    let prefix = location.path(&format!("{META_DIR}/ledger"));
    let metas = crate::objects::list(location, &prefix).await?;
    let mut out = Vec::new();
    for meta in metas {
        let Some(id) = meta
            .location
            .filename()
            .and_then(|f| f.strip_suffix(".json"))
            .map(str::to_string)
        else {
            continue;
        };
        if let Some(entry) = read(location, &id).await? {
            out.push((id, entry));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// The source id and chunk number of a data file named `part-<source>-<chunk>.parquet`.
pub(crate) fn chunk_of_file(name: &str) -> Option<(&str, u64)> {
    let stem = name.strip_prefix("part-")?.strip_suffix(".parquet")?;
    let (id, chunk) = stem.split_once('-')?;
    Some((id, chunk.parse().ok()?))
}

/// The name of chunk `chunk` of source `id`.
pub(crate) fn chunk_file(id: &str, chunk: u64) -> String {
    format!("part-{id}-{chunk:06}.parquet")
}
