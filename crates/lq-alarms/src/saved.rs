//! Alarm states kept between runs in a JSON file, replaced atomically, so a restart neither
//! fires an action again nor forgets an ALARM.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::AlarmError;
use crate::state::State;

/// What is kept of one alarm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedAlarm {
    /// Its state.
    pub state: State,
    /// The start of the last period evaluated (epoch milliseconds).
    pub evaluated_to: i64,
    /// Why it is in that state.
    pub reason: String,
}

/// Every alarm's kept state, by name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SavedStates {
    /// By alarm name.
    pub alarms: BTreeMap<String, SavedAlarm>,
}

fn io(path: &Path, source: std::io::Error) -> AlarmError {
    AlarmError::StateFile {
        path: path.display().to_string(),
        source,
    }
}

impl SavedStates {
    /// Reads the file; a file that does not exist is no saved state.
    pub fn load(path: &Path) -> Result<SavedStates, AlarmError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| io(path, e.into())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(SavedStates::default()),
            Err(e) => Err(io(path, e)),
        }
    }

    /// Writes the file: to a temporary file beside it, synced, then renamed over it.
    pub fn store(&self, path: &Path) -> Result<(), AlarmError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| io(path, e))?;
        }
        let mut tmp = PathBuf::from(path);
        tmp.as_mut_os_string().push(".tmp");
        let text = serde_json::to_vec_pretty(self).map_err(|e| io(path, e.into()))?;
        let mut f = std::fs::File::create(&tmp).map_err(|e| io(&tmp, e))?;
        f.write_all(&text).map_err(|e| io(&tmp, e))?;
        f.sync_all().map_err(|e| io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| io(path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_survive_a_round_trip_and_a_missing_file_is_empty() {
        let dir = std::env::temp_dir().join(format!("lq-alarm-saved-{}", std::process::id()));
        let path = dir.join("state.json");
        assert_eq!(SavedStates::load(&path).unwrap(), SavedStates::default());
        let mut s = SavedStates::default();
        s.alarms.insert(
            "a".into(),
            SavedAlarm {
                state: State::Alarm,
                evaluated_to: 60_000,
                reason: "r".into(),
            },
        );
        s.store(&path).unwrap();
        assert_eq!(SavedStates::load(&path).unwrap(), s);
        std::fs::write(&path, "{").unwrap();
        assert!(
            SavedStates::load(&path)
                .unwrap_err()
                .to_string()
                .contains("state.json")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
