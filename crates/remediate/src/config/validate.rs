//! Rules that look at more than one key of a service: names, steps against the commands
//! and the check, and dependencies between services.

use std::collections::{BTreeMap, BTreeSet};

use triage_core::duration::format_duration;

use super::values::{Entries, Problems, key};
use super::{Action, Service};

/// A service name becomes a log file name and a command-line argument: no `/`, no
/// leading `.` or `-`.
pub(super) fn service_name(name: &str, at: &str, problems: &mut Problems) {
    let usable = name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !usable {
        problems.add(
            at,
            "is not a usable service name: use letters, digits, '-', '_' and '.', starting \
             with a letter or digit (it names the service's log file)",
        );
    }
}

/// `commands` as a map; `builtins` are step names a command would be shadowed by.
pub(super) fn commands(
    entries: Entries<String>,
    at: &str,
    builtins: &[&str],
    problems: &mut Problems,
) -> BTreeMap<String, String> {
    let at = format!("{at}.commands");
    let mut commands = BTreeMap::new();
    for (name, line) in entries.unique(&at, problems) {
        if builtins.contains(&name.as_str()) {
            problems.add(
                format_args!("{at}.{}", key(&name)),
                format!("{name} is a built-in step; give this command another name"),
            );
        } else if line.trim().is_empty() {
            problems.add(format_args!("{at}.{}", key(&name)), "is empty");
        }
        commands.insert(name, line);
    }
    commands
}

/// `env` as a map of names `execve` accepts.
pub(super) fn env(
    entries: Entries<String>,
    at: &str,
    problems: &mut Problems,
) -> BTreeMap<String, String> {
    let at = format!("{at}.env");
    let mut env = BTreeMap::new();
    for (name, value) in entries.unique(&at, problems) {
        if name.is_empty() || name.contains(['=', '\0']) || value.contains('\0') {
            problems.add(
                format_args!("{at}.{}", key(&name)),
                "is not a usable environment variable (no '=' or NUL in its name)",
            );
        }
        env.insert(name, value);
    }
    env
}

/// A configured user exists (its commands will run as it).
pub(super) fn user(name: &str, at: &str, problems: &mut Problems) -> bool {
    let known = triage_proc::account_by_name(name).is_some();
    if !known {
        problems.add(format_args!("{at}.user"), format!("no user named '{name}'"));
    }
    known
}

/// A configured group exists.
pub(super) fn group(name: &str, at: &str, problems: &mut Problems) -> bool {
    let known = triage_proc::group_by_name(name).is_some();
    if !known {
        problems.add(
            format_args!("{at}.group"),
            format!("no group named '{name}'"),
        );
    }
    known
}

/// Each step can run: its command exists, `start` has a command, `kill` has a PID to
/// take from a heartbeat and time to reach SIGKILL. `check_kind` is the kind of check
/// written (its arguments may not have parsed).
pub(super) fn steps(
    service: &Service,
    check_kind: &str,
    at: &str,
    recovery_key: &str,
    problems: &mut Problems,
) {
    for (index, step) in service.recovery.iter().enumerate() {
        let at = format!("{at}.{recovery_key}[{index}]");
        match &step.action {
            Action::Kill if check_kind != "heartbeat" => problems.add(
                at,
                format!(
                    "kill needs a heartbeat check (the PID comes from the heartbeat file); \
                     this service's check is {check_kind}"
                ),
            ),
            Action::Kill if step.timeout < service.kill_timeout => problems.add(
                at,
                format!(
                    "timeout {} is shorter than kill_timeout {}: SIGKILL would never be sent",
                    format_duration(step.timeout.as_secs_f64()),
                    format_duration(service.kill_timeout.as_secs_f64()),
                ),
            ),
            Action::Start if !service.commands.contains_key("start") => {
                problems.add(at, "start needs commands.start");
            }
            Action::Command(name) if !service.commands.contains_key(name) => problems.add(
                at,
                format!("{name} is neither a built-in step nor a key of commands"),
            ),
            _ => {}
        }
    }
}

/// Every dependency names another service, once, and no chain of them comes back.
pub(super) fn dependencies(services: &[Service], section: &str, problems: &mut Problems) {
    let names: BTreeSet<&str> = services.iter().map(|s| s.name.as_str()).collect();
    for service in services {
        let mut seen = BTreeSet::new();
        for (index, dependency) in service.depends_on.iter().enumerate() {
            let at = format!("{section}.{}.depends_on[{index}]", key(&service.name));
            if *dependency == service.name {
                problems.add(at, "a service cannot depend on itself");
            } else if !names.contains(dependency.as_str()) {
                problems.add(at, format!("no service named {dependency}"));
            } else if !seen.insert(dependency) {
                problems.add(at, format!("{dependency} is listed twice"));
            }
        }
    }
    let mut search = CycleSearch {
        services,
        section,
        finished: BTreeSet::new(),
        path: Vec::new(),
    };
    for index in 0..services.len() {
        search.visit(index, problems);
    }
}

/// Depth-first search; an edge back into the current path closes a cycle.
struct CycleSearch<'a> {
    services: &'a [Service],
    section: &'a str,
    finished: BTreeSet<usize>,
    path: Vec<usize>,
}

impl CycleSearch<'_> {
    fn visit(&mut self, index: usize, problems: &mut Problems) {
        if self.finished.contains(&index) {
            return;
        }
        self.path.push(index);
        let service = &self.services[index];
        let mut followed = BTreeSet::new();
        for dependency in service.depends_on.iter().filter(|d| followed.insert(*d)) {
            let Some(next) = self.services.iter().position(|s| s.name == *dependency) else {
                continue;
            };
            if next == index {
                continue; // reported above as depending on itself
            }
            if let Some(start) = self.path.iter().position(|&i| i == next) {
                let mut names: Vec<&str> = self.path[start..]
                    .iter()
                    .map(|&i| self.services[i].name.as_str())
                    .collect();
                names.push(dependency);
                problems.add(
                    format_args!("{}.{}.depends_on", self.section, key(&service.name)),
                    format!("dependency cycle: {}", names.join(" -> ")),
                );
            } else {
                self.visit(next, problems);
            }
        }
        self.path.pop();
        self.finished.insert(index);
    }
}
