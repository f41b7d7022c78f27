//! The shipped packaging files, checked by the tools that will read them.

use std::process::Command;
use std::time::Duration;

use crate::support::{bin, run_bounded};

/// The systemd units pass `systemd-analyze verify` with our binary in place of
/// /usr/bin/remediate. Allowed: systemd before 254 not knowing RestartSteps (the unit
/// says so) and the man page not being installed here.
#[test]
fn the_systemd_units_verify() {
    let analyze = "/usr/bin/systemd-analyze";
    assert!(
        std::path::Path::new(analyze).exists(),
        "systemd-analyze is missing: apt-get install systemd"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/systemd");
    let units = [
        "remediate.service",
        "remediate-check.service",
        "remediate-check.timer",
    ];
    for unit in units {
        let text = std::fs::read_to_string(source.join(unit)).expect("unit");
        let text = text.replace(
            "/usr/bin/remediate",
            &bin("remediate").display().to_string(),
        );
        std::fs::write(dir.path().join(unit), text).expect("copy");
    }
    let mut command = Command::new(analyze);
    command
        .arg("verify")
        .args(units.iter().map(|u| dir.path().join(u)));
    let run = run_bounded(&mut command, Duration::from_secs(60));
    let unexpected: Vec<&str> = run
        .stderr
        .lines()
        .filter(|line| {
            !(line.contains("Unknown key 'RestartSteps'")
                || line.contains("Unknown key 'RestartMaxDelaySec'")
                || line.contains("man remediate(1)"))
        })
        .collect();
    assert!(unexpected.is_empty(), "{}", run.stderr);
    for unit in ["remediate.service", "remediate-check.service"] {
        let text = std::fs::read_to_string(source.join(unit)).expect("unit");
        // Services remediate starts must survive remediate's own restarts.
        assert!(text.contains("KillMode=process"), "{unit}");
    }
}

fn packaging(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("packaging")
        .join(path)
}

fn promtool() -> &'static str {
    let promtool = "/usr/bin/promtool";
    assert!(
        std::path::Path::new(promtool).exists(),
        "promtool is missing: apt-get install prometheus"
    );
    promtool
}

/// The alert rules load, their unit tests pass, and every remediate metric they use is one
/// that remediate's textfile really has.
#[test]
fn the_prometheus_alert_rules_pass_promtool_and_name_real_metrics() {
    let promtool = promtool();
    for args in [
        vec!["check", "rules", "remediate.rules.yml"],
        vec!["test", "rules", "remediate.rules.test.yml"],
    ] {
        let mut command = Command::new(promtool);
        command.args(&args).current_dir(packaging("prometheus"));
        let run = run_bounded(&mut command, Duration::from_secs(60));
        assert_eq!(
            run.code, 0,
            "promtool {args:?}:\n{}{}",
            run.stdout, run.stderr
        );
    }
    // A real textfile, from a real pass.
    let dir = tempfile::tempdir().expect("tempdir");
    let textfile = dir.path().join("remediate.prom");
    let config = dir.path().join("remediate.toml");
    std::fs::write(
        &config,
        format!(
            "db_path = \"{}\"\nprometheus_textfile = \"{}\"\n\
             [services.api]\ncheck = {{ command = [\"/bin/true\"] }}\n",
            dir.path().join("state/remediate.db").display(),
            textfile.display()
        ),
    )
    .expect("config");
    let mut command = Command::new(bin("remediate"));
    command.arg("-c").arg(&config).arg("check");
    let run = run_bounded(&mut command, Duration::from_secs(60));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let families = std::fs::read_to_string(&textfile).expect("textfile");
    let rules =
        std::fs::read_to_string(packaging("prometheus/remediate.rules.yml")).expect("rules");
    let used: std::collections::BTreeSet<&str> = rules
        .lines()
        .filter_map(|line| line.trim().strip_prefix("expr:"))
        .flat_map(|expr| {
            expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|word| word.starts_with("remediate_"))
        })
        .collect();
    assert!(used.len() >= 4, "{used:?}");
    for metric in used {
        assert!(
            families.contains(&format!("# TYPE {metric} ")),
            "the rules use {metric}, which remediate's textfile does not have:\n{families}"
        );
    }
}

