//! The `lq` command: parses arguments, runs the query through the `lq` library, renders the result.

mod alarm;
mod args;
mod chart;
mod config;
mod context;
mod failure;
mod follow;
mod ingest;
mod output_file;
mod progress;
mod render;
mod serve;
mod store;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use lq::{Engine, EngineOptions, Error, Input};

use args::{Args, ColorChoice, Format};
use failure::Failure;
use render::TableStyle;

/// Parses a size such as `512M`, `2G`, `1.5GiB`, `65536` (bytes), or `none`.
fn parse_size(text: &str) -> Result<Option<usize>, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("--memory-limit expects a size such as 512M or 4G, got `{text}`"))?;
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(format!("unknown size unit in `{text}` (use K, M, G or T)")),
    };
    Ok(Some((number * scale) as usize))
}

fn main() -> ExitCode {
    // glibc gives a worker thread's freed memory back to the kernel once 128 KiB sit free at the
    // top of its arena, and maps buffers over its (adaptive) threshold afresh: every batch's
    // buffers were faulted in and zeroed again (with two threads, kernel time was 3x one thread's
    // on `pct ... by service`). Keeping up to 128 MiB free costs nothing for a process that exits
    // when the query ends. SAFETY: mallopt only changes allocator settings; no other thread exists.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 << 20);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
    }
    // `lq ingest`, `lq alarm`, `lq store` and `lq serve` are commands of their own; anything else is a query.
    match std::env::args().nth(1).as_deref() {
        Some("ingest") => {
            return finish(
                ingest::IngestArgs::try_parse_from(std::env::args().skip(1)),
                ingest::run,
            );
        }
        Some("alarm") => {
            return match alarm::AlarmArgs::try_parse_from(std::env::args().skip(1)) {
                Ok(args) => alarm::run(args).unwrap_or_else(Failure::report),
                Err(e) => {
                    let _ = e.print();
                    ExitCode::from(if e.use_stderr() { 2 } else { 0 })
                }
            };
        }
        Some("store") => {
            return finish(
                store::StoreArgs::try_parse_from(std::env::args().skip(1)),
                store::run,
            );
        }
        Some("serve") => {
            return finish(
                serve::ServeArgs::try_parse_from(std::env::args().skip(1)),
                serve::run,
            );
        }
        _ => {}
    }
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

