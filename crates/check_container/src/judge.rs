//! Judging one container's facts: status, OOM, health, restarts, uptime, CPU and memory,
//! each an aspect with its own state. Pure: facts in, verdict out.

use triage_core::duration::format_duration;
use triage_core::format::shortened;
use triage_core::number::format_number;
use triage_core::{Perfdata, State, Thresholds, Uom};
use triage_docker::{ContainerInspect, Health, unix_time};

use crate::cli::{Args, MemoryRange};
use crate::facts::{ContainerFacts, RunFacts, Usage};
use crate::restarts::RestartHistory;
use crate::selection::Missing;

/// The longest probe output quoted in a line.
const PROBE_OUTPUT_CHARS: usize = 80;

/// How the arguments say to judge.
#[derive(Debug, Clone)]
pub struct Policy {
    expect_status: Vec<String>,
    allow_exited: bool,
    expect_exit: Vec<i64>,
    health: bool,
    start_grace: f64,
    restarts: Thresholds,
    tracks_restarts: bool,
    restart_count: Thresholds,
    uptime: Thresholds,
    cpu: Thresholds,
    memory_percent: Thresholds,
    memory_bytes: Thresholds,
    missing_state: State,
}

impl Policy {
    /// The policy the command line describes.
    pub fn from_args(args: &Args) -> Policy {
        let memory = |want: fn(&MemoryRange) -> Option<&triage_core::Range>| {
            Thresholds::new(
                args.memory_warning.as_ref().and_then(want).cloned(),
                args.memory_critical.as_ref().and_then(want).cloned(),
            )
        };
        Policy {
            expect_status: args.expect_status.clone(),
            allow_exited: args.allow_exited,
            expect_exit: args.expect_exit.clone(),
            health: !args.no_health,
            start_grace: args.start_grace,
            restarts: Thresholds::new(
                args.restarts_warning.clone(),
                args.restarts_critical.clone(),
            ),
            tracks_restarts: args.tracks_restarts(),
            restart_count: Thresholds::new(
                args.restart_count_warning.clone(),
                args.restart_count_critical.clone(),
            ),
            uptime: Thresholds::new(args.uptime_warning.clone(), args.uptime_critical.clone()),
            cpu: Thresholds::new(args.cpu_warning.clone(), args.cpu_critical.clone()),
            memory_percent: memory(|m| match m {
                MemoryRange::Percent(range) => Some(range),
                MemoryRange::Bytes(_) => None,
            }),
            memory_bytes: memory(|m| match m {
                MemoryRange::Bytes(range) => Some(range),
                MemoryRange::Percent(_) => None,
            }),
            missing_state: args.missing_state,
        }
    }
}

/// One judged aspect of a container.
#[derive(Debug, Clone, PartialEq)]
pub struct Aspect {
    /// `status`, `health`, `oom`, `restarts`, `uptime`, `cpu`, `memory`, `note`.
    pub name: &'static str,
    /// Its state.
    pub state: State,
    /// Its words, as they appear in the container's line.
    pub text: String,
    /// Shown only with -v (background that explains, never judges).
    pub verbose_only: bool,
}

impl Aspect {
    fn new(name: &'static str, state: State, text: impl Into<String>) -> Aspect {
        Aspect {
            name,
            state,
            text: text.into(),
            verbose_only: false,
        }
    }

    fn note(text: impl Into<String>) -> Aspect {
        Aspect {
            verbose_only: true,
            ..Aspect::new("note", State::Ok, text)
        }
    }
}

/// A container's judgement.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Its name.
    pub name: String,
    /// The worst of its aspects.
    pub state: State,
    /// Its aspects, in line order.
    pub aspects: Vec<Aspect>,
    /// Its metrics, labels prefixed with its name.
    pub perfdata: Vec<Perfdata>,
}

impl Verdict {
    fn new(name: &str, aspects: Vec<Aspect>, perfdata: Vec<Perfdata>) -> Verdict {
        Verdict {
            name: name.to_owned(),
            state: State::worst_of(aspects.iter().map(|a| a.state)),
            aspects,
            perfdata,
        }
    }

    /// `running 2h03m, healthy`: every aspect shown by default.
    pub fn line(&self) -> String {
        join(self.aspects.iter().filter(|a| !a.verbose_only))
    }

    /// `exited 137 4m ago, OOM killed`: only what is wrong.
    pub fn problems(&self) -> String {
        join(self.aspects.iter().filter(|a| a.state != State::Ok))
    }
}

