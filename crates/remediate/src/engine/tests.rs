//! The engine with the probe and the actions injected: scripted observations in, the
//! steps it asked for and what it recorded out. The store is SQLite in memory; no
//! process is started or signalled.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use triage_core::State;

use super::run::target_of;
use super::*;
use crate::act::{Acting, KillTarget, Target};
use crate::config::{Check, Format, Service, Step, parse};
use crate::model::{RunOutcome, ServiceState, ServiceStatus, StepOutcome};
use crate::probe::{Observation, Stall};

/// Answers each service's check from a script (by heartbeat path or command), and
/// remembers how it was asked.
#[derive(Default)]
struct ScriptedProbe {
    answers: Mutex<HashMap<String, Observation>>,
    asked: Mutex<Vec<(String, Stall)>>,
}

impl ScriptedProbe {
    fn answer(&self, service: &str, state: State, target: Target) {
        let seen = Observation {
            state,
            summary: format!("{} as scripted", state.label()),
            target,
            owner: None,
        };
        self.answers
            .lock()
            .expect("answers")
            .insert(service.to_owned(), seen);
    }
}

/// The service a check belongs to, in these tests: its heartbeat's name, or its
/// command's last argument.
fn owner(check: &Check) -> String {
    match check {
        Check::Command { argv } => argv.last().cloned().unwrap_or_default(),
        Check::Heartbeat { path, .. } => path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        other => other.kind().to_owned(),
    }
}

impl Prober for ScriptedProbe {
    fn probe(&self, check: &Check, stall: Stall) -> Observation {
        let name = owner(check);
        self.asked
            .lock()
            .expect("asked")
            .push((name.clone(), stall));
        self.answers
            .lock()
            .expect("answers")
            .get(&name)
            .cloned()
            .unwrap_or(Observation {
                state: State::Ok,
                summary: "fine".into(),
                target: Target::NoneRecorded,
                owner: None,
            })
    }
}

/// Does nothing but remember each step, and fails the ones it is told to.
#[derive(Default)]
struct RecordedActions {
    done: Mutex<Vec<(String, String, Target, bool)>>,
    failing: Vec<String>,
}

impl Actions for RecordedActions {
    fn step(&self, step: &Step, service: &Service, acting: &Acting, dry_run: bool) -> StepReport {
        let target = acting.target;
        let action = step.action.to_string();
        self.done.lock().expect("done").push((
            service.name.clone(),
            action.clone(),
            target.clone(),
            dry_run,
        ));
        let status = if dry_run {
            StepOutcome::Skipped
        } else if self.failing.contains(&action) {
            StepOutcome::Failed
        } else {
            StepOutcome::Ok
        };
        StepReport {
            action,
            status,
            exit_code: None,
            duration: Duration::from_millis(1),
            output_tail: String::new(),
            note: "as recorded".into(),
            started: None,
        }
    }
}

struct World {
    _dir: tempfile::TempDir,
    config: Config,
    probe: Arc<ScriptedProbe>,
    teller: Teller,
    stop: Stop,
}

impl World {
    fn new(services: &str) -> World {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = format!(
            "db_path = \"{db}\"\nconcurrency = 2\n{services}",
            db = dir.path().join("remediate.db").display()
        );
        let config = parse(&text, Format::Toml, "engine.toml").expect("config");
        let teller = Teller::new(&config);
        World {
            _dir: dir,
            config,
            probe: Arc::new(ScriptedProbe::default()),
            teller,
            stop: Stop::new(),
        }
    }

    fn engine<'a>(&'a self, actions: RecordedActions) -> (Engine<'a>, Arc<RecordedActions>) {
        let actions = Arc::new(actions);
        let engine = Engine {
            config: &self.config,
            prober: self.probe.clone(),
            actions: Box::new(SharedActions(actions.clone())),
            teller: &self.teller,
            stop: &self.stop,
        };
        (engine, actions)
    }
}

/// Lets a test keep the actions it gave the engine.
struct SharedActions(Arc<RecordedActions>);

