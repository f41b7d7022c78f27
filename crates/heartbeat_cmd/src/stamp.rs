//! `heartbeat beat` and `heartbeat stop`: one write each.

use triage_heartbeat::{HeartbeatWriter, ReadOptions, default_key, read_heartbeat};

use crate::CommandError;
use crate::cli::{BeatArgs, StopArgs};

/// Writes one heartbeat as the options say.
pub fn beat(args: &BeatArgs) -> Result<(), CommandError> {
    let key = args.key.clone().unwrap_or_else(|| default_key(&args.file));
    let mut writer = match args.no_pid {
        true => HeartbeatWriter::without_process(&args.file, key),
        // A short-lived `heartbeat beat` vouches for whoever called it: the script.
        false => {
            let pid = match args.pid {
                Some(pid) => vouchable(pid)?,
                None => std::os::unix::process::parent_id() as i32,
            };
            HeartbeatWriter::for_process(&args.file, key, pid)
        }
    };
    let iteration = match args.increment {
        true => Some(
            read_heartbeat(&args.file, &ReadOptions::default())
                .ok()
                .and_then(|previous| previous.iteration)
                .map_or(1, |i| i.saturating_add(1)),
        ),
        false => args.iteration,
    };
    let heartbeat = writer.template();
    heartbeat.status = Some(args.status.clone());
    heartbeat.message = args.message.clone();
    heartbeat.interval_s = args.interval;
    heartbeat.iteration = iteration;
    Ok(writer.write()?)
}

/// `pid`, when the caller could signal it itself: a heartbeat vouches for a process that a
/// root `remediate` may kill, so nobody may vouch for a process that is not theirs.
fn vouchable(pid: i32) -> Result<i32, CommandError> {
    // SAFETY: kill with signal 0 only asks whether we may signal `pid`; it sends nothing.
    let allowed = unsafe { libc::kill(pid, 0) } == 0;
    // A PID that is gone is written as it is: the check then says it is dead.
    if allowed || std::io::Error::last_os_error().raw_os_error() != Some(libc::EPERM) {
        return Ok(pid);
    }
    Err(CommandError::ForeignPid(
        pid,
        "not a process you could signal yourself: refused".to_owned(),
    ))
}

/// Marks a clean stop, keeping what the last heartbeat said, or removes the file.
pub fn stop(args: &StopArgs) -> Result<(), CommandError> {
    if args.remove {
        return match std::fs::remove_file(&args.file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(CommandError::Remove(
                args.file.display().to_string(),
                triage_core::describe_io(&e),
            )),
            _ => Ok(()),
        };
    }
    let mut writer = match read_heartbeat(&args.file, &ReadOptions::default()) {
        Ok(previous) => HeartbeatWriter::resume(&args.file, previous),
        Err(_) => HeartbeatWriter::without_process(&args.file, default_key(&args.file)),
    };
    if args.message.is_some() {
        writer.template().message = args.message.clone();
    }
    Ok(writer.stop()?)
}
