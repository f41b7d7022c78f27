//! Handing an event handler's pipeline to a detached child, so the handler returns within
//! the monitoring core's timeout (Nagios kills a handler after `event_handler_timeout`,
//! 30 s in the sample config; Icinga after a minute) while the pipeline runs as long as
//! its steps need.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::config::Config;
use crate::lock::ServiceLock;

/// Starts `remediate pipeline RUN` in a session of its own, holding `lock` (the child
/// shares the open lock file, so the lock stays held when we exit). Its output goes to
/// `<log_dir>/remediate-events.log`, never to the handler's stdout, which the core reads
/// until it closes. Returns the child's PID.
pub fn spawn_pipeline(
    config: &Config,
    config_path: &Path,
    run: i64,
    lock: &ServiceLock,
) -> std::io::Result<u32> {
    let fd = lock.inheritable_fd()?;
    let log = triage_os::open_private_append(&config.log_dir.join("remediate-events.log"), 0o640)
        .map_err(std::io::Error::other)?;
    let program = std::env::current_exe()?;
    let mut child = Command::new(program);
    child
        .arg("--config")
        .arg(config_path)
        .arg("pipeline")
        .arg(run.to_string())
        .arg("--lock-fd")
        .arg(fd.to_string())
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    // SAFETY: setsid is async-signal-safe and touches only the child: out of the core's
    // process group, so killing a slow handler does not kill the pipeline.
    unsafe {
        child.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let spawned = child.spawn()?;
    Ok(spawned.id())
}