fn join<'a>(aspects: impl Iterator<Item = &'a Aspect>) -> String {
    aspects
        .map(|a| a.text.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A selector that found nothing.
pub fn judge_missing(missing: &Missing, policy: &Policy) -> Verdict {
    let (name, text) = match missing {
        Missing::Named(name) => (name.as_str(), "no such container"),
        Missing::Unmatched(selector) => (selector.as_str(), "no container matches"),
    };
    Verdict::new(
        name,
        vec![Aspect::new("status", policy.missing_state, text)],
        Vec::new(),
    )
}

/// Judges one container.
pub fn judge(facts: &ContainerFacts, run: &RunFacts, policy: &Policy) -> Verdict {
    let inspect = match &facts.inspect {
        Ok(inspect) => inspect,
        Err(reason) => {
            let text = format!("cannot inspect: {reason}");
            return Verdict::new(
                &facts.name,
                vec![Aspect::new("status", State::Unknown, text)],
                Vec::new(),
            );
        }
    };
    let state = &inspect.state;
    let running = state.status == "running";
    let uptime = unix_time(&state.started_at)
        .filter(|_| running)
        .map(|started| (run.now - started).max(0.0).floor());
    let label = |metric: &str| format!("{}_{metric}", facts.name);

    let mut aspects = vec![status_aspect(inspect, run.now, uptime, policy)];
    if state.oom_killed {
        aspects.push(Aspect::new("oom", State::Critical, "OOM killed"));
    } else if run.podman && state.exit_code == 137 && !running {
        aspects.push(Aspect::note(
            "exit 137 is SIGKILL: an OOM kill or a stop timeout (Podman does not report OOM kills)",
        ));
    }
    let mut perfdata = Vec::new();
    if let Some(health) = judged_health(inspect, policy) {
        aspects.push(health_aspect(health, inspect, uptime, policy));
        perfdata
            .push(Perfdata::new(label("failing_streak"), health.failing_streak as f64).min(0.0));
    }
    aspects.extend(restart_aspects(inspect, &facts.restarts, policy));
    if let Some(uptime) = uptime {
        let verdict = policy.uptime.evaluate(uptime);
        if let Some(range) = policy.uptime.range_for(verdict) {
            let up = format_duration(uptime);
            let text = if uptime < range.start() {
                format!("up only {up}, less than {}", format_duration(range.start()))
            } else if uptime > range.end() {
                format!("up {up}, more than {}", format_duration(range.end()))
            } else {
                format!(
                    "up {up}, inside @{}",
                    range.to_string().trim_start_matches('@')
                )
            };
            aspects.push(Aspect::new("uptime", verdict, text));
        }
    }
    perfdata.push(
        Perfdata::new(label("up"), uptime.unwrap_or(0.0))
            .uom(Uom::Seconds)
            .thresholds(&policy.uptime)
            .min(0.0),
    );
    perfdata.push(
        Perfdata::new(label("restarts"), inspect.restart_count as f64)
            .thresholds(&policy.restart_count)
            .min(0.0),
    );
    if let RestartHistory::Since { restarts, .. } = facts.restarts {
        perfdata.push(
            Perfdata::new(label("new_restarts"), restarts as f64)
                .thresholds(&policy.restarts)
                .min(0.0),
        );
    }
    match &facts.usage {
        Some(Ok(usage)) => {
            let (usage_aspects, usage_perfdata) = usage_aspects(usage, inspect, policy, &label);
            aspects.extend(usage_aspects);
            perfdata.extend(usage_perfdata);
        }
        Some(Err(reason)) => aspects.push(Aspect::new(
            "stats",
            State::Unknown,
            format!("no stats: {reason}"),
        )),
        None => {}
    }
    aspects.extend(background(inspect));
    Verdict::new(&facts.name, aspects, perfdata)
}

fn status_aspect(
    inspect: &ContainerInspect,
    now: f64,
    uptime: Option<f64>,
    policy: &Policy,
) -> Aspect {
    let state = &inspect.state;
    let status = state.status.as_str();
    let ago = |time: &str| {
        unix_time(time)
            .map(|t| format!(" {} ago", format_duration(now - t)))
            .unwrap_or_default()
    };
    let mut text = match status {
        "running" => format!(
            "running {}",
            uptime.map(format_duration).unwrap_or_default()
        ),
        "exited" => format!("exited {}{}", state.exit_code, ago(&state.finished_at)),
        "created" => "created, never started".to_owned(),
        "restarting" => format!("restarting (last exit {})", state.exit_code),
        "removing" => "being removed".to_owned(),
        "" => "status unknown".to_owned(),
        other => other.to_owned(),
    };
    let verdict = if policy.expect_status.iter().any(|s| s == status) {
        State::Ok
    } else if status == "exited" && policy.allow_exited {
        if policy.expect_exit.contains(&state.exit_code) {
            State::Ok
        } else {
            let codes: Vec<String> = policy.expect_exit.iter().map(i64::to_string).collect();
            text.push_str(&format!(" (expected exit {})", codes.join(" or ")));
            State::Critical
        }
    } else {
        match status {
            "paused" | "restarting" => State::Warning,
            _ => State::Critical,
        }
    };
    if !state.error.is_empty() {
        text.push_str(&format!(
            ": {}",
            shortened(&state.error, PROBE_OUTPUT_CHARS)
        ));
    }
    Aspect::new("status", verdict, text.trim_end().to_owned())
}

/// The health block, when there is one to judge: the container runs (probes run only
/// then; a stopped container reads "unhealthy") and has a healthcheck.
fn judged_health<'a>(inspect: &'a ContainerInspect, policy: &Policy) -> Option<&'a Health> {
    let health = inspect.state.health.as_ref()?;
    let has_check = !matches!(health.status.as_str(), "" | "none");
    (policy.health && has_check && inspect.state.status == "running").then_some(health)
}

