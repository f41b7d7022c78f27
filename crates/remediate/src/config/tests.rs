use std::os::unix::fs::PermissionsExt;

use super::*;

/// Root without systemd: the defaults do not depend on who runs the tests.
fn root_env() -> Environment {
    Environment {
        root: true,
        ..Environment::default()
    }
}

fn parse_as(text: &str, format: Format) -> Result<Config, ConfigError> {
    parse_in(text, format, "/etc/triage/remediate.conf", &root_env())
}

fn config(text: &str, format: Format) -> Config {
    parse_as(text, format).unwrap_or_else(|e| panic!("{e}"))
}

fn problems(text: &str, format: Format) -> Vec<(String, String)> {
    match parse_as(text, format) {
        Ok(config) => panic!("accepted: {config:#?}"),
        Err(ConfigError::Invalid { problems, .. }) => problems
            .into_iter()
            .map(|p| (p.location, p.message))
            .collect(),
        Err(other) => panic!("{other}"),
    }
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn map(items: &[(&str, &str)]) -> BTreeMap<String, String> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn step(action: Action, timeout: u64, on_failure: OnFailure) -> Step {
    Step {
        action,
        timeout: secs(timeout),
        on_failure,
    }
}

/// The seed's README example, verbatim (also the packaging example).
const WATCHDOG_EXAMPLE: &str =
    include_str!("../../../../packaging/remediate/watchdog-config.example.json");

#[test]
fn the_watchdog_example_config_json_loads_unchanged() {
    let config = config(WATCHDOG_EXAMPLE, Format::Json);
    assert_eq!(config.db_path, PathBuf::from("/path/to/watchdog.db"));
    assert_eq!(config.lock_path, PathBuf::from("/path/to/watchdog.lock"));
    assert_eq!(config.log_dir, PathBuf::from("/path/to/logs"));
    assert_eq!(config.log_level, LogLevel::Info);
    assert_eq!(config.consecutive_failures, 2);
    assert_eq!(
        config.services,
        vec![Service {
            name: "my_server".into(),
            display_name: Some("MyServer".into()),
            enabled: true,
            check: Check::Heartbeat {
                path: "/path/to/heartbeats/my_server.json".into(),
                max_age: secs(300),
                stall: None,
            },
            consecutive_failures: 2,
            failure_states: vec![State::Critical],
            commands: map(&[
                ("start", "cd /path/to/project && python3 -m myapp.main"),
                ("clear_db", "/path/to/project/scripts/reset_db.sh"),
                (
                    "clear_email_logs",
                    "/path/to/project/scripts/clear_emails.sh"
                ),
            ]),
            recovery: vec![
                step(Action::Kill, 60, OnFailure::Abort),
                step(Action::Command("clear_db".into()), 60, OnFailure::Continue),
                step(Action::Start, 60, OnFailure::Abort),
            ],
            start_grace: secs(30),
            kill_timeout: secs(10),
            budget: Budget::default(),
            depends_on: vec![],
            env: BTreeMap::new(),
            user: None,
            group: None,
            cwd: None,
            orphaned_steps: OrphanedSteps::Wait,
            force_flag: true,
            event: EventPolicy::default(),
        }]
    );
}

#[test]
fn the_old_flat_watchdog_shape_becomes_kill_cleanups_start() {
    let config = config(
        r#"{"processes": {"worker": {
            "timeout_seconds": 120,
            "heartbeat_file": "/run/hb/worker.json",
            "start_command": "/srv/worker/run.sh",
            "cleanup_commands": ["rm -f /srv/worker/lock", "/srv/worker/flush.sh"]
        }}}"#,
        Format::Json,
    );
    let worker = &config.services[0];
    assert_eq!(
        worker.check,
        Check::Heartbeat {
            path: "/run/hb/worker.json".into(),
            max_age: secs(120),
            stall: None,
        }
    );
    assert_eq!(
        worker.commands,
        map(&[
            ("start", "/srv/worker/run.sh"),
            ("cleanup_1", "rm -f /srv/worker/lock"),
            ("cleanup_2", "/srv/worker/flush.sh"),
        ])
    );
    assert_eq!(
        worker.recovery,
        vec![
            step(Action::Kill, 60, OnFailure::Abort),
            step(Action::Command("cleanup_1".into()), 60, OnFailure::Continue),
            step(Action::Command("cleanup_2".into()), 60, OnFailure::Continue),
            step(Action::Start, 60, OnFailure::Abort),
        ]
    );
    assert!(worker.force_flag);
}