/// The Choria machines have the keys the watcher reference documents, states that
/// exist, our binaries in their plugin lines, and remediation only while critical.
#[test]
fn the_choria_machines_follow_the_watcher_reference() {
    let script = r#"
import glob, shlex, sys, yaml
problems = []
common = {"name", "type", "state_match", "fail_transition", "success_transition",
          "interval", "announce_interval", "properties"}
props = {"nagios": {"builtin", "plugin", "timeout", "annotations", "gossfile", "last_message"},
         "exec": {"command", "timeout", "suppress_success_announce", "environment"}}
files = sorted(glob.glob(sys.argv[1] + "/*.yaml"))
if len(files) < 5:
    problems.append(f"expected a machine per plugin and one for remediate, found {files}")
for path in files:
    doc = yaml.safe_load(open(path))
    where = path.rsplit("/", 1)[-1]
    extra = set(doc) - {"name", "version", "initial_state", "transitions", "watchers"}
    if extra or not {"name", "version", "initial_state", "transitions", "watchers"} <= set(doc):
        problems.append(f"{where}: top-level keys {sorted(doc)}")
        continue
    states = {doc["initial_state"]}
    for t in doc["transitions"]:
        if set(t) != {"name", "from", "destination"}:
            problems.append(f"{where}: transition {t}")
        states |= set(t["from"]) | {t["destination"]}
    names = {t["name"] for t in doc["transitions"]}
    for needed in ("OK", "WARNING", "CRITICAL", "UNKNOWN", "MAINTENANCE", "RESUME"):
        if needed not in names:
            problems.append(f"{where}: no {needed} transition")
    watcher_names = set()
    for w in doc["watchers"]:
        if not {"name", "type", "properties"} <= set(w) or set(w) - common:
            problems.append(f"{where}: watcher keys {sorted(w)}")
            continue
        watcher_names.add(w["name"])
        if set(w["properties"]) - props.get(w["type"], set()):
            problems.append(f"{where}: {w['type']} properties {sorted(w['properties'])}")
        for state in w.get("state_match", []):
            if state not in states:
                problems.append(f"{where}: {w['name']} matches unknown state {state}")
        if "maintenance" in w.get("state_match", []):
            problems.append(f"{where}: {w['name']} runs during maintenance")
        if w["type"] == "nagios":
            program = shlex.split(w["properties"]["plugin"])[0]
            if program not in ("/usr/lib/nagios/plugins/check_heartbeat",
                               "/usr/lib/nagios/plugins/check_http_health",
                               "/usr/lib/nagios/plugins/check_container",
                               "/usr/lib/nagios/plugins/check_procs",
                               "/usr/bin/remediate"):
                problems.append(f"{where}: plugin {program} is not ours")
        if w["type"] == "exec":
            argv = shlex.split(w["properties"]["command"])
            if argv[:2] != ["/usr/bin/remediate", "run"] or w.get("state_match") != ["critical"]:
                problems.append(f"{where}: exec {argv} in {w.get('state_match')}")
    if "check" not in watcher_names:
        problems.append(f"{where}: no check watcher")
print("\n".join(problems))
"#;
    let mut command = Command::new("python3");
    command.arg("-c").arg(script).arg(packaging("choria"));
    let run = run_bounded(&mut command, Duration::from_secs(60));
    assert_eq!(
        (run.code, run.stdout.trim()),
        (0, ""),
        "{}{} (python3 needs PyYAML: apt-get install python3-yaml)",
        run.stdout,
        run.stderr
    );
}

/// Each plugin line a shipped file gives, run with our binaries in place of the install
/// paths: a Nagios plugin's exit code and first line, never a usage error (a wrong flag
/// in an example is a bug).
fn assert_runs_as_plugin(line: &str, origin: &str) {
    let words: Vec<String> = line
        .split_whitespace()
        .map(|w| w.trim_matches('\'').to_owned())
        .collect();
    let program = words[0]
        .replace("/usr/lib/nagios/plugins/", "")
        .replace("/usr/bin/", "");
    let mut command = Command::new(bin(&program));
    command.args(&words[1..]);
    let run = run_bounded(&mut command, Duration::from_secs(30));
    assert!(
        (0..=3).contains(&run.code),
        "{origin}: {line}: exit {}",
        run.code
    );
    assert!(
        !run.stdout.contains("Usage:") && !run.stderr.contains("Usage:"),
        "{origin}: {line}: a usage error:\n{}{}",
        run.stdout,
        run.stderr
    );
}

