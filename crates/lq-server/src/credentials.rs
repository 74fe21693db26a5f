//! Who may call the server: access key ids and their secrets, from a credentials file in the aws
//! format (every profile's pair) or from `LQ_SERVE_ACCESS_KEY_ID` / `LQ_SERVE_SECRET_ACCESS_KEY`.

use std::collections::HashMap;
use std::path::Path;

use crate::error::ServerError;

/// Access key id → secret access key.
#[derive(Clone, Default)]
pub struct Credentials {
    keys: HashMap<String, String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secrets.
        f.debug_struct("Credentials")
            .field("access_key_ids", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Credentials {
    /// One key pair.
    pub fn single(access_key_id: &str, secret_access_key: &str) -> Self {
        Credentials {
            keys: HashMap::from([(access_key_id.to_string(), secret_access_key.to_string())]),
        }
    }

    /// Every key pair of a credentials file.
    pub fn from_file(path: &Path) -> Result<Self, ServerError> {
        let text = std::fs::read_to_string(path).map_err(|e| ServerError::Credentials {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let keys: HashMap<String, String> = lq_store::aws_profile::key_pairs(&text)
            .into_values()
            .collect();
        if keys.is_empty() {
            return Err(ServerError::Credentials {
                path: path.display().to_string(),
                reason: "no profile has both aws_access_key_id and aws_secret_access_key".into(),
            });
        }
        Ok(Credentials { keys })
    }

    /// The pair in `LQ_SERVE_ACCESS_KEY_ID` and `LQ_SERVE_SECRET_ACCESS_KEY`, if both are set.
    pub fn from_env() -> Result<Option<Self>, ServerError> {
        let id = std::env::var("LQ_SERVE_ACCESS_KEY_ID").ok();
        let secret = std::env::var("LQ_SERVE_SECRET_ACCESS_KEY").ok();
        match (id, secret) {
            (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => {
                Ok(Some(Credentials::single(&id, &secret)))
            }
            (None, None) => Ok(None),
            _ => Err(ServerError::Credentials {
                path: "LQ_SERVE_ACCESS_KEY_ID / LQ_SERVE_SECRET_ACCESS_KEY".into(),
                reason: "set both, or neither".into(),
            }),
        }
    }

    /// The secret of an access key id.
    pub fn secret(&self, access_key_id: &str) -> Option<&str> {
        self.keys.get(access_key_id).map(String::as_str)
    }
}
