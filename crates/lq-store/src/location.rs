//! Where a store lives: a local directory or an `s3://`, `gs://` or `az://` URL, and the object store
//! that reaches it (credentials and endpoints from the usual environment variables).

use std::sync::Arc;
use std::time::Duration;

use datafusion::execution::object_store::ObjectStoreUrl;
use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use object_store::path::Path;

use crate::StoreError;

/// A store's root: the object store, its URL for DataFusion, and the prefix inside it.
#[derive(Debug, Clone)]
pub struct Location {
    pub(crate) store: Arc<dyn ObjectStore>,
    pub(crate) url: ObjectStoreUrl,
    pub(crate) root: Path,
    display: String,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display)
    }
}

/// Whether `text` names an object-store URL (rather than a local path).
pub fn is_url(text: &str) -> bool {
    [
        "s3://", "s3a://", "gs://", "az://", "abfs://", "abfss://", "file://",
    ]
    .iter()
    .any(|p| text.starts_with(p))
}

impl Location {
    /// Parses a directory or URL. A local directory is created when `create` is set.
    pub fn parse(text: &str, create: bool) -> Result<Self, StoreError> {
        let refuse = |reason: String| StoreError::Location {
            location: text.to_string(),
            reason,
        };
        if let Some(path) = text.strip_prefix("file://") {
            return Self::local(std::path::Path::new(path), create, text);
        }
        if !is_url(text) {
            return Self::local(std::path::Path::new(text), create, text);
        }
        let url = url::Url::parse(text).map_err(|e| refuse(e.to_string()))?;
        let bucket = url
            .host_str()
            .ok_or_else(|| refuse("no bucket or container".into()))?;
        let root = Path::from(url.path().trim_matches('/'));
        let store = cloud_store(text, url.scheme()).map_err(|e| refuse(e.to_string()))?;
        let store_url = ObjectStoreUrl::parse(format!("{}://{bucket}", url.scheme()))
            .map_err(|e| refuse(e.to_string()))?;
        Ok(Location {
            store,
            url: store_url,
            root,
            display: text.trim_end_matches('/').to_string(),
        })
    }

    fn local(dir: &std::path::Path, create: bool, text: &str) -> Result<Self, StoreError> {
        let io = |source| StoreError::Io {
            path: dir.display().to_string(),
            source,
        };
        if create {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let dir = dir.canonicalize().map_err(io)?;
        if !dir.is_dir() {
            return Err(StoreError::Location {
                location: text.to_string(),
                reason: "not a directory".into(),
            });
        }
        let root = Path::from_filesystem_path(&dir).map_err(|e| StoreError::Location {
            location: text.to_string(),
            reason: e.to_string(),
        })?;
        Ok(Location {
            store: Arc::new(LocalFileSystem::new()),
            url: ObjectStoreUrl::local_filesystem(),
            root,
            display: text.trim_end_matches('/').to_string(),
        })
    }

    /// The object at `relative` (a `/`-separated path) under the root.
    pub(crate) fn path(&self, relative: &str) -> Path {
        let mut path = self.root.clone();
        for part in relative.split('/').filter(|p| !p.is_empty()) {
            path = path.join(part);
        }
        path
    }

    /// `path` relative to the root.
    pub(crate) fn relative<'a>(&self, path: &'a Path) -> Option<Vec<&'a str>> {
        let root: Vec<_> = self.root.parts().collect();
        let parts: Vec<&'a str> = path.as_ref().split('/').collect();
        (parts.len() >= root.len()).then(|| parts[root.len()..].to_vec())
    }

    /// The URL DataFusion reads the object at `path` with.
    pub(crate) fn url_of(&self, path: &Path) -> String {
        format!("{}{}", self.url.as_str(), path)
    }

    /// The object store, and the URL a DataFusion context reaches it by.
    pub fn object_store(&self) -> (ObjectStoreUrl, Arc<dyn ObjectStore>) {
        (self.url.clone(), self.store.clone())
    }

    /// Whether this is a local directory.
    pub fn is_local(&self) -> bool {
        self.url.as_str() == ObjectStoreUrl::local_filesystem().as_str()
    }
}

/// Retries of a request to a remote store: a few, within half a minute, so a dead endpoint is
/// reported instead of hanging.
#[cfg(feature = "cloud")]
fn retry() -> object_store::RetryConfig {
    object_store::RetryConfig {
        backoff: object_store::BackoffConfig::default(),
        max_retries: 4,
        retry_timeout: Duration::from_secs(30),
    }
}

#[cfg(feature = "cloud")]
fn cloud_store(url: &str, scheme: &str) -> Result<Arc<dyn ObjectStore>, object_store::Error> {
    Ok(match scheme {
        "s3" | "s3a" => {
            let mut builder = object_store::aws::AmazonS3Builder::from_env();
            // Keys and region the environment does not give come from the AWS profile.
            let profile = crate::aws_profile::current();
            if std::env::var_os("AWS_ACCESS_KEY_ID").is_none()
                && let (Some(id), Some(secret)) = (profile.access_key_id, profile.secret_access_key)
            {
                builder = builder
                    .with_access_key_id(id)
                    .with_secret_access_key(secret);
                if let Some(token) = profile.session_token {
                    builder = builder.with_token(token);
                }
            }
            if std::env::var_os("AWS_REGION").is_none()
                && std::env::var_os("AWS_DEFAULT_REGION").is_none()
                && let Some(region) = profile.region
            {
                builder = builder.with_region(region);
            }
            Arc::new(
                builder
                    .with_url(url)
                    .with_retry(retry())
                    .with_http_connector(crate::http_client::Connector)
                    .build()?,
            )
        }
        "gs" => Arc::new(
            object_store::gcp::GoogleCloudStorageBuilder::from_env()
                .with_url(url)
                .with_retry(retry())
                .with_http_connector(crate::http_client::Connector)
                .build()?,
        ),
        _ => Arc::new(
            object_store::azure::MicrosoftAzureBuilder::from_env()
                .with_url(url)
                .with_retry(retry())
                .with_http_connector(crate::http_client::Connector)
                .build()?,
        ),
    })
}

#[cfg(not(feature = "cloud"))]
fn cloud_store(_url: &str, scheme: &str) -> Result<Arc<dyn ObjectStore>, object_store::Error> {
    Err(object_store::Error::NotSupported {
        source: format!("{scheme}:// stores need lq built with the `cloud` feature").into(),
    })
}
