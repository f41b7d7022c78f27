//! The documented format (TOML, or JSON with the same structure): serde types that
//! mirror the file, then their conversion to [`Config`] with every problem collected.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use triage_core::State;

use super::globals::{self, Environment, GlobalKeys};
use super::operation::{self, EventDoc, NotifyDoc, OperationKeys};
use super::validate;
use super::values::{self, DurationValue, Entries, Problems};
use super::{
    Action, Budget, Check, Config, EventPolicy, Format, OnFailure, OrphanedSteps, PluginArgs,
    Service, Step,
};

/// Built-in steps a command of the same name would be hidden by (`start` is a built-in
/// that runs `commands.start`, so it is not here).
const BUILTINS: &[&str] = &["kill", "container_restart"];
/// What a step may take when the file does not say.
pub(super) const STEP_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    db_path: Option<String>,
    lock_path: Option<String>,
    log_dir: Option<String>,
    log_level: Option<String>,
    consecutive_failures: Option<u32>,
    retention: Option<DurationValue>,
    interval: Option<DurationValue>,
    concurrency: Option<u32>,
    check_timeout: Option<DurationValue>,
    heartbeat_file: Option<String>,
    prometheus_textfile: Option<String>,
    notify: Option<NotifyDoc>,
    event: Option<EventDoc>,
    #[serde(default)]
    services: Entries<ServiceDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceDoc {
    display_name: Option<String>,
    enabled: Option<bool>,
    check: Option<CheckDoc>,
    consecutive_failures: Option<u32>,
    failure_states: Option<Vec<String>>,
    #[serde(default)]
    commands: Entries<String>,
    #[serde(default)]
    recovery: Vec<StepDoc>,
    start_grace: Option<DurationValue>,
    kill_timeout: Option<DurationValue>,
    budget: Option<BudgetDoc>,
    #[serde(default)]
    depends_on: Vec<String>,
    #[serde(default)]
    env: Entries<String>,
    event: Option<EventDoc>,
    user: Option<String>,
    group: Option<String>,
    cwd: Option<String>,
    orphaned_steps: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckDoc {
    heartbeat: Option<String>,
    max_age: Option<DurationValue>,
    stall: Option<DurationValue>,
    http: Option<Vec<String>>,
    container: Option<Vec<String>>,
    procs: Option<Vec<String>>,
    command: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BudgetDoc {
    max: Option<u32>,
    window: Option<DurationValue>,
    cooldown: Option<DurationValue>,
}

/// A step written as a table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepTable {
    action: String,
    timeout: Option<DurationValue>,
    on_failure: Option<String>,
    container: Option<String>,
}

/// A step: a bare name (`"kill"`) or a [`StepTable`]. Hand-written because an untagged
/// enum's errors say only "did not match any variant".
struct StepDoc(StepTable);

impl<'de> Deserialize<'de> for StepDoc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StepVisitor;
        impl<'de> Visitor<'de> for StepVisitor {
            type Value = StepDoc;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a step name or a table with `action`")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<StepDoc, E> {
                Ok(StepDoc(StepTable {
                    action: name.to_owned(),
                    timeout: None,
                    on_failure: None,
                    container: None,
                }))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<StepDoc, A::Error> {
                StepTable::deserialize(MapAccessDeserializer::new(map)).map(StepDoc)
            }
        }
        deserializer.deserialize_any(StepVisitor)
    }
}

/// Parses the documented format; None when serde could not even read the shape.
pub(super) fn parse(
    text: &str,
    format: Format,
    env: &Environment,
    problems: &mut Problems,
) -> Option<Config> {
    let document: Document = values::from_text(text, format, problems)?;
    let globals = globals::globals(
        &GlobalKeys {
            db_path: document.db_path.as_deref(),
            lock_path: document.lock_path.as_deref(),
            log_dir: document.log_dir.as_deref(),
            log_level: document.log_level.as_deref(),
            consecutive_failures: document.consecutive_failures,
            consecutive_failures_key: "consecutive_failures",
            retention: document.retention.as_ref(),
        },
        env,
        problems,
    );
    let operation = operation::operation(
        &OperationKeys {
            interval: document.interval.as_ref(),
            concurrency: document.concurrency,
            check_timeout: document.check_timeout.as_ref(),
            heartbeat_file: document.heartbeat_file.as_deref(),
            prometheus_textfile: document.prometheus_textfile.as_deref(),
            notify: document.notify.as_ref(),
        },
        globals.db_path(),
        problems,
    );
    let event = operation::event_policy(
        document.event.as_ref(),
        &EventPolicy::default(),
        "event",
        problems,
    );
    let defaults = ServiceDefaults {
        consecutive_failures: globals.consecutive_failures,
        event,
    };
    let services: Vec<Service> = document
        .services
        .unique("services", problems)
        .into_iter()
        .map(|(name, doc)| service(name, doc, &defaults, problems))
        .collect();
    validate::dependencies(&services, "services", problems);
    Some(globals.into_config(services, operation))
}