fn health_aspect(
    health: &Health,
    inspect: &ContainerInspect,
    uptime: Option<f64>,
    policy: &Policy,
) -> Aspect {
    match health.status.as_str() {
        "healthy" => Aspect::new("health", State::Ok, "healthy"),
        "starting" => {
            let up = uptime.unwrap_or(0.0);
            let grace = format_duration(policy.start_grace);
            if up <= policy.start_grace {
                Aspect::new(
                    "health",
                    State::Ok,
                    format!("health starting ({} of {grace} grace)", format_duration(up)),
                )
            } else {
                Aspect::new(
                    "health",
                    State::Warning,
                    format!(
                        "health still starting after {} (grace {grace})",
                        format_duration(up)
                    ),
                )
            }
        }
        "unhealthy" => {
            let probes = match health.failing_streak {
                1 => "1 failed probe".to_owned(),
                n => format!("{n} failed probes"),
            };
            let output = last_failed_output(health, inspect)
                .map(|o| format!(": \"{o}\""))
                .unwrap_or_default();
            Aspect::new(
                "health",
                State::Critical,
                format!("unhealthy, {probes}{output}"),
            )
        }
        other => Aspect::new(
            "health",
            State::Unknown,
            format!("health '{}'", shortened(other, 20)),
        ),
    }
}

/// What the last failed probe since the container started printed. The log outlives
/// restarts, so older probes are not this run's.
fn last_failed_output(health: &Health, inspect: &ContainerInspect) -> Option<String> {
    let started = unix_time(&inspect.state.started_at).unwrap_or(0.0);
    health
        .log
        .iter()
        .rev()
        .filter(|probe| probe.exit_code != 0)
        .find(|probe| unix_time(&probe.start).is_none_or(|t| t >= started))
        .map(|probe| shortened(probe.output.trim(), PROBE_OUTPUT_CHARS))
        .filter(|output| !output.is_empty())
}

fn restart_aspects(
    inspect: &ContainerInspect,
    history: &RestartHistory,
    policy: &Policy,
) -> Vec<Aspect> {
    let count = inspect.restart_count;
    let count_state = policy.restart_count.evaluate(count as f64);
    let judged = policy.restart_count.warning.is_some() || policy.restart_count.critical.is_some();
    let mut aspects = Vec::new();
    match history {
        RestartHistory::NotTracked => {
            if count > 0 || judged {
                aspects.push(Aspect::new(
                    "restarts",
                    count_state,
                    format!("restarts {count}"),
                ));
            }
        }
        RestartHistory::FirstSeen => {
            aspects.push(Aspect::new(
                "restarts",
                count_state,
                format!("restarts {count}"),
            ));
            aspects.push(Aspect::note(
                "restarts since the last check are counted from now on",
            ));
        }
        RestartHistory::Since {
            restarts,
            recreated,
        } => {
            let since_state = policy.restarts.evaluate(*restarts as f64);
            let recreated = if *recreated { ", re-created" } else { "" };
            aspects.push(Aspect::new(
                "restarts",
                since_state.worst(count_state),
                format!("restarts {count} ({restarts} since the last check{recreated})"),
            ));
        }
        RestartHistory::Skipped(reason) => {
            aspects.push(Aspect::new(
                "restarts",
                count_state,
                format!("restarts {count}"),
            ));
            if policy.tracks_restarts {
                aspects.push(Aspect::note(format!(
                    "restarts since the last check not counted: {reason}"
                )));
            }
        }
    }
    aspects
}