#[test]
fn an_old_kill_command_replaces_the_built_in_kill_and_aborts_on_failure() {
    let config = config(
        r#"{"processes": {"worker": {
            "timeout_seconds": 120, "heartbeat_file": "/run/hb/worker.json",
            "start_command": "/srv/worker/run.sh", "kill_command": "pkill -x worker",
            "cleanup_commands": {"clear_cache": "/srv/worker/clear.sh"}
        }}}"#,
        Format::Json,
    );
    assert_eq!(
        config.services[0].recovery,
        vec![
            step(Action::Command("kill_command".into()), 60, OnFailure::Abort),
            step(
                Action::Command("clear_cache".into()),
                60,
                OnFailure::Continue
            ),
            step(Action::Start, 60, OnFailure::Abort),
        ]
    );
}

const FULL_TOML: &str = r#"
db_path = "/srv/triage/remediate.db"
lock_path = "/run/remediate.lock"
log_dir = "/var/log/remediate"
log_level = "debug"
consecutive_failures = 4
retention = "7d"

[services.db]
check = { procs = ["-C", "postgres", "-c", "1:"] }

[services.my_server]
display_name = "MyServer"
enabled = false
check = { heartbeat = "/run/app/my_server.json", max_age = "5m" }
commands = { start = "cd /srv/app && exec ./server", clear_db = "/srv/app/reset_db.sh" }
recovery = [
    "kill",
    { action = "clear_db", timeout = "90s", on_failure = "abort" },
    { action = "container_restart", container = "cache" },
    "start",
]
consecutive_failures = 3
failure_states = ["critical", "unknown"]
start_grace = "45s"
kill_timeout = 20
budget = { max = 5, window = "2h", cooldown = "30m" }
depends_on = ["db"]
env = { PATH = "/usr/local/bin:/usr/bin:/bin", APP_ENV = "prod" }
"#;

/// FULL_TOML, written as JSON.
const FULL_JSON: &str = r#"{
  "db_path": "/srv/triage/remediate.db",
  "lock_path": "/run/remediate.lock",
  "log_dir": "/var/log/remediate",
  "log_level": "debug",
  "consecutive_failures": 4,
  "retention": "7d",
  "services": {
    "db": {"check": {"procs": ["-C", "postgres", "-c", "1:"]}},
    "my_server": {
      "display_name": "MyServer",
      "enabled": false,
      "check": {"heartbeat": "/run/app/my_server.json", "max_age": "5m"},
      "commands": {"start": "cd /srv/app && exec ./server", "clear_db": "/srv/app/reset_db.sh"},
      "recovery": [
        "kill",
        {"action": "clear_db", "timeout": "90s", "on_failure": "abort"},
        {"action": "container_restart", "container": "cache"},
        "start"
      ],
      "consecutive_failures": 3,
      "failure_states": ["critical", "unknown"],
      "start_grace": "45s",
      "kill_timeout": 20,
      "budget": {"max": 5, "window": "2h", "cooldown": "30m"},
      "depends_on": ["db"],
      "env": {"PATH": "/usr/local/bin:/usr/bin:/bin", "APP_ENV": "prod"}
    }
  }
}"#;

