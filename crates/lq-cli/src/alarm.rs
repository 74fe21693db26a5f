//! `lq alarm list | history | check`: alarms from the config file (or one given with --metric)
//! run over log files or a store.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use lq::{Engine, EngineOptions, Input};
use lq_alarms::action::{self, Notice};
use lq_alarms::condition::Condition;
use lq_alarms::definition::{Alarm, AlarmKind, AlarmSpec};
use lq_alarms::saved::{SavedAlarm, SavedStates};
use lq_alarms::state::MissingData;
use lq_alarms::{History, State, history, number_text, time_text};

use crate::chart::{self, ChartData};
use crate::failure::Failure;

/// Alarms on log queries.
#[derive(Debug, Parser)]
#[command(
    name = "lq alarm",
    bin_name = "lq alarm",
    about = "Alarms on log queries: backtest them over history, check them from cron or CI, watch live logs",
    after_help = "Alarms are defined in the config file under [alarms.NAME] (see README), or on the command \
line with --metric/--expression/--condition. Exit status of `check`: 0 OK, 3 ALARM, 4 INSUFFICIENT_DATA; \
1 an error, 2 a wrong command line or definition."
)]
pub struct AlarmArgs {
    /// The config file (default: $LQ_CONFIG, else $XDG_CONFIG_HOME/lq/config.toml).
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: AlarmCommand,
}

/// The `lq alarm` commands.
#[derive(Debug, Subcommand)]
pub enum AlarmCommand {
    /// The alarms of the config file, validated.
    List,
    /// A backtest: every change of state over the inputs' history, with its time, value and
    /// reason; --points shows every period, --chart draws the metric against the threshold.
    History {
        #[command(flatten)]
        run: RunArgs,
        /// Show every period (time, value, threshold or band, state), not only the changes.
        #[arg(long)]
        points: bool,
        /// Draw the metric and its threshold or band in the terminal.
        #[arg(long)]
        chart: bool,
        /// Write that chart as SVG.
        #[arg(long, value_name = "FILE.svg")]
        chart_out: Option<PathBuf>,
    },
    /// Evaluate up to the latest period once; the exit status gives the state. With --state, a
    /// change from the state saved there runs the alarm's actions and is saved.
    Check {
        #[command(flatten)]
        run: RunArgs,
        /// A file keeping alarm states between runs (written atomically).
        #[arg(long, value_name = "FILE")]
        state: Option<PathBuf>,
        /// Evaluate as `watch` does, for cron over logs still being written: up to the last period
        /// complete --grace ago (periods without records count as missing), from the saved state.
        #[arg(long)]
        live: bool,
        /// With --live, how late a record may arrive.
        #[arg(long, default_value = "30s", requires = "live")]
        grace: String,
    },
    /// Follow the inputs and evaluate every alarm named (all of the config file's when none is)
    /// each time a period is complete; run actions on state changes. The states are kept in
    /// --state, so a restart neither notifies again nor forgets an ALARM. Runs until stopped.
    Watch {
        /// Alarm names, then inputs (an argument that names no alarm is an input).
        #[arg(value_name = "NAME|INPUT")]
        args: Vec<String>,
        /// Read this log store instead of files (default: `store` in the config file).
        #[arg(long, value_name = "DIR|URL")]
        store: Option<String>,
        /// The file keeping alarm states (written atomically after every change).
        #[arg(long, value_name = "FILE")]
        state: PathBuf,
        /// How late a record may arrive: a period is evaluated this long after it ends.
        #[arg(long, default_value = "30s")]
        grace: String,
        /// Seconds between evaluations.
        #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
        interval: f64,
    },
}

