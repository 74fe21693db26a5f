//! Where a log group's events are: in the store, or in a served log directory (the group `G` is the
//! files under `DIR/G`, never outside `DIR`); and the engine and inputs a query over groups runs with.

use std::path::{Component, Path, PathBuf};

use crate::error::ApiError;
use crate::state::ServerState;

/// Where the groups of one request are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Groups {
    /// Groups of the store, by name (none: those the query's `SOURCE` names).
    Store(Vec<String>),
    /// Groups of log directories: their files or directories.
    Files(Vec<PathBuf>),
}

/// The path of group `name` under the log directory `dir`, if it exists there and stays inside it.
pub fn group_path(dir: &Path, name: &str) -> Option<PathBuf> {
    let relative = Path::new(name.trim_start_matches('/'));
    if relative.as_os_str().is_empty()
        || relative
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let root = dir.canonicalize().ok()?;
    let path = root.join(relative).canonicalize().ok()?;
    // A symbolic link may still lead out.
    path.starts_with(&root).then_some(path)
}

/// The groups of the served log directories: each entry of each directory.
pub fn log_dir_groups(dirs: &[PathBuf]) -> Vec<String> {
    let mut out = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') && group_path(dir, &name).is_some() {
                out.push(name);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Finds every named group; all must be in the store, or all in log directories.
pub async fn resolve(state: &ServerState, names: &[String]) -> Result<Groups, ApiError> {
    if names.is_empty() {
        return Err(ApiError::invalid_parameter(
            "name at least one log group (logGroupName, logGroupNames or logGroupIdentifiers)",
        ));
    }
    let mut store = Vec::new();
    let mut files = Vec::new();
    for name in names {
        if state.store_has_group(name).await? {
            store.push(name.clone());
        } else if let Some(path) = state.options.logs.iter().find_map(|d| group_path(d, name)) {
            files.push(path);
        } else {
            return Err(ApiError::not_found(format!(
                "Log group '{name}' does not exist"
            )));
        }
    }
    match (store.is_empty(), files.is_empty()) {
        (false, true) => Ok(Groups::Store(store)),
        (true, false) => Ok(Groups::Files(files)),
        _ => Err(ApiError::invalid_parameter(
            "the log groups are partly in the store and partly in log directories; query them separately",
        )),
    }
}

/// An engine over `groups` for records in `[start_ms, end_ms]`, with no row cap unless `limit`,
/// and the inputs to give it.
pub fn engine(
    state: &ServerState,
    groups: &Groups,
    (start_ms, end_ms): (Option<i64>, Option<i64>),
    limit: Option<u64>,
) -> (lq::Engine, Vec<lq::Input>) {
    let mut options = lq::EngineOptions {
        start_ms,
        end_ms,
        default_limit: limit,
        target_partitions: state.options.target_partitions.max(1),
        memory_limit: Some(state.options.memory_per_query),
        shared_memory: Some(state.memory.clone()),
        ..lq::EngineOptions::default()
    };
    let inputs = match groups {
        Groups::Store(names) => {
            options.store = state.options.store.clone();
            // No names: the query's own SOURCE chooses.
            options.store_groups = (!names.is_empty()).then(|| names.clone());
            Vec::new()
        }
        Groups::Files(paths) => paths.iter().map(lq::Input::path).collect(),
    };
    (lq::Engine::new(options), inputs)
}