#[test]
fn a_full_toml_config_sets_every_field() {
    let config = config(FULL_TOML, Format::Toml);
    assert_eq!(config.db_path, PathBuf::from("/srv/triage/remediate.db"));
    assert_eq!(config.lock_path, PathBuf::from("/run/remediate.lock"));
    assert_eq!(config.log_dir, PathBuf::from("/var/log/remediate"));
    assert_eq!(config.log_level, LogLevel::Debug);
    assert_eq!(config.consecutive_failures, 4);
    assert_eq!(config.retention, secs(7 * 86400));
    let names: Vec<&str> = config.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["db", "my_server"]);
    assert_eq!(config.services[0].consecutive_failures, 4, "global default");
    assert_eq!(
        config.services[1],
        Service {
            name: "my_server".into(),
            display_name: Some("MyServer".into()),
            enabled: false,
            check: Check::Heartbeat {
                path: "/run/app/my_server.json".into(),
                max_age: secs(300),
                stall: None,
            },
            consecutive_failures: 3,
            failure_states: vec![State::Critical, State::Unknown],
            commands: map(&[
                ("start", "cd /srv/app && exec ./server"),
                ("clear_db", "/srv/app/reset_db.sh"),
            ]),
            recovery: vec![
                step(Action::Kill, 60, OnFailure::Abort),
                step(Action::Command("clear_db".into()), 90, OnFailure::Abort),
                step(
                    Action::ContainerRestart {
                        container: "cache".into()
                    },
                    60,
                    OnFailure::Continue
                ),
                step(Action::Start, 60, OnFailure::Abort),
            ],
            start_grace: secs(45),
            kill_timeout: secs(20),
            budget: Budget {
                max: 5,
                window: secs(7200),
                cooldown: secs(1800)
            },
            depends_on: strings(&["db"]),
            env: map(&[
                ("PATH", "/usr/local/bin:/usr/bin:/bin"),
                ("APP_ENV", "prod")
            ]),
            user: None,
            group: None,
            cwd: None,
            orphaned_steps: OrphanedSteps::Wait,
            force_flag: false,
            event: EventPolicy::default(),
        }
    );
}

#[test]
fn the_same_config_in_json_is_the_same_config() {
    assert_eq!(
        config(FULL_JSON, Format::Json),
        config(FULL_TOML, Format::Toml)
    );
}

#[test]
fn services_keep_file_order() {
    let config = config(
        "[services.zeta]\ncheck = { container = [\"z\"] }\n\
         [services.alpha]\ncheck = { container = [\"a\"] }\n",
        Format::Toml,
    );
    let names: Vec<&str> = config.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["zeta", "alpha"]);
}

#[test]
fn a_minimal_service_gets_every_default() {
    let config = config(
        "[services.web]\ncheck = { http = [\"http://127.0.0.1/\"] }\n",
        Format::Toml,
    );
    assert_eq!(
        config.db_path,
        PathBuf::from("/var/lib/triage/remediate.db")
    );
    assert_eq!(
        config.lock_path,
        PathBuf::from("/var/lib/triage/remediate.lock")
    );
    assert_eq!(config.log_dir, PathBuf::from("/var/lib/triage/logs"));
    assert_eq!(config.log_level, LogLevel::Info);
    assert_eq!(config.consecutive_failures, 2);
    assert_eq!(config.retention, secs(30 * 86400));
    assert_eq!(
        config.services,
        vec![Service {
            name: "web".into(),
            display_name: None,
            enabled: true,
            check: Check::Http {
                args: PluginArgs::parse("check_http_health", strings(&["http://127.0.0.1/"]))
                    .expect("http arguments")
            },
            consecutive_failures: 2,
            failure_states: vec![State::Critical],
            commands: BTreeMap::new(),
            recovery: vec![],
            start_grace: secs(30),
            kill_timeout: secs(10),
            budget: Budget {
                max: 3,
                window: secs(3600),
                cooldown: secs(3600)
            },
            depends_on: vec![],
            env: BTreeMap::new(),
            user: None,
            group: None,
            cwd: None,
            orphaned_steps: OrphanedSteps::Wait,
            force_flag: false,
            event: EventPolicy::default(),
        }]
    );
    assert_eq!(config.services[0].label(), "web");
}

