//! Saved queries and defaults from the config file: `-q NAME`, `--list-queries`, `[defaults]`.

mod common;

use common::{lq_env, scratch_dir, stderr, stdout, testdata};

const CONFIG: &str = r#"
[defaults]
format = "csv"

[queries]
levels = "stats count(*) as n by level | sort level asc"

[queries.errors-by-service]
description = "Errors per service, most first"
query = '''
filter level = "ERROR"
| stats count(*) as errors by service
| sort errors desc, service asc
'''
"#;

fn config_home() -> common::ScratchDir {
    let home = scratch_dir("xdg");
    std::fs::create_dir_all(home.join("lq")).expect("mkdir");
    std::fs::write(home.join("lq/config.toml"), CONFIG).expect("write config");
    home
}

#[test]
fn saved_query_runs_with_defaults_from_the_xdg_config() {
    let home = config_home();
    let home = home.to_str().expect("utf-8");
    let app = testdata("logs/app.ndjson");
    let o = lq_env(
        &["-q", "errors-by-service", &app, "--quiet"],
        None,
        &[("XDG_CONFIG_HOME", home)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // csv comes from [defaults]; the command line still wins.
    assert_eq!(stdout(&o), "service,errors\npayments,2\ncart,1\n");
    let o = lq_env(
        &["-q", "levels", &app, "--quiet", "--format", "ndjson"],
        None,
        &[("XDG_CONFIG_HOME", home)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "{\"level\":\"DEBUG\",\"n\":1}\n{\"level\":\"ERROR\",\"n\":3}\n{\"level\":\"INFO\",\"n\":3}\n{\"level\":\"WARN\",\"n\":1}\n"
    );
}

#[test]
fn list_queries_shows_names_descriptions_and_text() {
    let home = config_home();
    let o = lq_env(
        &["--list-queries"],
        None,
        &[("XDG_CONFIG_HOME", home.to_str().expect("utf-8"))],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("errors-by-service  — Errors per service, most first\n    filter level = \"ERROR\"\n    | stats count(*) as errors by service"), "{out}");
    assert!(
        out.contains("levels\n    stats count(*) as n by level | sort level asc\n"),
        "{out}"
    );
}

#[test]
fn unknown_saved_query_names_the_ones_there_are() {
    let home = config_home();
    let o = lq_env(
        &["-q", "erors", &testdata("logs/app.ndjson")],
        None,
        &[("XDG_CONFIG_HOME", home.to_str().expect("utf-8"))],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no saved query `erors`")
            && stderr(&o).contains("saved queries: errors-by-service, levels"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn config_flag_and_env_and_bad_config() {
    let dir = scratch_dir("config-flag");
    let file = dir.join("mine.toml");
    std::fs::write(&file, CONFIG).expect("write");
    let app = testdata("logs/app.ndjson");
    let path = file.to_str().expect("utf-8");
    let o = lq_env(
        &["--config", path, "-q", "levels", &app, "--quiet"],
        None,
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("level,n\nDEBUG,1\n"),
        "{}",
        stdout(&o)
    );
    let o = lq_env(
        &["-q", "levels", &app, "--quiet"],
        None,
        &[("LQ_CONFIG", path)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("level,n\n"), "{}", stdout(&o));
    // A typo in the file is reported with where it is.
    std::fs::write(&file, "[defaults]\nformt = \"csv\"\n").expect("write");
    let o = lq_env(&["--config", path, "stats count(*)", &app], None, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is not valid") && stderr(&o).contains("formt"),
        "{}",
        stderr(&o)
    );
    // A config file named explicitly must exist.
    let o = lq_env(
        &["--config", "/nonexistent/lq.toml", "stats count(*)", &app],
        None,
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot read the config file"),
        "{}",
        stderr(&o)
    );
}