/// MRPE lines: `SERVICE_NAME COMMAND LINE`, the name without spaces, the command one of
/// our plugins, which then prints Nagios plugin output (state from the exit code,
/// perfdata after `|`, which is all MRPE reads).
#[test]
fn the_mrpe_examples_are_service_names_and_working_plugin_lines() {
    let text = std::fs::read_to_string(packaging("checkmk/mrpe.cfg.example")).expect("mrpe");
    let mut count = 0;
    for line in text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let (name, command) = line.split_once(' ').expect("NAME COMMAND");
        assert!(
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic()),
            "MRPE service name {name:?}"
        );
        assert!(
            command.starts_with("/usr/lib/nagios/plugins/check_"),
            "{line}"
        );
        assert_runs_as_plugin(command, "mrpe.cfg.example");
        count += 1;
    }
    assert!(count >= 8, "only {count} MRPE lines");
}

/// Local checks: each wrapper runs one of our binaries with `--output-format checkmk`,
/// and what that prints follows Checkmk's local-check grammar:
/// `STATUS SERVICE_NAME METRICS DETAILS`, STATUS 0-3, the name quoted when it has spaces,
/// METRICS `-` or `name=value;warn;crit;min;max` joined by `|`.
#[test]
fn the_local_check_wrappers_print_checkmk_local_check_lines() {
    let dir = packaging("checkmk/local");
    let mut wrappers: Vec<_> = std::fs::read_dir(&dir)
        .expect("local")
        .map(|e| e.expect("entry").path())
        .collect();
    wrappers.sort();
    assert!(wrappers.len() >= 4, "{wrappers:?}");
    for wrapper in wrappers {
        let text = std::fs::read_to_string(&wrapper).expect("wrapper");
        let exec = text
            .lines()
            .find_map(|l| l.strip_prefix("exec "))
            .unwrap_or_else(|| panic!("{}: no exec line", wrapper.display()));
        assert!(exec.contains("--output-format checkmk"), "{exec}");
        let mut argv: Vec<String> = Vec::new();
        let mut rest = exec;
        // Words, with "quoted words" kept whole (the wrappers quote service names).
        while let Some(start) = rest.find(|c: char| !c.is_whitespace()) {
            rest = &rest[start..];
            let (word, tail) = if let Some(quoted) = rest.strip_prefix('"') {
                let end = quoted.find('"').expect("closing quote");
                (quoted[..end].to_owned(), &quoted[end + 1..])
            } else {
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                (rest[..end].to_owned(), &rest[end..])
            };
            argv.push(word);
            rest = tail;
        }
        let program = argv[0]
            .replace("/usr/lib/nagios/plugins/", "")
            .replace("/usr/bin/", "");
        let state = tempfile::tempdir().expect("tempdir");
        let mut command = Command::new(bin(&program));
        command.args(&argv[1..]);
        if program == "remediate" {
            let config = state.path().join("remediate.toml");
            std::fs::write(
                &config,
                format!(
                    "db_path = \"{}\"\n[services.api]\ncheck = {{ command = [\"/bin/true\"] }}\n",
                    state.path().join("remediate.db").display()
                ),
            )
            .expect("config");
            command.env("REMEDIATE_CONFIG", &config);
        }
        let run = run_bounded(&mut command, Duration::from_secs(30));
        let line = run.stdout.lines().next().unwrap_or_default();
        assert_local_check_line(line, &wrapper.display().to_string());
        assert_eq!(
            run.stdout.lines().count(),
            1,
            "{}: one line per service: {}",
            wrapper.display(),
            run.stdout
        );
    }
}