#[test]
fn the_default_database_follows_systemd_then_root_then_xdg_then_home() {
    let env = |state: Option<&str>, root: bool, xdg: Option<&str>, home: Option<&str>| {
        Environment {
            state_directory: state.map(Into::into),
            root,
            xdg_state_home: xdg.map(Into::into),
            home: home.map(Into::into),
        }
        .default_db_path()
    };
    let path = |p: &str| Ok(PathBuf::from(p));
    assert_eq!(
        env(Some("/var/lib/remediate:/var/lib/other"), true, None, None),
        path("/var/lib/remediate/remediate.db")
    );
    assert_eq!(
        env(None, true, Some("/x"), Some("/root")),
        path("/var/lib/triage/remediate.db")
    );
    assert_eq!(
        env(None, false, Some("/home/u/.state"), Some("/home/u")),
        path("/home/u/.state/triage/remediate.db")
    );
    assert_eq!(
        env(None, false, Some("relative"), Some("/home/u")),
        path("/home/u/.local/state/triage/remediate.db")
    );
    assert_eq!(
        env(None, false, None, None),
        Err("no default (HOME is not set): give db_path".to_owned())
    );
}

#[test]
fn durations_may_be_numbers_of_seconds() {
    let config = config(
        "retention = 3600\n[services.web]\ncheck = { heartbeat = \"/run/hb\", max_age = 90 }\n\
         start_grace = 0\n",
        Format::Toml,
    );
    assert_eq!(config.retention, secs(3600));
    assert_eq!(config.services[0].start_grace, Duration::ZERO);
    assert_eq!(
        config.services[0].check,
        Check::Heartbeat {
            path: "/run/hb".into(),
            max_age: secs(90),
            stall: None,
        }
    );
}