impl Actions for SharedActions {
    fn step(&self, step: &Step, service: &Service, acting: &Acting, dry_run: bool) -> StepReport {
        self.0.step(step, service, acting, dry_run)
    }
}

const APP: &str = r#"
[services.app]
check = { heartbeat = "/run/app/app.json", max_age = "5m" }
commands = { start = "exec ./server" }
recovery = ["kill", "start"]
consecutive_failures = 2
"#;

fn heartbeat_pid(pid: i64) -> Target {
    Target::Process(KillTarget {
        pid,
        start_ticks: Some(77),
        boot_id: None,
        vouched_at: None,
        cgroup: None,
    })
}

fn steps(actions: &RecordedActions) -> Vec<(String, String, Target, bool)> {
    actions.done.lock().expect("done").clone()
}

#[test]
fn a_service_failing_its_threshold_runs_its_pipeline_at_the_process_its_check_named() {
    let world = World::new(APP);
    let mut store = Store::in_memory().expect("store");
    world
        .probe
        .answer("app", State::Critical, heartbeat_pid(4242));
    let (engine, actions) = world.engine(RecordedActions::default());

    let first = check_pass(&engine, crate::model::Source::Cron, &mut store).expect("pass");
    assert_eq!(
        first.services[0].verdict,
        Some(Verdict::Failing {
            count: 1,
            threshold: 2
        })
    );
    assert!(steps(&actions).is_empty());

    let second = check_pass(&engine, crate::model::Source::Cron, &mut store).expect("pass");
    let run = second.services[0].run.as_ref().expect("a run");
    assert_eq!(run.outcome, RunOutcome::Succeeded);
    assert_eq!(
        steps(&actions),
        [
            ("app".into(), "kill".into(), heartbeat_pid(4242), false),
            ("app".into(), "start".into(), heartbeat_pid(4242), false),
        ]
    );
    let state = store.service("app").expect("state");
    assert_eq!(state.status, ServiceStatus::Grace);
    assert_eq!(state.runs_total, 1);
    assert!(
        world
            .probe
            .asked
            .lock()
            .expect("asked")
            .iter()
            .all(|(_, stall)| *stall == Stall::Record),
        "a pass's checks record what they saw"
    );
}

#[test]
fn a_failed_kill_aborts_the_run_before_start_and_leaves_the_service_failing() {
    let world = World::new(APP);
    let mut store = Store::in_memory().expect("store");
    world
        .probe
        .answer("app", State::Critical, heartbeat_pid(4242));
    let (engine, actions) = world.engine(RecordedActions {
        failing: vec!["kill".into()],
        ..RecordedActions::default()
    });
    check_pass(&engine, crate::model::Source::Cron, &mut store).expect("pass");
    let report = check_pass(&engine, crate::model::Source::Cron, &mut store).expect("pass");
    let run = report.services[0].run.as_ref().expect("a run");
    assert_eq!(run.outcome, RunOutcome::Aborted);
    assert_eq!(run.steps.len(), 1, "start must not run after a failed kill");
    assert_eq!(steps(&actions).len(), 1);
    assert!(report.services[0].needs_attention());
    assert_eq!(
        store.service("app").expect("state").status,
        ServiceStatus::Failing
    );
}

#[test]
fn a_service_whose_dependency_is_down_is_not_remediated() {
    let world = World::new(&format!(
        "{APP}depends_on = [\"db\"]\n[services.db]\ncheck = {{ command = [\"/bin/check_db\", \"db\"] }}\nconsecutive_failures = 1\n"
    ));
    let mut store = Store::in_memory().expect("store");
    world
        .probe
        .answer("app", State::Critical, Target::NoneRecorded);
    world
        .probe
        .answer("db", State::Critical, Target::NoneRecorded);
    let (engine, actions) = world.engine(RecordedActions::default());
    check_pass(&engine, crate::model::Source::Cron, &mut store).expect("pass");
    let report = check_pass(&engine, crate::model::Source::Cron, &mut store).expect("pass");
    let names: Vec<&str> = report.services.iter().map(|s| s.service.as_str()).collect();
    assert_eq!(names, ["db", "app"], "dependencies are judged first");
    assert_eq!(
        report.services[1].verdict,
        Some(Verdict::DependencyDown {
            dependency: "db".into()
        })
    );
    assert!(steps(&actions).is_empty(), "db has no pipeline, app waits");
}

