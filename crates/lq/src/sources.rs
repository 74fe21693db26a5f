//! Log groups and log streams of local logs: a log group is a directory, a log stream a file.
//!
//! `SOURCE` selects among the inputs given to lq (directories expand to the files under them):
//! `SOURCE logGroups(namePrefix: ['app'])` keeps files whose directory name, or path relative to the
//! directory given, starts with a prefix; `SOURCE 'name'` keeps the log group of that name (or, with
//! no inputs given, reads the directory, file or glob `name`). `dataSource`, `logGroupTags`,
//! `accountIdentifier` and `class` have no local meaning and select everything.

use std::path::{Path, PathBuf};

use lq_syntax::ast::{Source, SourceSelector};

use crate::Error;

/// An input with the names `SOURCE` matches against.
#[derive(Debug, Clone)]
pub(crate) struct Located {
    pub input: lq_source::Input,
    /// The log group: the file's directory as written.
    pub group: String,
    /// The directory relative to a directory argument (empty for files given directly).
    pub relative_group: String,
}

/// Expands directory inputs into the files under them (sorted, hidden entries skipped).
pub(crate) fn expand(inputs: Vec<lq_source::Input>) -> Result<Vec<Located>, Error> {
    let mut out = Vec::new();
    for input in inputs {
        match &input {
            lq_source::Input::File(path) if path.is_dir() => {
                for file in files_under(path)? {
                    let group = parent_of(&file);
                    let relative_group = file
                        .parent()
                        .and_then(|p| p.strip_prefix(path).ok())
                        .map(|p| p.display().to_string())
                        .unwrap_or_default();
                    out.push(Located {
                        input: lq_source::Input::File(file),
                        group,
                        relative_group,
                    });
                }
            }
            lq_source::Input::File(path) => out.push(Located {
                group: parent_of(path),
                relative_group: String::new(),
                input,
            }),
            lq_source::Input::Bytes { log, .. } | lq_source::Input::Stream { log, .. } => {
                out.push(Located {
                    group: log.clone(),
                    relative_group: String::new(),
                    input,
                });
            }
        }
    }
    Ok(out)
}

/// Splits inputs into those that can be opened and messages about those that cannot.
pub(crate) fn readable(inputs: Vec<Located>) -> (Vec<Located>, Vec<String>) {
    let mut ok = Vec::new();
    let mut problems = Vec::new();
    for l in inputs {
        if let lq_source::Input::File(path) = &l.input {
            match std::fs::File::open(path).and_then(|f| f.metadata()) {
                Err(e) => {
                    problems.push(format!("cannot read {}: {e}", path.display()));
                    continue;
                }
                Ok(m) if m.is_dir() => {
                    problems.push(format!("cannot list the directory {}", path.display()));
                    continue;
                }
                Ok(_) => {}
            }
        }
        ok.push(l);
    }
    (ok, problems)
}

fn parent_of(path: &Path) -> String {
    path.parent()
        .map(|p| p.display().to_string())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| ".".to_string())
}

fn files_under(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
    {
        match entry {
            Ok(entry) if entry.file_type().is_file() => {
                if !looks_binary(entry.path()) {
                    files.push(entry.into_path());
                }
            }
            Ok(_) => {}
            // An unreadable directory below: its files are reported when opened as paths.
            Err(e) => match e.path() {
                Some(p) => files.push(p.to_path_buf()),
                None => return Err(Error::Input(format!("cannot read {}: {e}", dir.display()))),
            },
        }
    }
    Ok(files)
}

/// Whether a file found in a directory is binary (a NUL byte in its first 8 KiB) and not a
/// compressed log or Parquet, which lq reads; binary files in directories are skipped, as ripgrep
/// does.
fn looks_binary(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 8192];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    let head = &head[..n];
    let compressed = head.starts_with(b"\x1f\x8b")
        || head.starts_with(b"\x28\xb5\x2f\xfd")
        || head.starts_with(b"BZh")
        || head.starts_with(b"PAR1");
    !compressed && head.contains(&0)
}

fn last_component(group: &str) -> &str {
    group.rsplit('/').next().unwrap_or(group)
}

fn group_matches_name(l: &Located, name: &str) -> bool {
    let name = name.trim_end_matches('/');
    l.group == name
        || l.relative_group == name.trim_start_matches('/')
        || l.group
            .ends_with(&format!("/{}", name.trim_start_matches('/')))
        || last_component(&l.group) == name
        || glob::Pattern::new(name).is_ok_and(|p| match &l.input {
            lq_source::Input::File(f) => p.matches_path(f) || p.matches(&l.group),
            _ => p.matches(&l.group),
        })
}

/// The inputs a `SOURCE` command selects. With no inputs at all, a named source is read from disk.
pub(crate) fn select(source: &Source, inputs: Vec<Located>) -> Result<Vec<Located>, Error> {
    if inputs.is_empty() {
        let mut out = Vec::new();
        for s in &source.selectors {
            if let SourceSelector::Name(name) = s {
                out.extend(from_disk(name)?);
            }
        }
        return Ok(out);
    }
    let mut selected = inputs;
    for s in &source.selectors {
        selected.retain(|l| match s {
            SourceSelector::LogGroups { name_prefix, .. } => {
                name_prefix.is_empty()
                    || name_prefix.iter().any(|p| {
                        l.group.starts_with(p.as_str())
                            || l.relative_group.starts_with(p.as_str())
                            || last_component(&l.group).starts_with(p.as_str())
                    })
            }
            SourceSelector::Name(name) => group_matches_name(l, name),
            SourceSelector::DataSource(_) | SourceSelector::LogGroupTags(_) => true,
        });
    }
    Ok(selected)
}

fn from_disk(name: &str) -> Result<Vec<Located>, Error> {
    let path = Path::new(name);
    if path.exists() {
        return expand(vec![lq_source::Input::File(path.to_path_buf())]);
    }
    let mut files = Vec::new();
    if let Ok(paths) = glob::glob(name) {
        for p in paths.flatten() {
            files.push(lq_source::Input::File(p));
        }
    }
    if files.is_empty() {
        return Err(Error::Input(format!(
            "SOURCE '{name}': no such log group (a directory, file or glob)"
        )));
    }
    expand(files)
}

/// The groups of a store that a `SOURCE` command selects: by name (exact, or a glob), by
/// `logGroups(namePrefix: [...])`; selectors without a local meaning keep every group.
pub(crate) fn store_groups(source: &Source, groups: Vec<String>) -> Vec<String> {
    let mut selected = groups;
    for s in &source.selectors {
        selected.retain(|g| match s {
            SourceSelector::LogGroups { name_prefix, .. } => {
                name_prefix.is_empty() || name_prefix.iter().any(|p| g.starts_with(p.as_str()))
            }
            SourceSelector::Name(name) => {
                g == name || glob::Pattern::new(name).is_ok_and(|p| p.matches(g))
            }
            SourceSelector::DataSource(_) | SourceSelector::LogGroupTags(_) => true,
        });
    }
    selected
}