/// What an alarm runs over.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The alarm's name (from the config file), then the inputs: files, directories or globs.
    /// Without --metric, the first argument is the name.
    #[arg(value_name = "NAME|INPUT")]
    pub args: Vec<String>,
    /// Read this log store instead of files (default: `store` in the config file when no input).
    #[arg(long, value_name = "DIR|URL")]
    pub store: Option<String>,
    /// Evaluate from this time (ISO-8601, epoch, or relative such as 7d).
    #[arg(long)]
    pub start: Option<String>,
    /// Evaluate up to this time (exclusive).
    #[arg(long)]
    pub end: Option<String>,
    /// A one-off alarm's metric: NAME=QUERY (repeatable).
    #[arg(long = "metric", value_name = "NAME=QUERY")]
    pub metrics: Vec<String>,
    /// A one-off alarm's metric math (default: its only metric).
    #[arg(long)]
    pub expression: Option<String>,
    /// A one-off alarm's period.
    #[arg(long)]
    pub period: Option<String>,
    /// A one-off alarm's condition: `> N`, `outside band(K)`, ...
    #[arg(long)]
    pub condition: Option<String>,
    /// A one-off alarm's N.
    #[arg(long)]
    pub evaluation_periods: Option<usize>,
    /// A one-off alarm's M.
    #[arg(long)]
    pub datapoints_to_alarm: Option<usize>,
    /// A one-off alarm's treatment of missing data: missing, ignore, breaching, notBreaching.
    #[arg(long, value_parser = parse_missing)]
    pub missing_data: Option<MissingData>,
}

fn parse_missing(text: &str) -> Result<MissingData, String> {
    serde_json::from_value(serde_json::Value::String(text.into()))
        .map_err(|_| format!("`{text}`: use missing, ignore, breaching or notBreaching"))
}

/// The name of an alarm given with --metric.
const ONE_OFF: &str = "command-line";
/// Exit status of `check` in ALARM.
const EXIT_ALARM: u8 = 3;
/// Exit status of `check` in INSUFFICIENT_DATA.
const EXIT_INSUFFICIENT: u8 = 4;