fn assert_local_check_line(line: &str, origin: &str) {
    let fail = |why: &str| -> ! { panic!("{origin}: {why}: {line:?}") };
    let (status, rest) = line.split_once(' ').unwrap_or_else(|| fail("no status"));
    if !["0", "1", "2", "3"].contains(&status) {
        fail("status is not 0-3");
    }
    let rest = if let Some(quoted) = rest.strip_prefix('"') {
        let end = quoted
            .find('"')
            .unwrap_or_else(|| fail("unclosed service name"));
        if quoted[..end].is_empty() {
            fail("empty service name");
        }
        quoted[end + 1..]
            .strip_prefix(' ')
            .unwrap_or_else(|| fail("no metrics"))
    } else {
        let (name, tail) = rest.split_once(' ').unwrap_or_else(|| fail("no metrics"));
        if name.is_empty() {
            fail("empty service name");
        }
        tail
    };
    let (metrics, details) = rest.split_once(' ').unwrap_or((rest, ""));
    if metrics != "-" {
        for metric in metrics.split('|') {
            let (name, values) = metric
                .split_once('=')
                .unwrap_or_else(|| fail("metric without ="));
            if name.is_empty() || name.contains(char::is_whitespace) {
                fail("metric name");
            }
            let fields: Vec<&str> = values.split(';').collect();
            if fields.len() > 5 || fields[0].parse::<f64>().is_err() {
                fail("metric value");
            }
            for field in &fields[1..] {
                if !field.is_empty() && field.parse::<f64>().is_err() {
                    fail("metric threshold or bound");
                }
            }
        }
    }
    if details.is_empty() {
        fail("no details");
    }
}

/// The cron file: variable lines and a minutely `remediate check` as root; no dot in its
/// name (run-parts skips such files in /etc/cron.d).
#[test]
fn the_cron_file_runs_remediate_check_every_minute_as_root() {
    let text = std::fs::read_to_string(packaging("cron.d/triage")).expect("cron");
    let jobs: Vec<Vec<&str>> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#') && !l.contains('='))
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(
        &jobs[0][..8],
        [
            "*",
            "*",
            "*",
            "*",
            "*",
            "root",
            "/usr/bin/remediate",
            "check"
        ]
    );
}

/// Every option of each plugin has an argument in its Icinga 2 CheckCommand (by its short
/// or long name), so an Icinga user never has to fall back to a raw command line. Left out
/// on purpose: what only makes sense elsewhere (`--output-format`, `--service-name`:
/// Checkmk) and `--help`/`--version`.
#[test]
fn every_plugin_option_has_an_icinga_argument() {
    let conf = std::fs::read_to_string(packaging("icinga2/triage.conf")).expect("conf");
    for (command, binary) in [
        ("heartbeat", "check_heartbeat"),
        ("container", "check_container"),
        ("http_health", "check_http_health"),
    ] {
        let start = conf
            .find(&format!("object CheckCommand \"{command}\" {{"))
            .unwrap_or_else(|| panic!("no CheckCommand \"{command}\""));
        let block = &conf[start..];
        let block = &block[..block.find("\n}").expect("end of the object")];
        let mut help = Command::new(bin(binary));
        help.arg("--help");
        let help = run_bounded(&mut help, Duration::from_secs(10)).stdout;
        let mut missing = Vec::new();
        for line in help.lines() {
            let words: Vec<&str> = line
                .trim_start()
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|w| !w.is_empty())
                .take(2)
                .collect();
            let (short, long) = match words.as_slice() {
                [s, l, ..] if s.len() == 2 && s.starts_with('-') && l.starts_with("--") => {
                    (Some(*s), *l)
                }
                [l, ..] if l.starts_with("--") && line.starts_with("  ") => (None, *l),
                _ => continue,
            };
            let long = long.split(['=', '<']).next().unwrap_or(long);
            if ["--help", "--version", "--output-format", "--service-name"].contains(&long) {
                continue;
            }
            let named = |name: &str| block.contains(&format!("\"{name}\" = {{"));
            if !named(long) && !short.is_some_and(named) {
                missing.push(long.to_owned());
            }
        }
        assert!(
            missing.is_empty(),
            "CheckCommand \"{command}\" has no argument for {missing:?}"
        );
    }
}
