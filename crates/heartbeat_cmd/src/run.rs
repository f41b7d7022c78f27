//! `heartbeat run`: start a command, beat with its PID while it runs, forward termination
//! signals to it, record how it ended, and exit with its exit code.

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitCode, ExitStatus};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use signal_hook::iterator::Signals;
use triage_core::describe_io;
use triage_heartbeat::{HeartbeatWriter, WriteError, default_key};

use crate::cli::RunArgs;

/// Shells' codes for a command that could not be found or not be executed.
const NOT_FOUND_EXIT: u8 = 127;
const NOT_EXECUTABLE_EXIT: u8 = 126;

/// Supervises the command; never returns before it has ended.
pub fn run(args: &RunArgs) -> ExitCode {
    let key = args.key.clone().unwrap_or_else(|| default_key(&args.file));
    let Some((program, rest)) = args.command.split_first() else {
        return ExitCode::from(NOT_FOUND_EXIT);
    };
    // Registered before the spawn so a SIGTERM in between is queued, not fatal to us.
    let signals = Signals::new([SIGTERM, SIGINT, SIGHUP, SIGQUIT]);
    let child = match Command::new(program).args(rest).spawn() {
        Ok(child) => child,
        Err(error) => {
            let shown = program.to_string_lossy();
            let reason = describe_io(&error);
            eprintln!("heartbeat: cannot start {shown}: {reason}");
            let mut writer = HeartbeatWriter::without_process(&args.file, key);
            let heartbeat = writer.template();
            heartbeat.status = Some("failed".into());
            heartbeat.message = Some(format!("cannot start {shown}: {reason}"));
            report(writer.write(), &mut false);
            return ExitCode::from(match error.kind() {
                std::io::ErrorKind::NotFound => NOT_FOUND_EXIT,
                _ => NOT_EXECUTABLE_EXIT,
            });
        }
    };
    let pid = child.id() as i32;
    let mut writer = HeartbeatWriter::for_process(&args.file, key, pid).interval_s(args.interval);
    let mut write_failed = false;
    report(writer.write(), &mut write_failed);

    // `exited` is set, under the lock, before the child is reaped: a forwarder holding the
    // lock therefore never signals a PID the kernel may already have handed to another process.
    let exited = Arc::new(Mutex::new(false));
    let forwarded = Arc::new(AtomicI32::new(0));
    match signals {
        Ok(mut signals) => {
            let (exited, forwarded) = (Arc::clone(&exited), Arc::clone(&forwarded));
            std::thread::spawn(move || {
                for signal in signals.forever() {
                    let gone = exited.lock().map(|g| *g).unwrap_or(true);
                    if !gone {
                        // SAFETY: kill has no memory-safety preconditions; the PID is our
                        // unreaped child, so it cannot have been reused.
                        unsafe { libc::kill(pid, signal) };
                        forwarded.store(signal, Ordering::SeqCst);
                    }
                }
            });
        }
        Err(error) => eprintln!(
            "heartbeat: signals will not be forwarded: {}",
            describe_io(&error)
        ),
    }

    let (status, ended) = channel();
    {
        let exited = Arc::clone(&exited);
        let mut child = child;
        std::thread::spawn(move || {
            wait_without_reaping(pid);
            let guard = exited.lock();
            if let Ok(mut gone) = guard {
                *gone = true;
                let _ = status.send(child.wait());
            }
        });
    }

    let interval = Duration::from_secs_f64(args.interval);
    let outcome = loop {
        match ended.recv_timeout(interval) {
            Ok(outcome) => break outcome,
            Err(RecvTimeoutError::Timeout) => report(writer.write(), &mut write_failed),
            Err(RecvTimeoutError::Disconnected) => {
                break Err(std::io::Error::other("lost track of the child"));
            }
        }
    };
    let (code, status, message) = describe_end(outcome, forwarded.load(Ordering::SeqCst));
    let heartbeat = writer.template();
    heartbeat.status = Some(status.into());
    heartbeat.exit_code = Some(i32::from(code));
    heartbeat.message = Some(message);
    report(writer.write(), &mut write_failed);
    ExitCode::from(code)
}

/// Blocks until the child has ended, leaving it a zombie (WNOWAIT) so its PID stays ours.
fn wait_without_reaping(pid: i32) {
    loop {
        // SAFETY: siginfo_t is plain data; waitid writes into it.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: valid pointer to `info`; P_PID with our own child's PID.
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return;
        }
    }
}

/// Exit code (the shell's convention: 128+N for a signal), heartbeat status and message.
fn describe_end(
    outcome: std::io::Result<ExitStatus>,
    forwarded: i32,
) -> (u8, &'static str, String) {
    let status = match outcome {
        Ok(status) => status,
        Err(error) => {
            return (
                1,
                "failed",
                format!("cannot tell how it ended: {}", describe_io(&error)),
            );
        }
    };
    let (code, how) = match (status.code(), status.signal()) {
        (Some(code), _) => (code as u8, format!("exited with code {code}")),
        (None, Some(signal)) => (
            (128 + signal) as u8,
            format!("killed by signal {signal} ({})", signal_name(signal)),
        ),
        (None, None) => (1, "ended without a status".to_owned()),
    };
    if forwarded != 0 {
        // We passed on a stop request (systemd, an operator): ending now is on purpose.
        return (
            code,
            "stopped",
            format!("stopped by {}; {how}", signal_name(forwarded)),
        );
    }
    match code {
        0 => (0, "stopped", how),
        _ => (code, "failed", how),
    }
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGABRT => "SIGABRT",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGTERM => "SIGTERM",
        libc::SIGBUS => "SIGBUS",
        _ => "signal",
    }
}

/// Reports a failed write once (the command keeps running; later writes may succeed).
fn report(result: Result<(), WriteError>, already: &mut bool) {
    if let Err(error) = result {
        if !*already {
            eprintln!("heartbeat: {error} (the command keeps running)");
        }
        *already = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endings_map_to_codes_statuses_and_messages() {
        let exited = |code: i32| Ok(ExitStatus::from_raw(code << 8));
        let killed = |signal: i32| Ok(ExitStatus::from_raw(signal));
        assert_eq!(
            describe_end(exited(0), 0),
            (0, "stopped", "exited with code 0".into())
        );
        assert_eq!(
            describe_end(exited(3), 0),
            (3, "failed", "exited with code 3".into())
        );
        assert_eq!(
            describe_end(killed(9), 0),
            (137, "failed", "killed by signal 9 (SIGKILL)".into())
        );
        assert_eq!(
            describe_end(killed(15), libc::SIGTERM),
            (
                143,
                "stopped",
                "stopped by SIGTERM; killed by signal 15 (SIGTERM)".into()
            )
        );
    }
}