/// Runs an `lq alarm` command and gives the exit status.
pub fn run(args: AlarmArgs) -> Result<ExitCode, Failure> {
    let (config, config_path) =
        crate::config::load(args.config.as_deref()).map_err(Failure::Usage)?;
    let engine_for_checks = Engine::default();
    let check = |q: &str| engine_for_checks.check(q);
    match args.command {
        AlarmCommand::List => {
            if config.alarms.is_empty() {
                let at = config_path
                    .map(|p| format!(" in {}", p.display()))
                    .unwrap_or_default();
                println!("no alarms defined{at}: add an [alarms.NAME] section (see README)");
            }
            for (name, spec) in &config.alarms {
                let alarm = Alarm::new(name, spec, check).map_err(definition_failure)?;
                println!("{name}: {}", describe(&alarm));
            }
            Ok(ExitCode::SUCCESS)
        }
        AlarmCommand::History {
            run,
            points,
            chart,
            chart_out,
        } => {
            let (alarm, history) = evaluate(&run, &config, &check, None)?;
            print_history(&alarm, &history, points);
            if chart || chart_out.is_some() {
                let data = chart_data(&alarm, &history);
                if chart {
                    let width = crate::render::terminal_width().clamp(40, 160);
                    print!("{}", chart::terminal(&data, width, 16, false));
                }
                if let Some(path) = chart_out {
                    chart::svg(&data, &alarm.name, &path).map_err(Failure::Output)?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        AlarmCommand::Check {
            run,
            state,
            live,
            grace,
        } => {
            let live = if live {
                let grace_ms = lq::time::parse_duration(&grace)
                    .map_err(|e| Failure::Usage(format!("--grace: {e}")))?;
                let saved = match &state {
                    Some(path) => {
                        let name = if run.metrics.is_empty() {
                            run.args.first().map(String::as_str)
                        } else {
                            Some(ONE_OFF)
                        };
                        saved_state(path, name)?
                    }
                    None => State::InsufficientData,
                };
                Some((chrono::Utc::now().timestamp_millis() - grace_ms, saved))
            } else {
                None
            };
            let (alarm, history) = evaluate(&run, &config, &check, live)?;
            let now = settle(&alarm, &history, state.as_deref(), false)?;
            Ok(match now {
                State::Ok => ExitCode::SUCCESS,
                State::Alarm => ExitCode::from(EXIT_ALARM),
                State::InsufficientData => ExitCode::from(EXIT_INSUFFICIENT),
            })
        }
        AlarmCommand::Watch {
            args,
            store,
            state,
            grace,
            interval,
        } => {
            let grace_ms = lq::time::parse_duration(&grace)
                .map_err(|e| Failure::Usage(format!("--grace: {e}")))?;
            if !(interval > 0.0 && interval.is_finite()) {
                return Err(Failure::Usage(
                    "--interval must be a positive number of seconds".into(),
                ));
            }
            let (names, inputs): (Vec<String>, Vec<String>) = args
                .into_iter()
                .partition(|a| config.alarms.contains_key(a));
            let names: Vec<String> = if names.is_empty() {
                config.alarms.keys().cloned().collect()
            } else {
                names
            };
            if names.is_empty() {
                return Err(Failure::Usage(
                    "no alarms to watch: define [alarms.NAME] in the config file".into(),
                ));
            }
            // A misspelt alarm name would otherwise be watched as a missing file, forever.
            if let Some(missing) = inputs.iter().find(|i| {
                !std::path::Path::new(i.as_str()).exists() && !i.contains(['*', '?', '['])
            }) {
                let known: Vec<&str> = config.alarms.keys().map(String::as_str).collect();
                return Err(Failure::Usage(format!(
                    "`{missing}` is neither an alarm (alarms: {}) nor a file",
                    known.join(", ")
                )));
            }
            // Every definition is checked before the first evaluation.
            for name in &names {
                Alarm::new(name, &config.alarms[name], check).map_err(definition_failure)?;
            }
            let mut first_round = true;
            loop {
                let now_ms = chrono::Utc::now().timestamp_millis();
                for name in &names {
                    let one = RunArgs::for_inputs(name, &inputs, store.clone());
                    let saved = saved_state(&state, Some(name))?;
                    match evaluate(&one, &config, &check, Some((now_ms - grace_ms, saved))) {
                        Ok((alarm, history)) => {
                            settle(&alarm, &history, Some(&state), true)?;
                        }
                        // A query that fails now (a file rotated away) is reported; the watch goes on.
                        Err(Failure::Output(e)) => eprintln!("warning: {e}"),
                        Err(e) => return Err(e),
                    }
                }
                if first_round {
                    eprintln!(
                        "watching {} alarm(s), evaluating every {interval} s; states in {}",
                        names.len(),
                        state.display()
                    );
                    first_round = false;
                }
                std::thread::sleep(std::time::Duration::from_secs_f64(interval));
            }
        }
    }
}

/// The state saved for an alarm (INSUFFICIENT_DATA when none is).
fn saved_state(path: &std::path::Path, name: Option<&str>) -> Result<State, Failure> {
    let saved = SavedStates::load(path).map_err(|e| Failure::Output(e.to_string()))?;
    Ok(name
        .and_then(|n| saved.alarms.get(n))
        .map_or(State::InsufficientData, |s| s.state))
}

/// Prints an alarm's latest state (with `changes_only`, only a change) and, with a state file,
/// runs its actions when the state differs from the saved one and saves it.
fn settle(
    alarm: &Alarm,
    history: &History,
    state: Option<&std::path::Path>,
    changes_only: bool,
) -> Result<State, Failure> {
    let mut saved = match state {
        Some(path) => SavedStates::load(path).map_err(|e| Failure::Output(e.to_string()))?,
        None => SavedStates::default(),
    };
    let kept = saved.alarms.get(&alarm.name);
    let before = kept.map_or(State::InsufficientData, |s| s.state);
    let now = history.last_state(before);
    let last = history.transitions.last();
    let reason = last.map(|t| t.reason.clone()).unwrap_or_default();
    let time = history.points.last().map_or(0, |p| p.time);
    if state.is_some() && kept.is_some_and(|k| k.state == now && k.evaluated_to == time) {
        // Nothing new since the last evaluation.
        return Ok(now);
    }
    let changed = kept.is_none_or(|k| k.state != now);
    if changes_only && !changed {
        if let Some(path) = state {
            saved.alarms.insert(
                alarm.name.clone(),
                SavedAlarm {
                    state: now,
                    evaluated_to: time,
                    reason: kept.map(|k| k.reason.clone()).unwrap_or_default(),
                },
            );
            saved
                .store(path)
                .map_err(|e| Failure::Output(e.to_string()))?;
        }
        return Ok(now);
    }
    println!(
        "{}: {now} at {} ({}){}",
        alarm.name,
        time_text(time),
        describe(alarm),
        if reason.is_empty() {
            String::new()
        } else {
            format!("\n  {reason}")
        }
    );
    if let Some(path) = state {
        if now != before {
            let notice = Notice {
                alarm: alarm.name.clone(),
                old_state: before,
                new_state: now,
                reason: reason.clone(),
                value: last.and_then(|t| t.value),
                time: rfc3339(last.map_or(time, |t| t.time)),
            };
            let actions = match now {
                State::Alarm => &alarm.actions.alarm,
                State::Ok => &alarm.actions.ok,
                State::InsufficientData => &alarm.actions.insufficient_data,
            };
            for failure in action::run_all(actions, &notice) {
                eprintln!("warning: {failure}");
            }
        }
        saved.alarms.insert(
            alarm.name.clone(),
            SavedAlarm {
                state: now,
                evaluated_to: time,
                reason,
            },
        );
        saved
            .store(path)
            .map_err(|e| Failure::Output(e.to_string()))?;
    }
    Ok(now)
}

fn definition_failure(e: lq_alarms::AlarmError) -> Failure {
    Failure::Usage(e.to_string())
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// One line on what an alarm watches.
fn describe(alarm: &Alarm) -> String {
    let rule = alarm.rule;
    let missing = rule.missing_data.name();
    match &alarm.kind {
        AlarmKind::Metric {
            expression,
            period_ms,
            condition,
            ..
        } => format!(
            "{} {}, {} of {} periods of {}, missing data {missing}",
            expression.0,
            condition,
            rule.datapoints_to_alarm,
            rule.evaluation_periods,
            lq_alarms::series::period_text(*period_ms),
        ),
        AlarmKind::Composite { rule, .. } => format!("composite: {}", rule.0),
    }
}

/// The alarm named or given on the command line, and the inputs after its name.
fn alarm_and_inputs(
    run: &RunArgs,
    config: &crate::config::Config,
    check: &dyn Fn(&str) -> Result<(), lq::Error>,
) -> Result<(Alarm, Vec<String>), Failure> {
    if !run.metrics.is_empty() {
        let mut spec = AlarmSpec {
            expression: run.expression.clone(),
            period: run.period.clone(),
            condition: run.condition.clone(),
            evaluation_periods: run.evaluation_periods,
            datapoints_to_alarm: run.datapoints_to_alarm,
            missing_data: run.missing_data.unwrap_or_default(),
            ..AlarmSpec::default()
        };
        for m in &run.metrics {
            let (name, query) = m
                .split_once('=')
                .ok_or_else(|| Failure::Usage(format!("--metric expects NAME=QUERY, got `{m}`")))?;
            spec.metrics
                .insert(name.trim().to_string(), query.to_string());
        }
        let alarm = Alarm::new(ONE_OFF, &spec, check).map_err(definition_failure)?;
        return Ok((alarm, run.args.clone()));
    }
    let Some((name, inputs)) = run.args.split_first() else {
        return Err(Failure::Usage(
            "name an alarm of the config file (lq alarm list), or give one with --metric, --period and --condition".into(),
        ));
    };
    let spec = config.alarms.get(name).ok_or_else(|| {
        let names: Vec<&str> = config.alarms.keys().map(String::as_str).collect();
        Failure::Usage(if names.is_empty() {
            format!("no alarm `{name}`: the config file defines none")
        } else {
            format!("no alarm `{name}` (alarms: {})", names.join(", "))
        })
    })?;
    let alarm = Alarm::new(name, spec, check).map_err(definition_failure)?;
    Ok((alarm, inputs.to_vec()))
}

impl RunArgs {
    /// An alarm of the config file over these inputs, with nothing else set.
    fn for_inputs(name: &str, inputs: &[String], store: Option<String>) -> RunArgs {
        RunArgs {
            args: std::iter::once(name.to_string())
                .chain(inputs.iter().cloned())
                .collect(),
            store,
            start: None,
            end: None,
            metrics: Vec::new(),
            expression: None,
            period: None,
            condition: None,
            evaluation_periods: None,
            datapoints_to_alarm: None,
            missing_data: None,
        }
    }
}

/// Runs an alarm (a composite one through the alarms it names) over the inputs. With `live`
/// (now less the grace period, and the saved state), only the last evaluation range up to the
/// last period complete by then is walked, whether or not it has data, from the saved state.
fn evaluate(
    run: &RunArgs,
    config: &crate::config::Config,
    check: &dyn Fn(&str) -> Result<(), lq::Error>,
    live: Option<(i64, State)>,
) -> Result<(Alarm, History), Failure> {
    let (alarm, inputs) = alarm_and_inputs(run, config, check)?;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let time = |t: &Option<String>| -> Result<Option<i64>, Failure> {
        t.as_deref()
            .map(|s| lq::time::parse_time_arg(s, now_ms).map_err(Failure::Usage))
            .transpose()
    };
    let (start, end) = (time(&run.start)?, time(&run.end)?);
    let defaults = &config.defaults;
    let store = run
        .store
        .clone()
        .or_else(|| inputs.is_empty().then(|| defaults.store.clone()).flatten());
    if inputs.is_empty() && store.is_none() {
        return Err(Failure::Usage(
            "an alarm needs its logs: give files or directories after the name, or --store".into(),
        ));
    }
    // Live, a threshold alarm needs only its evaluation range: the queries read no more (a store
    // skips the older hours). A band needs the history it learns from.
    let query_start = match (&alarm.kind, live) {
        (
            AlarmKind::Metric {
                period_ms,
                condition: Condition::Threshold(..),
                ..
            },
            Some(_),
        ) => window(live, *period_ms, alarm.rule.range(), start, end).0,
        _ => start,
    };
    let engine = Engine::new(EngineOptions {
        timestamp_field: defaults.timestamp_field.clone(),
        start_ms: query_start,
        end_ms: end,
        default_limit: None,
        store,
        ..EngineOptions::default()
    });
    if inputs.iter().any(|i| i == "-") {
        return Err(Failure::Usage(
            "an alarm reads its logs once per metric, and standard input cannot be read twice: save it to a file".into(),
        ));
    }
    let inputs: Vec<Input> = inputs
        .iter()
        .flat_map(|f| crate::expand_glob(std::path::Path::new(f)))
        .map(Input::path)
        .collect();
    let history = match &alarm.kind {
        AlarmKind::Metric { period_ms, .. } => {
            let metrics = lq_alarms::run::run_metrics(&alarm, &engine, &inputs)?;
            let (start, end, from) = window(live, *period_ms, alarm.rule.range(), start, end);
            let timeline = history::timeline(&metrics, *period_ms, start, end);
            history::evaluate(&alarm, &metrics, &timeline, from)?
        }
        AlarmKind::Composite { alarms, .. } => {
            let mut members = BTreeMap::new();
            for name in alarms {
                let spec = config.alarms.get(name).ok_or_else(|| {
                    Failure::Usage(format!(
                        "alarm `{}` names alarm `{name}`, which the config file does not define",
                        alarm.name
                    ))
                })?;
                let member = Alarm::new(name, spec, check).map_err(definition_failure)?;
                let AlarmKind::Metric { period_ms, .. } = &member.kind else {
                    return Err(Failure::Usage(format!(
                        "alarm `{}` names `{name}`, another composite alarm; name metric alarms",
                        alarm.name
                    )));
                };
                let metrics = lq_alarms::run::run_metrics(&member, &engine, &inputs)?;
                let (start, end, _) = window(live, *period_ms, member.rule.range(), start, end);
                let timeline = history::timeline(&metrics, *period_ms, start, end);
                let h = history::evaluate(&member, &metrics, &timeline, State::InsufficientData)?;
                members.insert(name.clone(), h);
            }
            let from = live.map_or(State::InsufficientData, |(_, s)| s);
            history::evaluate_composite(&alarm, &members, from)?
        }
    };
    Ok((alarm, history))
}

/// The periods to walk and the state to start from: all of them from INSUFFICIENT_DATA, or live,
/// the evaluation range (and one more) ending with the last complete period, from the saved state.
fn window(
    live: Option<(i64, State)>,
    period_ms: i64,
    range: usize,
    start: Option<i64>,
    end: Option<i64>,
) -> (Option<i64>, Option<i64>, State) {
    match live {
        Some((now, saved)) => {
            let end = now - period_ms + 1;
            let first = (end - 1).div_euclid(period_ms) * period_ms - range as i64 * period_ms;
            (Some(first), Some(end), saved)
        }
        None => (start, end, State::InsufficientData),
    }
}

fn value_text(v: Option<f64>) -> String {
    v.map(number_text).unwrap_or_else(|| "-".into())
}

fn print_history(alarm: &Alarm, history: &History, points: bool) {
    println!("{}: {}", alarm.name, describe(alarm));
    let threshold = match &alarm.kind {
        AlarmKind::Metric {
            condition: Condition::Threshold(_, n),
            ..
        } => Some(*n),
        _ => None,
    };
    if points {
        println!(
            "{:<19}  {:>12}  {:>23}  state",
            "period", "value", "threshold/band"
        );
        for p in &history.points {
            let limit = match (threshold, p.band) {
                (Some(n), _) => number_text(n),
                (None, Some(b)) => format!("{} to {}", number_text(b.low), number_text(b.high)),
                (None, None) => "-".into(),
            };
            println!(
                "{:<19}  {:>12}  {:>23}  {}",
                time_text(p.time),
                value_text(p.value),
                limit,
                p.state
            );
        }
    }
    if history.points.is_empty() {
        println!("no periods to evaluate: the metrics have no datapoints in the range");
        return;
    }
    for t in &history.transitions {
        println!(
            "{}  {} -> {}  value {}\n  {}",
            time_text(t.time),
            t.from,
            t.to,
            value_text(t.value),
            t.reason
        );
    }
    let period = history
        .points
        .windows(2)
        .map(|w| w[1].time - w[0].time)
        .min()
        .unwrap_or(0);
    let in_alarm = history
        .points
        .iter()
        .filter(|p| p.state == State::Alarm)
        .count();
    let fired = history
        .transitions
        .iter()
        .filter(|t| t.to == State::Alarm)
        .count();
    let first = history.points.first().map_or(0, |p| p.time);
    let last = history.points.last().map_or(0, |p| p.time);
    println!(
        "{} periods from {} to {}{}: ALARM {fired} time(s), {in_alarm} period(s) in ALARM; now {}",
        history.points.len(),
        time_text(first),
        time_text(last),
        if period > 0 {
            format!(" (every {})", lq_alarms::series::period_text(period))
        } else {
            String::new()
        },
        history.last_state(State::InsufficientData)
    );
}

fn chart_data(alarm: &Alarm, history: &History) -> ChartData {
    let mut series = vec![chart::Series {
        name: "value".into(),
        points: history
            .points
            .iter()
            .filter_map(|p| Some((p.time, p.value?)))
            .collect(),
    }];
    match &alarm.kind {
        AlarmKind::Metric {
            condition: Condition::Threshold(_, n),
            ..
        } => series.push(chart::Series {
            name: "threshold".into(),
            points: history.points.iter().map(|p| (p.time, *n)).collect(),
        }),
        AlarmKind::Metric { .. } => {
            for (name, edge) in [("band low", false), ("band high", true)] {
                series.push(chart::Series {
                    name: name.into(),
                    points: history
                        .points
                        .iter()
                        .filter_map(|p| {
                            let b = p.band?;
                            Some((p.time, if edge { b.high } else { b.low }))
                        })
                        .collect(),
                });
            }
        }
        AlarmKind::Composite { .. } => {
            series[0] = chart::Series {
                name: "in ALARM".into(),
                points: history
                    .points
                    .iter()
                    .map(|p| (p.time, f64::from(u8::from(p.state == State::Alarm))))
                    .collect(),
            };
        }
    }
    ChartData {
        y_label: match &alarm.kind {
            AlarmKind::Metric { expression, .. } => expression.0.clone(),
            AlarmKind::Composite { .. } => "state".into(),
        },
        series,
        left_out: Vec::new(),
    }
}

impl From<lq_alarms::AlarmError> for Failure {
    fn from(e: lq_alarms::AlarmError) -> Self {
        Failure::Output(e.to_string())
    }
}
