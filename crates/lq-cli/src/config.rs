//! The user's configuration file: named queries (`lq -q NAME`) and default options.
//!
//! Found at `--config PATH`, else `$LQ_CONFIG`, else `$XDG_CONFIG_HOME/lq/config.toml`, else
//! `~/.config/lq/config.toml`. A missing default file is an empty configuration; a file named
//! explicitly must exist.
//!
//! ```toml
//! [defaults]
//! format = "csv"
//! timestamp-field = "ts"
//!
//! [queries]
//! slow = "filter duration_ms > 1000 | sort duration_ms desc | limit 20"
//!
//! [queries.errors-by-service]
//! description = "Errors per service, most first"
//! query = 'filter level = "ERROR" | stats count(*) as errors by service | sort errors desc'
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::args::{ColorChoice, Format, ProgressChoice};

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Options used when the command line does not give them.
    #[serde(default)]
    pub defaults: Defaults,
    /// Named queries, by name.
    #[serde(default)]
    pub queries: BTreeMap<String, SavedQuery>,
    /// Alarms, by name (`lq alarm`).
    #[serde(default)]
    pub alarms: BTreeMap<String, lq_alarms::AlarmSpec>,
}

/// Default options; the command line wins.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Defaults {
    pub format: Option<Format>,
    pub color: Option<ColorChoice>,
    pub progress: Option<ProgressChoice>,
    pub timestamp_field: Option<String>,
    pub memory_limit: Option<String>,
    pub spill_dir: Option<PathBuf>,
    pub partitions: Option<usize>,
    pub wide: Option<bool>,
    pub quiet: Option<bool>,
    /// The log store read when no files are given, and written by `lq ingest` without --store.
    pub store: Option<String>,
}

/// A named query: its text alone, or a table with a description.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum SavedQuery {
    Text(String),
    Described {
        query: String,
        #[serde(default)]
        description: Option<String>,
    },
}

impl SavedQuery {
    pub fn query(&self) -> &str {
        match self {
            SavedQuery::Text(q) | SavedQuery::Described { query: q, .. } => q,
        }
    }

    pub fn description(&self) -> Option<&str> {
        match self {
            SavedQuery::Text(_) => None,
            SavedQuery::Described { description, .. } => description.as_deref(),
        }
    }
}

/// Where the configuration is read from, and whether it must exist.
pub fn location(explicit: Option<&Path>) -> Option<(PathBuf, bool)> {
    if let Some(p) = explicit {
        return Some((p.to_path_buf(), true));
    }
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(p) = env("LQ_CONFIG") {
        return Some((PathBuf::from(p), true));
    }
    let base = env("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some((base.join("lq").join("config.toml"), false))
}

/// Reads the configuration (empty when the default file does not exist).
pub fn load(explicit: Option<&Path>) -> Result<(Config, Option<PathBuf>), String> {
    let Some((path, required)) = location(explicit) else {
        return Ok((Config::default(), None));
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            return Ok((Config::default(), Some(path)));
        }
        Err(e) => {
            return Err(format!(
                "cannot read the config file {}: {e}",
                path.display()
            ));
        }
    };
    let config: Config = toml::from_str(&text)
        .map_err(|e| format!("the config file {} is not valid: {e}", path.display()))?;
    Ok((config, Some(path)))
}

impl Config {
    /// The saved query of that name, or an error listing the names there are.
    pub fn query(&self, name: &str, path: Option<&Path>) -> Result<&str, String> {
        if let Some(q) = self.queries.get(name) {
            return Ok(q.query());
        }
        let file = path.map_or("(no config file)".to_string(), |p| p.display().to_string());
        if self.queries.is_empty() {
            return Err(format!(
                "no saved query `{name}`: {file} defines none (add a [queries] table)"
            ));
        }
        let names: Vec<&str> = self.queries.keys().map(String::as_str).collect();
        Err(format!(
            "no saved query `{name}` in {file}; saved queries: {}",
            names.join(", ")
        ))
    }

    /// The `--list-queries` text: each name, its description and its query.
    pub fn list(&self, path: Option<&Path>) -> String {
        let mut out = String::new();
        let file = path.map_or("no config file".to_string(), |p| p.display().to_string());
        if self.queries.is_empty() {
            out.push_str(&format!("no saved queries ({file})\n"));
            return out;
        }
        out.push_str(&format!("saved queries in {file}:\n"));
        for (name, q) in &self.queries {
            match q.description() {
                Some(d) => out.push_str(&format!("{name}  — {d}\n")),
                None => out.push_str(&format!("{name}\n")),
            }
            out.push_str(&format!(
                "    {}\n",
                q.query().trim().replace('\n', "\n    ")
            ));
        }
        out
    }
}
