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