#[test]
fn a_stop_before_the_checks_end_abandons_the_pass_and_records_nothing() {
    let world = World::new(APP);
    let mut store = Store::in_memory().expect("store");
    world.stop.request("SIGTERM");
    let (engine, _) = world.engine(RecordedActions::default());
    let report = check_pass(&engine, crate::model::Source::Watch, &mut store).expect("pass");
    assert!(report.abandoned);
    assert_eq!(
        store.service("app").expect("state"),
        ServiceState::default()
    );
    assert!(store.history(None, 0.0, 1e12).expect("history").is_empty());
}

#[test]
fn a_dry_run_looks_at_the_heartbeat_without_recording_and_changes_no_state() {
    let world = World::new(
        r#"
[services.worker]
check = { heartbeat = "/run/app/worker.json", max_age = "5m", stall = "10m" }
commands = { start = "exec ./worker" }
recovery = ["kill", "start"]
"#,
    );
    let mut store = Store::in_memory().expect("store");
    world
        .probe
        .answer("worker", State::Critical, heartbeat_pid(99));
    let (engine, actions) = world.engine(RecordedActions::default());
    let service = &world.config.services[0];
    let run = run_now(&engine, &mut store, service, true, None).expect("run");
    assert_eq!(run.outcome, RunOutcome::DryRun);
    assert_eq!(
        *world.probe.asked.lock().expect("asked"),
        [("worker".to_owned(), Stall::LookOnly)]
    );
    assert!(steps(&actions).iter().all(|(.., dry)| *dry));
    assert_eq!(
        store.service("worker").expect("state"),
        ServiceState::default()
    );
}

#[test]
fn the_kill_target_is_the_checks_process_else_our_own_start() {
    let started = ServiceState {
        pid: Some(700),
        pid_start_ticks: Some(9),
        ..ServiceState::default()
    };
    let ours = Target::Process(KillTarget {
        pid: 700,
        start_ticks: Some(9),
        boot_id: None,
        vouched_at: None,
        cgroup: None,
    });
    assert_eq!(target_of(&heartbeat_pid(5), &started), heartbeat_pid(5));
    assert_eq!(target_of(&Target::NoneRecorded, &started), ours);
    assert_eq!(
        target_of(&Target::Unreadable("torn".into()), &started),
        ours
    );
    let nothing = ServiceState::default();
    assert_eq!(
        target_of(&Target::Unreadable("torn".into()), &nothing),
        Target::Unreadable("torn".into())
    );
    assert_eq!(
        target_of(&Target::NoneRecorded, &nothing),
        Target::NoneRecorded
    );
}

#[test]
fn an_event_handler_begins_one_run_per_problem_and_audits_its_decision() {
    let world = World::new(APP);
    let mut store = Store::in_memory().expect("store");
    let (engine, _) = world.engine(RecordedActions::default());
    let service = &world.config.services[0];
    let event = Event {
        state: State::Critical,
        state_type: crate::model::StateType::Hard,
        attempt: 3,
        source: crate::model::Source::Nagios,
        output: Some("down".into()),
    };
    let first = handle_event(&engine, &mut store, service, &event, false, false).expect("event");
    assert!(first.run.is_some());
    let again = handle_event(&engine, &mut store, service, &event, false, false).expect("event");
    assert_eq!(again.run, None);
    assert_eq!(
        again.verdict.to_string(),
        format!(
            "ignored: already acted on this problem (run {}); waiting for OK",
            first.run.expect("run")
        )
    );
}
