//! Starting a service: `commands.start` with `sh -c` (the user wrote it) in a session of
//! its own, output appended to its log, not waited for: services outlive us.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use triage_proc::{Pid, ProcessIdentity};

use super::cgroup;
use super::child::{Child, Detach, Output, become_identity, clean_command};
use super::identity::Identity;

/// How long a freshly started service is watched for failing at once.
const START_SETTLE: Duration = Duration::from_millis(200);

/// A service started in the background: its PID and start time, recorded as a heartbeat
/// records them (and verified the same way before any signal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    /// The shell's PID (it execs the service when the command is a single program).
    pub pid: i64,
    /// Its start ticks, so it can be told from a reused PID later.
    pub start_ticks: Option<u64>,
    /// The cgroup it and everything it forks are in, where one could be made.
    pub cgroup: Option<PathBuf>,
}

/// Starts `command` with `sh -c` as `identity` in `cwd` (else its home), in a session of
/// its own, stdin from /dev/null, stdout and stderr appended to `log`, with `env` added
/// to a minimal environment. A start
/// command that fails at once (a typo, a missing binary) is an error, not something to
/// learn from the next check; one that forks a daemon and exits 0 is fine.
pub fn start_detached(
    command: &str,
    env: &[(String, String)],
    identity: &Identity,
    cwd: Option<&Path>,
    log: &Path,
    cgroup_name: &str,
) -> std::io::Result<Started> {
    let output = triage_os::open_private_append(log, 0o640).map_err(std::io::Error::other)?;
    let mut shell = clean_command("/bin/sh", env);
    shell.arg("-c").arg(command);
    // Into its cgroup first, as root: after the change of user it could not move itself.
    let cgroup = cgroup::prepare(cgroup_name);
    if let Some(procs) = cgroup.as_deref().and_then(cgroup::procs_file) {
        // SAFETY: join_in_child only opens, writes and closes.
        unsafe { shell.pre_exec(move || cgroup::join_in_child(&procs)) };
    }
    become_identity(&mut shell, identity, cwd);
    let mut child = Child::spawn(shell, Output::Append(output), Detach::Session)?;
    let pid: Pid = child.pid();
    let cgroup = cgroup.filter(|dir| cgroup::holds(dir, pid));
    let start_ticks = ProcessIdentity::of(pid).ok().map(|i| i.start_ticks);
    if let Some(status) = child.wait_until(Instant::now() + START_SETTLE)
        && !status.success()
    {
        child.release();
        let how = status.code().map_or_else(
            || "was killed by a signal".to_owned(),
            |code| format!("exited {code}"),
        );
        return Err(std::io::Error::other(format!(
            "the start command {how} at once (see {})",
            log.display()
        )));
    }
    child.release();
    Ok(Started {
        pid: i64::from(pid),
        start_ticks,
        cgroup,
    })
}
