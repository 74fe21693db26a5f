//! AWS shared credentials and config files (`~/.aws/credentials`, `~/.aws/config`): the keys and
//! region of a profile (`AWS_PROFILE`, else `default`), for when the environment names none; and
//! every key pair of a credentials file (the keys a server accepts).
#![cfg_attr(not(feature = "cloud"), allow(dead_code))]

use std::collections::HashMap;
use std::path::PathBuf;

/// What a profile gives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Profile {
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    pub region: Option<String>,
}

/// The sections of an INI text: name → key → value.
fn sections(text: &str) -> HashMap<String, HashMap<String, String>> {
    let mut out: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = Some(name.trim().to_string());
            continue;
        }
        if let (Some(section), Some((k, v))) = (&current, line.split_once('=')) {
            out.entry(section.clone())
                .or_default()
                .insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    out
}

/// Every profile's key pair (access key id, secret access key) in a credentials file's text, by
/// profile name; profiles without both keys are left out.
pub fn key_pairs(credentials: &str) -> std::collections::BTreeMap<String, (String, String)> {
    sections(credentials)
        .into_iter()
        .filter_map(|(name, keys)| {
            let id = keys.get("aws_access_key_id")?.clone();
            let secret = keys.get("aws_secret_access_key")?.clone();
            Some((name, (id, secret)))
        })
        .collect()
}

/// The profile `name` from the texts of the credentials and config files.
pub(crate) fn profile_from(name: &str, credentials: &str, config: &str) -> Profile {
    let creds = sections(credentials);
    let conf = sections(config);
    let from_creds = creds.get(name);
    // In the config file a profile is `[profile NAME]`, but `[default]`.
    let from_conf = conf
        .get(&format!("profile {name}"))
        .or_else(|| (name == "default").then(|| conf.get("default")).flatten());
    let get = |key: &str| {
        from_creds
            .and_then(|s| s.get(key))
            .or_else(|| from_conf.and_then(|s| s.get(key)))
            .cloned()
    };
    Profile {
        access_key_id: get("aws_access_key_id"),
        secret_access_key: get("aws_secret_access_key"),
        session_token: get("aws_session_token"),
        region: from_conf.and_then(|s| s.get("region")).cloned(),
    }
}

/// The profile the environment points at, read from the usual files.
pub(crate) fn current() -> Profile {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let file = |var: &str, default: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".aws").join(default))
    };
    let read = |p: PathBuf| std::fs::read_to_string(p).unwrap_or_default();
    let name = std::env::var("AWS_PROFILE").unwrap_or_else(|_| "default".into());
    profile_from(
        &name,
        &read(file("AWS_SHARED_CREDENTIALS_FILE", "credentials")),
        &read(file("AWS_CONFIG_FILE", "config")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_takes_keys_from_credentials_and_region_from_config() {
        let credentials = "[default]\naws_access_key_id = AKIDEFAULT\naws_secret_access_key = s1\n\n[dev]\naws_access_key_id=AKIDEV\naws_secret_access_key=s2\naws_session_token=tok\n";
        let config =
            "[default]\nregion = us-east-1\n# a comment\n[profile dev]\nregion = eu-west-1\n";
        assert_eq!(
            profile_from("dev", credentials, config),
            Profile {
                access_key_id: Some("AKIDEV".into()),
                secret_access_key: Some("s2".into()),
                session_token: Some("tok".into()),
                region: Some("eu-west-1".into()),
            }
        );
        let default = profile_from("default", credentials, config);
        assert_eq!(default.access_key_id.as_deref(), Some("AKIDEFAULT"));
        assert_eq!(default.region.as_deref(), Some("us-east-1"));
        assert_eq!(
            profile_from("none", credentials, config),
            Profile::default()
        );
        let pairs = key_pairs(&format!(
            "{credentials}[half]\naws_access_key_id = AKIDHALF\n"
        ));
        assert_eq!(
            pairs.into_iter().collect::<Vec<_>>(),
            [
                (
                    "default".to_string(),
                    ("AKIDEFAULT".to_string(), "s1".to_string())
                ),
                ("dev".to_string(), ("AKIDEV".to_string(), "s2".to_string())),
            ]
        );
    }
}
