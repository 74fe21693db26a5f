//! The store's objects: listing under a prefix, and its small JSON records (ledger entries,
//! retention policies) read whole or written whole in one atomic put.

use futures::TryStreamExt;
use object_store::ObjectMeta;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Location, StoreError};

/// The record at `path`, or `None` when there is none.
pub(crate) async fn read_json<T: DeserializeOwned>(
    location: &Location,
    path: &Path,
) -> Result<Option<T>, StoreError> {
    match location.store.get(path).await {
        Ok(got) => {
            let bytes = got
                .bytes()
                .await
                .map_err(StoreError::object(format!("read {path}")))?;
            serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|source| StoreError::Record {
                    path: path.to_string(),
                    source,
                })
        }
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(StoreError::object(format!("read {path}"))(e)),
    }
}

/// Writes `value` at `path`, replacing what was there.
pub(crate) async fn write_json<T: Serialize>(
    location: &Location,
    path: &Path,
    value: &T,
) -> Result<(), StoreError> {
    let body = serde_json::to_vec_pretty(value).map_err(|source| StoreError::Record {
        path: path.to_string(),
        source,
    })?;
    location
        .store
        .put(path, PutPayload::from(body))
        .await
        .map_err(StoreError::object(format!("write {path}")))?;
    Ok(())
}

/// Every object under `prefix`.
pub(crate) async fn list(
    location: &Location,
    prefix: &Path,
) -> Result<Vec<ObjectMeta>, StoreError> {
    location
        .store
        .list(Some(prefix))
        .try_collect()
        .await
        .map_err(StoreError::object(format!("list {prefix}")))
}