fn usage_aspects(
    usage: &Usage,
    inspect: &ContainerInspect,
    policy: &Policy,
    label: &dyn Fn(&str) -> String,
) -> (Vec<Aspect>, Vec<Perfdata>) {
    let mut aspects = Vec::new();
    let mut perfdata = Vec::new();
    if let Some(cpu) = usage.cpu_percent {
        let limit = cpu_limit(inspect);
        let max = limit
            .or(usage.online_cpus.map(f64::from))
            .map(|cpus| cpus * 100.0);
        let limit_text = limit
            .map(|cpus| format!(" (limit {} CPU)", format_number(cpus).unwrap_or_default()))
            .unwrap_or_default();
        aspects.push(Aspect::new(
            "cpu",
            policy.cpu.evaluate(cpu),
            format!("cpu {}%{limit_text}", one_decimal(cpu)),
        ));
        let mut metric = Perfdata::new(label("cpu"), round2(cpu))
            .uom(Uom::Percent)
            .thresholds(&policy.cpu)
            .min(0.0);
        if let Some(max) = max {
            metric = metric.max(max);
        }
        perfdata.push(metric);
    }
    if let Some(memory) = usage.memory {
        let percent = memory.percent();
        let state = policy
            .memory_bytes
            .evaluate(memory.used as f64)
            .worst(policy.memory_percent.evaluate(percent));
        let of = if inspect.host_config.memory > 0 {
            "limit"
        } else {
            "host memory, no limit"
        };
        aspects.push(Aspect::new(
            "memory",
            state,
            format!(
                "memory {} ({}% of {} {of})",
                human_bytes(memory.used),
                one_decimal(percent),
                human_bytes(memory.limit)
            ),
        ));
        perfdata.push(
            Perfdata::new(label("mem"), memory.used as f64)
                .uom(Uom::Bytes)
                .thresholds(&policy.memory_bytes)
                .min(0.0)
                .max(memory.limit as f64),
        );
        perfdata.push(
            Perfdata::new(label("mem_pct"), round2(percent))
                .uom(Uom::Percent)
                .thresholds(&policy.memory_percent)
                .min(0.0)
                .max(100.0),
        );
    }
    (aspects, perfdata)
}

/// The container's CPU limit in CPUs, from `--cpus` or a CFS quota.
fn cpu_limit(inspect: &ContainerInspect) -> Option<f64> {
    let host = &inspect.host_config;
    if host.nano_cpus > 0 {
        return Some(host.nano_cpus as f64 / 1e9);
    }
    (host.cpu_quota > 0).then(|| {
        let period = if host.cpu_period > 0 {
            host.cpu_period
        } else {
            100_000
        };
        host.cpu_quota as f64 / period as f64
    })
}

/// -v background: the healthcheck's command, the last probe, the restart policy.
fn background(inspect: &ContainerInspect) -> Vec<Aspect> {
    let mut notes = Vec::new();
    if let Some(check) = inspect
        .config
        .healthcheck
        .as_ref()
        .filter(|c| c.test.first().is_some_and(|t| t != "NONE"))
    {
        let command = check
            .test
            .iter()
            .skip(1)
            .cloned()
            .collect::<Vec<_>>()
            .join(" ");
        let every = match check.interval {
            0 => "30s".to_owned(),
            ns => format_duration(ns as f64 / 1e9),
        };
        let failures = match check.retries {
            1 => "1 failure".to_owned(),
            n if n > 1 => format!("{n} failures"),
            _ => "3 failures".to_owned(),
        };
        notes.push(Aspect::note(format!(
            "healthcheck: {} (every {every}, unhealthy after {failures})",
            shortened(&command, PROBE_OUTPUT_CHARS)
        )));
    }
    if let Some(probe) = inspect.state.health.as_ref().and_then(|h| h.log.last()) {
        notes.push(Aspect::note(format!(
            "last probe: exit {}: \"{}\"",
            probe.exit_code,
            shortened(probe.output.trim(), PROBE_OUTPUT_CHARS)
        )));
    }
    let policy = &inspect.host_config.restart_policy;
    let name = if policy.name.is_empty() {
        "no"
    } else {
        policy.name.as_str()
    };
    let limit = match (name, policy.maximum_retry_count) {
        ("on-failure", n) if n > 0 => format!(":{n}"),
        _ => String::new(),
    };
    notes.push(Aspect::note(format!("restart policy: {name}{limit}")));
    notes
}

fn one_decimal(value: f64) -> String {
    format_number((value * 10.0).round() / 10.0).unwrap_or_default()
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// `512MiB`, `1.5GiB`, `900KiB`, `12B`.
fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{}{}", one_decimal(value), UNITS[unit])
}

#[cfg(test)]
mod tests;