/// What a service takes from the global settings when it does not say.
struct ServiceDefaults {
    consecutive_failures: u32,
    event: EventPolicy,
}

fn service(name: String, doc: ServiceDoc, defaults: &ServiceDefaults, p: &mut Problems) -> Service {
    let at = format!("services.{}", values::key(&name));
    validate::service_name(&name, &at, p);
    let doc_check = doc.check;
    let service = Service {
        check: check(doc_check.as_ref(), &format!("{at}.check"), p),
        consecutive_failures: doc
            .consecutive_failures
            .map_or(defaults.consecutive_failures, |n| {
                p.at_least_one(format_args!("{at}.consecutive_failures"), n)
            }),
        failure_states: failure_states(doc.failure_states.as_deref(), &at, p),
        commands: validate::commands(doc.commands, &at, BUILTINS, p),
        recovery: doc
            .recovery
            .iter()
            .enumerate()
            .map(|(index, step)| self::step(step, &format!("{at}.recovery[{index}]"), p))
            .collect(),
        start_grace: p.duration(
            format_args!("{at}.start_grace"),
            doc.start_grace.as_ref(),
            Duration::from_secs(30),
            true,
        ),
        kill_timeout: p.duration(
            format_args!("{at}.kill_timeout"),
            doc.kill_timeout.as_ref(),
            Duration::from_secs(10),
            false,
        ),
        budget: budget(doc.budget.as_ref(), &format!("{at}.budget"), p),
        depends_on: doc.depends_on,
        env: validate::env(doc.env, &at, p),
        user: doc.user.filter(|user| validate::user(user, &at, p)),
        group: doc.group.filter(|group| validate::group(group, &at, p)),
        cwd: doc
            .cwd
            .and_then(|cwd| p.absolute_path(format_args!("{at}.cwd"), &cwd)),
        orphaned_steps: match doc.orphaned_steps.as_deref() {
            None | Some("wait") => OrphanedSteps::Wait,
            Some("end") => OrphanedSteps::End,
            Some(other) => {
                p.add(
                    format_args!("{at}.orphaned_steps"),
                    format!("'{other}' is neither wait nor end"),
                );
                OrphanedSteps::Wait
            }
        },
        display_name: doc.display_name,
        enabled: doc.enabled.unwrap_or(true),
        force_flag: false,
        event: operation::event_policy(
            doc.event.as_ref(),
            &defaults.event,
            &format!("{at}.event"),
            p,
        ),
        name,
    };
    let written = doc_check_kind(doc_check.as_ref()).unwrap_or(service.check.kind());
    validate::steps(&service, written, &at, "recovery", p);
    service
}

/// The kinds of check written.
fn given_kinds(doc: &CheckDoc) -> Vec<&'static str> {
    [
        ("heartbeat", doc.heartbeat.is_some()),
        ("http", doc.http.is_some()),
        ("container", doc.container.is_some()),
        ("procs", doc.procs.is_some()),
        ("command", doc.command.is_some()),
    ]
    .into_iter()
    .filter_map(|(kind, given)| given.then_some(kind))
    .collect()
}

/// The kind of check written, when exactly one is.
fn doc_check_kind(doc: Option<&CheckDoc>) -> Option<&'static str> {
    match given_kinds(doc?).as_slice() {
        [one] => Some(one),
        _ => None,
    }
}

fn check(doc: Option<&CheckDoc>, at: &str, p: &mut Problems) -> Check {
    // Stands in for a check that could not be read, so no step is blamed for it.
    let unreadable = Check::Heartbeat {
        path: PathBuf::new(),
        max_age: Duration::ZERO,
        stall: None,
    };
    const KINDS: &str = "heartbeat, http, container, procs or command";
    let Some(doc) = doc else {
        p.add(at, format!("is missing: give one of {KINDS}"));
        return unreadable;
    };
    let given = given_kinds(doc);
    if given.len() != 1 {
        let found = match given.as_slice() {
            [] => "none".to_owned(),
            kinds => kinds.join(" and "),
        };
        p.add(at, format!("give exactly one of {KINDS} (found {found})"));
        return unreadable;
    }
    if let Some(path) = &doc.heartbeat {
        let max_age = match &doc.max_age {
            None => {
                p.add(
                    format_args!("{at}.max_age"),
                    "is missing: how old the heartbeat may get, e.g. \"5m\"",
                );
                Duration::ZERO
            }
            some => p.duration(
                format_args!("{at}.max_age"),
                some.as_ref(),
                Duration::ZERO,
                false,
            ),
        };
        let stall = doc.stall.as_ref().map(|stall| {
            p.duration(
                format_args!("{at}.stall"),
                Some(stall),
                Duration::ZERO,
                false,
            )
        });
        let path = p.absolute_path(format_args!("{at}.heartbeat"), path);
        return Check::Heartbeat {
            path: path.unwrap_or_default(),
            max_age,
            stall,
        };
    }
    if doc.max_age.is_some() {
        p.add(
            format_args!("{at}.max_age"),
            "only a heartbeat check takes max_age",
        );
    }
    if doc.stall.is_some() {
        p.add(
            format_args!("{at}.stall"),
            "only a heartbeat check takes stall",
        );
    }
    match (&doc.http, &doc.container, &doc.procs, &doc.command) {
        (Some(a), _, _, _) => match plugin_args(at, "http", "check_http_health", a, p) {
            Some(args) => Check::Http { args },
            None => unreadable,
        },
        (_, Some(a), _, _) => match plugin_args(at, "container", "check_container", a, p) {
            Some(args) => Check::Container { args },
            None => unreadable,
        },
        (_, _, Some(a), _) => match plugin_args(at, "procs", "check_procs", a, p) {
            Some(args) => Check::Procs { args },
            None => unreadable,
        },
        (_, _, _, argv) => {
            let argv = argv.clone().unwrap_or_default();
            if argv.first().is_none_or(|program| program.is_empty()) {
                p.add(
                    format_args!("{at}.command"),
                    "needs the plugin's path first, then its arguments",
                );
            }
            Check::Command { argv }
        }
    }
}