/// One broken thing per case, and the one problem it must give. Serde errors (syntax,
/// unknown keys, wrong types) point at the line and column; the rest name the key.
#[test]
fn each_invalid_config_gives_its_own_problem_and_location() {
    let cases: &[(Format, &str, &str, &str)] = &[
        (
            Format::Toml,
            "db_path = \"/var/lib/x.db\n",
            "line 1, column 25",
            "invalid basic string, expected `\"`",
        ),
        (
            Format::Toml,
            "webhook = \"https://example.com\"\n",
            "line 1, column 1",
            "unknown field `webhook`, expected one of `db_path`, `lock_path`, `log_dir`, \
             `log_level`, `consecutive_failures`, `retention`, `interval`, `concurrency`, `check_timeout`, `heartbeat_file`, `prometheus_textfile`, `notify`, `event`, `services`",
        ),
        (
            Format::Toml,
            "[services.web]\ncheck = { http = [\"http://127.0.0.1/\"] }\nrestart = \"x\"\n",
            "line 3, column 1",
            "unknown field `restart`, expected one of `display_name`, `enabled`, `check`, \
             `consecutive_failures`, `failure_states`, `commands`, `recovery`, \
             `start_grace`, `kill_timeout`, `budget`, `depends_on`, `env`, `event`, `user`, `group`, `cwd`, `orphaned_steps`",
        ),
        (
            Format::Toml,
            "[services.web]\ncheck = { http = [\"http://127.0.0.1/\"], url = \"x\" }\n",
            "line 2, column 41",
            "unknown field `url`, expected one of `heartbeat`, `max_age`, `stall`, `http`, \
             `container`, `procs`, `command`",
        ),
        (
            Format::Json,
            "{\"services\": {\n  \"web\": {\"check\": {\"http\": [\"x\"]},}\n}}",
            "line 2, column 36",
            "trailing comma",
        ),
        (
            Format::Json,
            "{\"services\": {\"web\": {\"check\": {\"http\": [\"x\"]}, \"enable\": true}}}",
            "line 1, column 56",
            "unknown field `enable`, expected one of `display_name`, `enabled`, `check`, \
             `consecutive_failures`, `failure_states`, `commands`, `recovery`, \
             `start_grace`, `kill_timeout`, `budget`, `depends_on`, `env`, `event`, `user`, `group`, `cwd`, `orphaned_steps`",
        ),
        (
            Format::Toml,
            "[services.web]\ncheck = { http = [\"http://127.0.0.1/\"] }\nconsecutive_failures = -1\n",
            "line 3, column 24",
            "invalid value: integer `-1`, expected u32",
        ),
        (
            Format::Toml,
            "[services.web]\ncheck = { http = [\"x\"] }\nrecovery = [\"clear_db\"]\n",
            "services.web.recovery[0]",
            "clear_db is neither a built-in step nor a key of commands",
        ),
        (
            Format::Toml,
            "[services.web]\ncheck = { http = [\"x\"] }\nrecovery = [\"start\"]\n",
            "services.web.recovery[0]",
            "start needs commands.start",
        ),
        (
            Format::Toml,
            "[services.web]\ncheck = { http = [\"x\"] }\ncommands = { start = \"s\" }\n\
             recovery = [\"kill\", \"start\"]\n",
            "services.web.recovery[0]",
            "kill needs a heartbeat check (the PID comes from the heartbeat file); this \
             service's check is http",
        ),
        (
            Format::Toml,
            "[services.web]\ncheck = { heartbeat = \"/run/hb\", max_age = \"1m\" }\n\
             kill_timeout = \"30s\"\nrecovery = [{ action = \"kill\", timeout = \"5s\" }]\n",
            "services.web.recovery[0]",
            "timeout 5s is shorter than kill_timeout 30s: SIGKILL would never be sent",
        ),
        (
            Format::Toml,
            "[services.web]\ncheck = { http = [\"x\"] }\nrecovery = [\"container_restart\"]\n",
            "services.web.recovery[0]",
            "container_restart needs a container: { action = \"container_restart\", \
             container = \"NAME\" }",
        ),
        (
            Format::Toml,
            "[services.web]\ncheck = { http = [\"x\"] }\ncommands = { a = \"a\" }\n\
             recovery = [{ action = \"a\", on_failure = \"stop\" }]\n",
            "services.web.recovery[0].on_failure",
            "'stop' is neither abort nor continue",
        ),
        (
            Format::Toml,
            "[services.web]\ncheck = { http = [\"x\"] }\ncommands = { kill = \"pkill web\" }\n",
            "services.web.commands.kill",
            "kill is a built-in step; give this command another name",
        ),
        (
            Format::Toml,
            "[services.web]\ncheck = { http = [\"x\"] }\ndepends_on = [\"db\"]\n",
            "services.web.depends_on[0]",
            "no service named db",
        ),
        (
            Format::Toml,
            "[services.web]\ncheck = { http = [\"x\"] }\ndepends_on = [\"web\"]\n",
            "services.web.depends_on[0]",
            "a service cannot depend on itself",
        ),
        (
            Format::Toml,
            "[services.a]\ncheck = { http = [\"x\"] }\ndepends_on = [\"b\"]\n\
             [services.b]\ncheck = { http = [\"x\"] }\ndepends_on = [\"c\"]\n\
             [services.c]\ncheck = { http = [\"x\"] }\ndepends_on = [\"a\"]\n",
            "services.c.depends_on",
            "dependency cycle: a -> b -> c -> a",
        ),
        (
            Format::Toml,
            "[services.web]\ncheck = { http = [\"x\"] }\nstart_grace = \"5 min\"\n",
            "services.web.start_grace",
            "'5 min' is not a duration: expected seconds, or a number with s, m, h or d \
             (90s, 5m)",
        ),
        (
            Format::Toml,
            "[services.web]\ncheck = { http = [\"x\"] }\nkill_timeout = -5\n",
            "services.web.kill_timeout",
            "'-5' is not a duration: expected seconds, or a number with s, m, h or d \
             (90s, 5m)",
        ),
        (
            Format::Toml,
            "retention = \"0d\"\n",
            "retention",
            "must be more than 0s",
        ),
        (
            Format::Toml,
            "consecutive_failures = 0\n",
            "consecutive_failures",
            "must be at least 1",
        ),
        (
            Format::Toml,
            "[services.web]\ncheck = { http = [\"x\"] }\nconsecutive_failures = 0\n",
            "services.web.consecutive_failures",
            "must be at least 1",
        ),
        (
            Format::Toml,
            "[services.web]\ncheck = { http = [\"x\"] }\nbudget = { max = 0 }\n",
            "services.web.budget.max",
            "must be at least 1",
        ),
        (
            Format::Toml,
            "[services.web]\ncheck = { http = [] }\n",
            "services.web.check.http",
            "is empty: give the plugin's arguments",
        ),
        (
            Format::Toml,
            "[services.web]\ncheck = { command = [] }\n",
            "services.web.check.command",
            "needs the plugin's path first, then its arguments",
        ),
        (
            Format::Toml,
            "[services.web]\ncheck = { heartbeat = \"run/web.json\", max_age = \"1m\" }\n",
            "services.web.check.heartbeat",
            "must be an absolute path, not run/web.json",
        ),
        (
            Format::Toml,
            "[services.web]\ncheck = { heartbeat = \"/run/web.json\" }\n",
            "services.web.check.max_age",
            "is missing: how old the heartbeat may get, e.g. \"5m\"",
        ),
        (
            Format::Toml,
            "[services.web]\ncheck = { http = [\"x\"], procs = [\"-C\", \"web\"] }\n",
            "services.web.check",
            "give exactly one of heartbeat, http, container, procs or command (found http \
             and procs)",
        ),
        (
            Format::Toml,
            "[services.web]\nenabled = true\n",
            "services.web.check",
            "is missing: give one of heartbeat, http, container, procs or command",
        ),
        (
            Format::Toml,
            "[services.web]\ncheck = { http = [\"x\"] }\nfailure_states = [\"critical\", \"ok\"]\n",
            "services.web.failure_states[1]",
            "'ok' is not a failure state: expected critical, warning or unknown",
        ),
        (
            Format::Toml,
            "[services.\"../etc\"]\ncheck = { http = [\"x\"] }\n",
            "services.\"../etc\"",
            "is not a usable service name: use letters, digits, '-', '_' and '.', starting \
             with a letter or digit (it names the service's log file)",
        ),
        (
            Format::Toml,
            "db_path = \"remediate.db\"\n",
            "db_path",
            "must be an absolute path, not remediate.db",
        ),
        (
            Format::Toml,
            "log_level = \"loud\"\n",
            "log_level",
            "'loud' is not a log level: expected debug, info, warning or error",
        ),
        (
            Format::Json,
            "{\"services\": {\"web\": {\"check\": {\"http\": [\"x\"]}}, \
             \"web\": {\"check\": {\"http\": [\"y\"]}}}}",
            "services.web",
            "is given twice",
        ),
        (
            Format::Json,
            r#"{"processes": {"w": {"heartbeat_path": "/run/w.json"}}}"#,
            "processes.w.timeout_seconds",
            "is missing: how old the heartbeat may get",
        ),
        (
            Format::Json,
            r#"{"processes": {"w": {"heartbeat_path": "/run/w.json", "timeout_seconds": 60,
                "commands": {"start": "s"}, "recovery_actions": ["kill", "clear_db", "start"]}}}"#,
            "processes.w.recovery_actions[1]",
            "clear_db is neither a built-in step nor a key of commands",
        ),
        (
            Format::Json,
            r#"{"processes": {"w": {"heartbeat_path": "/run/w.json", "timeout_seconds": 60,
                "commands": {"start": "s"}, "start_command": "s"}}}"#,
            "processes.w",
            "mixes commands with the older start_command/kill_command/cleanup_commands; \
             give one or the other",
        ),
        (
            Format::Json,
            r#"{"processes": {"w": {"heartbeat_path": "/run/w.json", "timeout_seconds": 60,
                "restart_delay": 5}}}"#,
            "line 2, column 31",
            "unknown field `restart_delay`, expected one of `display_name`, \
             `timeout_seconds`, `heartbeat_path`, `enabled`, `commands`, \
             `recovery_actions`, `heartbeat_file`, `start_command`, `kill_command`, \
             `cleanup_commands`",
        ),
        (
            Format::Toml,
            "concurrency = 0",
            "concurrency",
            "must be between 1 and 64, not 0",
        ),
        (
            Format::Toml,
            "interval = \"0s\"",
            "interval",
            "must be more than 0s",
        ),
        (
            Format::Toml,
            "prometheus_textfile = \"/var/lib/node/remediate.txt\"",
            "prometheus_textfile",
            "must end in .prom (node_exporter's textfile collector reads only those)",
        ),
        (
            Format::Toml,
            "heartbeat_file = \"remediate.json\"",
            "heartbeat_file",
            "must be an absolute path, not remediate.json",
        ),
        (
            Format::Toml,
            "[notify]\nping_url = \"hc-ping.com/abc\"",
            "notify.ping_url",
            "'hc-ping.com/abc' is not an http:// or https:// URL",
        ),
        (
            Format::Toml,
            "[[notify.webhooks]]\nurl = \"https://chat.example/h\"\nevents = [\"DOWN\", \"UP\"]",
            "notify.webhooks[0].events[1]",
            "'UP' is not an event: expected DOWN, REMEDIATION_STARTED, REMEDIATION_FAILED, \
             EXHAUSTED, RECOVERED",
        ),
        (
            Format::Toml,
            "[[notify.webhooks]]\nurl = \"https://chat.example/h\"\nheaders = { \"X Token\" = \"a\" }",
            "notify.webhooks[0].headers.\"X Token\"",
            "is not a usable HTTP header (a name without spaces or ':', a value on one line)",
        ),
        (
            Format::Toml,
            "[event]\nstates = [\"down\"]",
            "event.states[0]",
            "'down' is not a problem state: expected critical, warning or unknown",
        ),
        (
            Format::Toml,
            "[services.web]\ncheck = { http = [\"http://127.0.0.1/\"] }\nevent = { soft_attempt = 0 }",
            "services.web.event.soft_attempt",
            "must be at least 1",
        ),
    ];
    let mut failures = Vec::new();
    for (format, text, location, message) in cases {
        let got = problems(text, *format);
        let want = vec![(location.to_string(), message.to_string())];
        if got != want {
            failures.push(format!("{text}\n  want {want:?}\n  got  {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_semantic_problem_is_reported_not_only_the_first() {
    let text = "consecutive_failures = 0\n\
                [services.web]\n\
                check = { http = [] }\n\
                recovery = [\"kill\", \"flush\"]\n\
                budget = { max = 0, window = \"soon\" }\n\
                [services.api]\n\
                check = { heartbeat = \"hb.json\", max_age = \"1m\" }\n\
                depends_on = [\"cache\"]\n";
    let error = parse_as(text, Format::Toml).expect_err("invalid");
    assert_eq!(
        error.to_string(),
        "/etc/triage/remediate.conf: 8 problems\n  \
         consecutive_failures: must be at least 1\n  \
         services.web.check.http: is empty: give the plugin's arguments\n  \
         services.web.budget.max: must be at least 1\n  \
         services.web.budget.window: 'soon' is not a duration: expected seconds, or a \
         number with s, m, h or d (90s, 5m)\n  \
         services.web.recovery[0]: kill needs a heartbeat check (the PID comes from the \
         heartbeat file); this service's check is http\n  \
         services.web.recovery[1]: flush is neither a built-in step nor a key of commands\n  \
         services.api.check.heartbeat: must be an absolute path, not hb.json\n  \
         services.api.depends_on[0]: no service named cache"
    );
}

#[test]
fn one_problem_reads_as_one_problem() {
    let error = parse_as("log_level = \"loud\"\n", Format::Toml).expect_err("invalid");
    assert_eq!(
        error.to_string(),
        "/etc/triage/remediate.conf: 1 problem\n  \
         log_level: 'loud' is not a log level: expected debug, info, warning or error"
    );
}

#[test]
fn the_format_comes_from_the_extension_else_the_first_character() {
    assert_eq!(Format::detect(Path::new("a.toml"), "{"), Format::Toml);
    assert_eq!(Format::detect(Path::new("a.json"), "x = 1"), Format::Json);
    assert_eq!(
        Format::detect(Path::new("a.conf"), "\n  {\"x\": 1}"),
        Format::Json
    );
    assert_eq!(
        Format::detect(Path::new("remediate"), "x = 1"),
        Format::Toml
    );
}

#[test]
fn load_reads_toml_and_json_and_sniffs_files_without_extension() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in [
        ("r.toml", FULL_TOML),
        ("r.json", FULL_JSON),
        ("config", FULL_JSON),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let config = load(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(config.services.len(), 2, "{name}");
    }
    let missing = dir.path().join("missing.toml");
    assert_eq!(
        load(&missing).expect_err("missing").to_string(),
        format!(
            "cannot read {}: No such file or directory",
            missing.display()
        )
    );
}

#[test]
fn the_example_in_the_module_docs_is_a_valid_config() {
    let example: String = include_str!("mod.rs")
        .lines()
        .skip_while(|line| *line != "//! ```toml")
        .skip(1)
        .take_while(|line| *line != "//! ```")
        .map(|line| {
            format!(
                "{}\n",
                line.trim_start_matches("//!").trim_start_matches(' ')
            )
        })
        .collect();
    let config = config(&example, Format::Toml);
    assert_eq!(config.services.len(), 2);
    assert_eq!(config.services[1].recovery.len(), 3);
}

#[test]
fn operation_settings_and_event_policies_are_read_with_their_defaults() {
    let config = config(
        r#"
        interval = "20s"
        concurrency = 8
        check_timeout = "10s"
        prometheus_textfile = "/var/lib/prometheus/node-exporter/remediate.prom"
        [event]
        soft_attempt = 3
        [notify]
        timeout = "2s"
        ping_url = "https://hc-ping.com/5f8a"
        [[notify.webhooks]]
        url = "https://chat.example/hooks/T0/B0/x"
        events = ["down", "EXHAUSTED"]
        headers = { Authorization = "Bearer t" }
        [[notify.webhooks]]
        url = "http://127.0.0.1:9000/all"
        [services.api]
        check = { http = ["http://127.0.0.1/"] }
        [services.db]
        check = { procs = ["-C", "postgres"] }
        event = { states = ["critical", "unknown"], cooldown = "0s" }
        "#,
        Format::Toml,
    );
    let operation = &config.operation;
    assert_eq!(
        (
            operation.interval,
            operation.concurrency,
            operation.check_timeout
        ),
        (secs(20), 8, secs(10))
    );
    assert_eq!(
        operation.heartbeat_file,
        config.db_path.with_extension("heartbeat")
    );
    assert_eq!(operation.notify.timeout, secs(2));
    assert_eq!(
        operation.notify.webhooks[0].events,
        [NotificationKind::Down, NotificationKind::Exhausted]
    );
    assert_eq!(
        operation.notify.webhooks[0].headers,
        [("Authorization".to_owned(), "Bearer t".to_owned())]
    );
    assert_eq!(
        operation.notify.webhooks[1].events,
        NotificationKind::ALL.to_vec()
    );
    let api = &config.services[0];
    assert_eq!(
        api.event,
        EventPolicy {
            states: vec![State::Critical],
            soft_attempt: Some(3),
            cooldown: secs(300),
        }
    );
    let db = &config.services[1];
    assert_eq!(
        db.event,
        EventPolicy {
            states: vec![State::Critical, State::Unknown],
            soft_attempt: Some(3),
            cooldown: secs(0),
        }
    );
    // Without the keys: 15 s, 4 at once, 30 s checks, nobody told.
    let plain = super::parse("", Format::Toml, "t.toml").expect("empty config");
    assert_eq!(
        (
            plain.operation.interval,
            plain.operation.concurrency,
            plain.operation.check_timeout,
            plain.operation.prometheus_textfile.clone(),
            plain.operation.notify.clone()
        ),
        (secs(15), 4, secs(30), None, Notify::default())
    );
}

#[test]
fn the_spreadpilot_watchdog_example_polls_every_15s_and_acts_after_3_failures() {
    let config = config(
        include_str!("../../../../packaging/remediate/spreadpilot-watchdog.toml"),
        Format::Toml,
    );
    assert_eq!(config.operation.interval, secs(15));
    assert_eq!(config.operation.concurrency, 4);
    let names: Vec<&str> = config.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        ["gateway-manager", "executor", "monitor", "dashboard"]
    );
    for service in &config.services {
        assert_eq!(service.consecutive_failures, 3);
        assert_eq!(
            service.recovery[0].action,
            Action::ContainerRestart {
                container: service.name.clone()
            }
        );
    }
    assert_eq!(
        config.operation.notify.webhooks[0].events,
        [
            NotificationKind::RemediationFailed,
            NotificationKind::Recovered,
            NotificationKind::Exhausted
        ]
    );
}