/// Runs a command whose arguments parsed, or prints why they did not.
fn finish<A>(parsed: Result<A, clap::Error>, run: fn(A) -> Result<(), Failure>) -> ExitCode {
    match parsed {
        Ok(args) => match run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(failure) => failure.report(),
        },
        Err(e) => {
            let _ = e.print();
            if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}

fn run(mut args: Args) -> Result<(), Failure> {
    if let Some(shell) = args.completions {
        let mut command = <Args as clap::CommandFactory>::command();
        // Into memory first: the generator panics on a write error such as a closed pipe.
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut command, "lq", &mut script);
        let _ = std::io::stdout().write_all(&script);
        return Ok(());
    }
    if args.man {
        let command = <Args as clap::CommandFactory>::command();
        let mut page = Vec::new();
        clap_mangen::Man::new(command)
            .render(&mut page)
            .map_err(|e| Failure::Output(format!("cannot write the man page: {e}")))?;
        let _ = std::io::stdout().write_all(&page);
        return Ok(());
    }
    let (config, config_path) = config::load(args.config.as_deref()).map_err(Failure::Usage)?;
    if args.list_queries {
        print!("{}", config.list(config_path.as_deref()));
        return Ok(());
    }
    let defaults = &config.defaults;
    let query = if let Some(name) = &args.saved_query {
        // The first positional argument is then a file.
        if let Some(first) = args.query.take() {
            args.files.insert(0, PathBuf::from(first));
        }
        config
            .query(name, config_path.as_deref())
            .map_err(Failure::Usage)?
            .to_string()
    } else if let Some(path) = &args.query_file {
        if let Some(first) = args.query.take() {
            args.files.insert(0, PathBuf::from(first));
        }
        std::fs::read_to_string(path).map_err(|e| {
            Failure::Usage(format!("cannot read query file {}: {e}", path.display()))
        })?
    } else {
        args.query.clone().ok_or_else(|| {
            Failure::Usage("no query given (pass QUERY, --query-file or -q NAME)".into())
        })?
    };
    let format = args.format.or(defaults.format).unwrap_or(Format::Table);
    let output = match &args.output {
        Some(path) => Some((
            path.clone(),
            output_file::FileFormat::of(path).map_err(Failure::Usage)?,
        )),
        None => None,
    };
    let color = args.color.or(defaults.color).unwrap_or(ColorChoice::Auto);
    let wide = args.wide || defaults.wide.unwrap_or(false);
    let quiet = args.quiet || defaults.quiet.unwrap_or(false);
    let now_ms = chrono::Utc::now().timestamp_millis();
    let time = |t: &Option<String>| -> Result<Option<i64>, Failure> {
        t.as_deref()
            .map(|s| lq::time::parse_time_arg(s, now_ms).map_err(Failure::Usage))
            .transpose()
    };
    let mut options = EngineOptions {
        timestamp_field: args
            .timestamp_field
            .clone()
            .or_else(|| defaults.timestamp_field.clone()),
        start_ms: time(&args.start)?,
        end_ms: time(&args.end)?,
        record_start: args.record_start.clone(),
        ..EngineOptions::default()
    };
    // A store: --store, a store given as the only file, or the config's when no file is given.
    options.store = args.store.clone().or_else(|| match args.files.as_slice() {
        [only] if lq::store::is_url(&only.to_string_lossy()) || lq::store::is_store_dir(only) => {
            Some(only.to_string_lossy().into_owned())
        }
        [] => defaults.store.clone(),
        _ => None,
    });
    if options.store.is_some() && args.store.is_none() && !args.files.is_empty() {
        args.files.clear();
    }
    if options.store.is_some() && !args.files.is_empty() {
        return Err(Failure::Usage(
            "give either --store or files to read, not both".into(),
        ));
    }
    let reads_store = options.store.is_some();
    if let Some(p) = args.partitions.or(defaults.partitions) {
        options.target_partitions = p.max(1);
    }
    if let Some(m) = args
        .memory_limit
        .as_ref()
        .or(defaults.memory_limit.as_ref())
    {
        options.memory_limit = parse_size(m).map_err(Failure::Usage)?;
    }
    options.spill_dir = args
        .spill_dir
        .clone()
        .or_else(|| defaults.spill_dir.clone());
    for l in &args.lookups {
        let (name, file) = l
            .split_once('=')
            .ok_or_else(|| Failure::Usage(format!("--lookup expects NAME=FILE, got `{l}`")))?;
        options
            .lookup_tables
            .push((name.to_string(), PathBuf::from(file)));
    }
    let engine = Engine::new(options);
    if args.explain {
        // With files, the plan a run over them executes (their sizes decide the partitions);
        // standard input is not waited for.
        let files = args
            .files
            .iter()
            .filter(|f| f.as_os_str() != "-")
            .flat_map(|f| expand_glob(f))
            .map(Input::path)
            .collect();
        println!("{}", engine.explain_inputs(&query, files)?);
        return Ok(());
    }
    // Report query errors before blocking on stdin. Over files it is not needed: running the
    // query compiles it before anything is read, and a check costs a second compilation (~3 ms,
    // a tenth of a 100 MB query).
    let reads_stdin =
        !reads_store && (args.files.is_empty() || args.files.iter().any(|f| f.as_os_str() == "-"));
    if reads_stdin || args.follow {
        engine.check(&query)?;
    }
    let tty = std::io::stdout().is_terminal();
    let style = TableStyle {
        width: if wide {
            None
        } else {
            args.width.or_else(|| tty.then(render::terminal_width))
        },
        color: color_enabled(color, tty),
    };
    if args.follow {
        let mut files = Vec::new();
        for file in &args.files {
            if file.as_os_str() != "-" {
                files.extend(expand_glob(file));
            }
        }
        return follow::run(&engine, &query, &files, format, style);
    }
    let mut inputs = Vec::new();
    // A query that starts with SOURCE names its logs itself; otherwise no files means stdin.
    // Standard input is scanned as it arrives; pictures that read it twice keep it in memory.
    let stdin = || -> Result<Input, Failure> {
        let input = Input::stream("stdin", std::io::stdin());
        Ok(if args.histogram {
            input.buffered()?
        } else {
            input
        })
    };
    if args.files.is_empty() && !reads_store && !engine.names_its_sources(&query) {
        inputs.push(stdin()?);
    }
    for file in &args.files {
        if file.as_os_str() == "-" {
            inputs.push(stdin()?);
        } else {
            for path in expand_glob(file) {
                inputs.push(Input::path(path));
            }
        }
    }
    let histogram_inputs = args.histogram.then(|| inputs.clone());
    let progress_choice = args
        .progress
        .or(defaults.progress)
        .unwrap_or(args::ProgressChoice::Auto);
    let run_query = match args.context {
        Some(_) => {
            let q = context::with_pointer(&query);
            engine.check(&q).map_err(|_| {
                Failure::Usage(
                    "--context shows the lines around matching records, but this query returns no records (it aggregates with stats, or `display` leaves out @ptr)".into(),
                )
            })?;
            q
        }
        None => query.clone(),
    };
    let result = match progress::run(&engine, &run_query, inputs, progress_choice)? {
        progress::Outcome::Done(result) => result,
        progress::Outcome::Interrupted(stats, total) => {
            eprintln!("{}", progress::interrupted_note(&stats, total));
            return Err(Failure::Interrupted);
        }
    };
    for w in &result.warnings {
        eprintln!("{w}");
    }
    // Pictures go above the table on stdout; with another format or --output, to stderr.
    let pictures_on_stdout = output.is_none() && format == Format::Table;
    let picture_width = style
        .width
        .or(args.width)
        .unwrap_or_else(|| if tty { render::terminal_width() } else { 100 });
    let mut pictures = String::new();
    if let Some(inputs) = histogram_inputs {
        let bars = picture_width.saturating_sub(8).max(10);
        let h = engine.histogram(&query, inputs, bars)?;
        pictures.push_str(&chart::histogram(&h, picture_width, 8, style.color));
    }
    if args.chart || args.chart_out.is_some() {
        let data = chart::from_result(&result).map_err(Failure::Usage)?;
        if args.chart {
            pictures.push_str(&chart::terminal(&data, picture_width, 12, style.color));
        }
        if let Some(path) = &args.chart_out {
            chart::svg(&data, query.trim(), path).map_err(Failure::Output)?;
        }
    }
    if !pictures.is_empty() {
        if pictures_on_stdout {
            print!("{pictures}");
        } else {
            eprint!("{pictures}");
        }
    }
    if let Some(n) = args.context {
        let text = context::render(&result, n, style.color).map_err(Failure::Usage)?;
        let mut out = std::io::stdout().lock();
        if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush())
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            return Err(Failure::Output(format!("cannot write output: {e}")));
        }
    } else {
        match &output {
            Some((path, file_format)) => {
                output_file::write(&result, path, *file_format).map_err(Failure::Output)?
            }
            None => match render::render(&result, format, &style) {
                // A reader that stopped early (`| head`) is not an error.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
                other => other.map_err(|e| Failure::Output(format!("cannot write output: {e}")))?,
            },
        }
    }
    if !quiet {
        render::summary(&result);
    }
    // Inputs that could not be read: the answer covers the others, and the exit status says so.
    if !result.stats.input_problems.is_empty() {
        for p in &result.stats.input_problems {
            eprintln!("error: {p}");
        }
        return Err(Failure::Lq(Error::Input(format!(
            "{} input(s) could not be read completely; the answer covers the rest",
            result.stats.input_problems.len()
        ))));
    }
    Ok(())
}

/// Whether to colour output going to a terminal (`tty`) or not.
fn color_enabled(choice: ColorChoice, tty: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

/// A quoted glob (`'logs/**/*.log'`) names the files it matches, in order; any other path is
/// itself (directories expand to the files below them in the library).
pub(crate) fn expand_glob(path: &std::path::Path) -> Vec<PathBuf> {
    let text = path.to_string_lossy();
    if path.exists() || !text.contains(['*', '?', '[']) {
        return vec![path.to_path_buf()];
    }
    let mut matches: Vec<PathBuf> = glob::glob(&text)
        .map(|paths| paths.flatten().filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    matches.sort();
    if matches.is_empty() {
        vec![path.to_path_buf()]
    } else {
        matches
    }
}