/// A plugin check's arguments, parsed now; None (with the problem noted) when they are
/// empty or the plugin would refuse them.
fn plugin_args<A: clap::Parser>(
    at: &str,
    kind: &str,
    plugin: &str,
    args: &[String],
    p: &mut Problems,
) -> Option<PluginArgs<A>> {
    if args.is_empty() {
        p.add(
            format_args!("{at}.{kind}"),
            "is empty: give the plugin's arguments",
        );
        return None;
    }
    PluginArgs::parse(plugin, args.to_vec())
        .map_err(|problem| p.add(format_args!("{at}.{kind}"), problem))
        .ok()
}

fn failure_states(words: Option<&[String]>, at: &str, p: &mut Problems) -> Vec<State> {
    let Some(words) = words else {
        return vec![State::Critical];
    };
    if words.is_empty() {
        p.add(
            format_args!("{at}.failure_states"),
            "is empty: nothing would count as a failure",
        );
    }
    let mut states = Vec::new();
    for (index, word) in words.iter().enumerate() {
        let at = format!("{at}.failure_states[{index}]");
        let Some(state) = values::problem_state(word) else {
            p.add(
                at,
                format!(
                    "'{word}' is not a failure state: expected {}",
                    values::PROBLEM_STATES
                ),
            );
            continue;
        };
        if states.contains(&state) {
            p.add(at, format!("{word} is listed twice"));
        } else {
            states.push(state);
        }
    }
    states
}

fn step(StepDoc(doc): &StepDoc, at: &str, p: &mut Problems) -> Step {
    let action = match doc.action.as_str() {
        "kill" => Action::Kill,
        "start" => Action::Start,
        "container_restart" => {
            if doc.container.as_deref().is_none_or(str::is_empty) {
                p.add(
                    at,
                    "container_restart needs a container: \
                     { action = \"container_restart\", container = \"NAME\" }",
                );
            }
            Action::ContainerRestart {
                container: doc.container.clone().unwrap_or_default(),
            }
        }
        "" => {
            p.add(at, "names no step");
            Action::Command(String::new())
        }
        name => Action::Command(name.to_owned()),
    };
    if doc.container.is_some() && !matches!(action, Action::ContainerRestart { .. }) {
        p.add(
            format_args!("{at}.container"),
            "only container_restart takes a container",
        );
    }
    let on_failure = match doc.on_failure.as_deref() {
        None => action.default_on_failure(),
        Some("abort") => OnFailure::Abort,
        Some("continue") => OnFailure::Continue,
        Some(other) => {
            p.add(
                format_args!("{at}.on_failure"),
                format!("'{other}' is neither abort nor continue"),
            );
            action.default_on_failure()
        }
    };
    Step {
        timeout: p.duration(
            format_args!("{at}.timeout"),
            doc.timeout.as_ref(),
            STEP_TIMEOUT,
            false,
        ),
        action,
        on_failure,
    }
}

fn budget(doc: Option<&BudgetDoc>, at: &str, p: &mut Problems) -> Budget {
    let default = Budget::default();
    let Some(doc) = doc else {
        return default;
    };
    Budget {
        max: doc.max.map_or(default.max, |max| {
            p.at_least_one(format_args!("{at}.max"), max)
        }),
        window: p.duration(
            format_args!("{at}.window"),
            doc.window.as_ref(),
            default.window,
            false,
        ),
        cooldown: p.duration(
            format_args!("{at}.cooldown"),
            doc.cooldown.as_ref(),
            default.cooldown,
            true,
        ),
    }
}
