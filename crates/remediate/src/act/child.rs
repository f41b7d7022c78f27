//! The one way remediate runs a child process: spawned in a process group (or session) of
//! its own, stdin from /dev/null, output kept (its head or its tail) or appended to a
//! file, waited for up to a deadline, and killed as a whole group when it overstays.
//! Command checks, pipeline commands and `start` all go through here.

use std::fs::File;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::identity::Identity;

/// The PATH children get: they start from an empty environment, never from ours.
pub const CHILD_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// How long output may keep coming after the child itself has exited (and again after
/// its group was killed: a grandchild that left the group may still hold the pipe).
const OUTPUT_GRACE: Duration = Duration::from_millis(200);

/// Which part of the output to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// The first bytes: a plugin's status line is at the top.
    Head(usize),
    /// The last bytes: a failing command's error is at the end.
    Tail(usize),
}

/// Where the child's stdout and stderr go.
#[derive(Debug)]
pub enum Output {
    /// Both into one pipe, of which this part is kept.
    Keep(Keep),
    /// Only stdout, into one pipe, of which this part is kept; stderr to /dev/null.
    KeepStdout(Keep),
    /// Both appended to this file (a service's log).
    Append(File),
}

/// How the child is set apart from us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detach {
    /// A process group of its own, so a timeout kills it and everything it started.
    /// Spawned without a `pre_exec` step, so std can use `posix_spawn` (a check costs
    /// 0.7 ms instead of 1.7 ms at 1,000 checks a pass).
    Group,
    /// [`Detach::Group`], and killed by the kernel if remediate dies first (a step must
    /// not go on unsupervised).
    GroupDyingWithUs,
    /// A session of its own (and so a group): a service that outlives us.
    Session,
}

/// A running child.
#[derive(Debug)]
pub struct Child {
    inner: std::process::Child,
    group: i32,
    kept: Option<Kept>,
}

/// The output being kept, filled by a reader thread.
#[derive(Debug)]
struct Kept {
    bytes: Arc<Mutex<Vec<u8>>>,
    keep: Keep,
    done: std::sync::mpsc::Receiver<()>,
}

/// How a child ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// Its exit status; None when it had to be killed at the deadline.
    pub status: Option<ExitStatus>,
    /// It overstayed the deadline and its group was killed.
    pub timed_out: bool,
    /// The part of its output that was kept (lossy UTF-8).
    pub output: String,
}

impl Finished {
    /// Its exit code, when it exited (not killed by a signal, not timed out).
    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|status| status.code())
    }
}

impl Child {
    /// Starts `command` with stdin from /dev/null, output as asked, in a group or session
    /// of its own.
    pub fn spawn(mut command: Command, output: Output, detach: Detach) -> std::io::Result<Child> {
        command.stdin(Stdio::null());
        let reader = match output {
            Output::Append(file) => {
                command.stdout(file.try_clone()?).stderr(file);
                None
            }
            Output::Keep(keep) => {
                let (reader, writer) = std::io::pipe()?;
                command.stdout(writer.try_clone()?).stderr(writer);
                Some((reader, keep))
            }
            Output::KeepStdout(keep) => {
                let (reader, writer) = std::io::pipe()?;
                command.stdout(writer).stderr(Stdio::null());
                Some((reader, keep))
            }
        };
        match detach {
            Detach::Group => {
                command.process_group(0);
            }
            Detach::GroupDyingWithUs => {
                command.process_group(0);
                // SAFETY: prctl and getppid are async-signal-safe. Registered after any
                // change of user (which clears the death signal): if remediate is killed
                // mid-check or mid-step, the kernel kills the child with it.
                let parent = std::process::id() as libc::pid_t;
                unsafe {
                    command.pre_exec(move || {
                        if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                            return Err(std::io::Error::last_os_error());
                        }
                        if libc::getppid() != parent {
                            return Err(std::io::Error::other("remediate is gone"));
                        }
                        Ok(())
                    });
                }
            }
            // SAFETY: setsid is async-signal-safe and touches only the child.
            Detach::Session => unsafe {
                command.pre_exec(|| {
                    libc::setsid();
                    Ok(())
                });
            },
        }
        let spawned = command.spawn();
        // Our copies of the pipe's write end must go, or the reader never sees its end.
        drop(command);
        let inner = spawned?;
        let group = inner.id() as i32;
        let kept = reader.map(|(reader, keep)| Kept::start(reader, keep));
        Ok(Child { inner, group, kept })
    }

    /// The child's PID (also its process group's id).
    pub fn pid(&self) -> i32 {
        self.group
    }

    /// Waits for the child to exit, at most until `deadline`; None while it still runs.
    /// Looks often at first (most plugins end within a millisecond), then less often.
    /// The child is left unreaped, so its PID (its group's id) cannot be reused until
    /// [`Child::finish`] or [`Child::release`] reaps it: killing the group stays safe.
    pub fn wait_until(&mut self, deadline: Instant) -> Option<ExitStatus> {
        let mut pause = Duration::from_micros(100);
        loop {
            if let Some(status) = self.peek() {
                return Some(status);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            std::thread::sleep(pause.min(left));
            pause = (pause * 2).min(Duration::from_millis(10));
        }
    }

    /// The child's exit status if it has exited, without reaping it.
    fn peek(&self) -> Option<ExitStatus> {
        use std::os::unix::process::ExitStatusExt;
        // SAFETY: waitid fills the zeroed siginfo we own; WNOWAIT leaves the child as is.
        unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
            if libc::waitid(libc::P_PID, self.group as libc::id_t, &mut info, flags) != 0
                || info.si_pid() == 0
            {
                return None;
            }
            let status = info.si_status();
            // The wait(2) status word: exit code in the second byte, else the signal.
            let raw = match info.si_code {
                libc::CLD_EXITED => (status & 0xff) << 8,
                libc::CLD_DUMPED => status | 0x80,
                _ => status,
            };
            Some(ExitStatus::from_raw(raw))
        }
    }

    /// SIGKILL to the child's whole process group.
    pub fn kill_group(&self) {
        // SAFETY: kill(2) on the group this child leads: we created it at spawn.
        unsafe { libc::kill(-self.group, libc::SIGKILL) };
    }

    /// Waits until `deadline`, kills the whole group if the child overstays, and returns
    /// how it ended. When the child has exited, what is left of its group goes too: a
    /// grandchild holding the output open would otherwise hold the caller up for as long
    /// as it lives.
    pub fn finish(mut self, deadline: Instant) -> Finished {
        let status = self.wait_until(deadline);
        if status.is_none() {
            self.kill_group();
        }
        let output = match self.kept.take() {
            None => String::new(),
            Some(kept) => {
                if !kept.wait(Instant::now() + OUTPUT_GRACE) {
                    self.kill_group();
                    kept.wait(Instant::now() + OUTPUT_GRACE);
                }
                kept.text()
            }
        };
        // Before the reap: until then the group's id cannot belong to anyone else.
        self.kill_group();
        let _ = self.inner.wait();
        Finished {
            status,
            timed_out: status.is_none(),
            output,
        }
    }

    /// Leaves the child running: a thread reaps it if it exits while we still run, so it
    /// never lingers as our zombie (services normally outlive us, adopted by init).
    pub fn release(self) {
        let mut inner = self.inner;
        std::thread::spawn(move || {
            let _ = inner.wait();
        });
    }
}

impl Kept {
    fn start(mut reader: std::io::PipeReader, keep: Keep) -> Kept {
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let (finished, done) = std::sync::mpsc::channel();
        let filling = bytes.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                let Ok(mut kept) = filling.lock() else { break };
                match keep {
                    Keep::Head(limit) => {
                        let room = limit.saturating_sub(kept.len());
                        kept.extend_from_slice(&buffer[..n.min(room)]);
                    }
                    Keep::Tail(limit) => {
                        kept.extend_from_slice(&buffer[..n]);
                        if kept.len() > 2 * limit {
                            let cut = kept.len() - limit;
                            kept.drain(..cut);
                        }
                    }
                }
            }
            let _ = finished.send(());
        });
        Kept { bytes, keep, done }
    }

    /// Waits for the end of the output until `deadline`; false if it has not come.
    fn wait(&self, deadline: Instant) -> bool {
        let left = deadline.saturating_duration_since(Instant::now());
        !matches!(
            self.done.recv_timeout(left),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout)
        )
    }

    fn text(&self) -> String {
        let Ok(kept) = self.bytes.lock() else {
            return String::new();
        };
        let part = match self.keep {
            Keep::Head(limit) => &kept[..kept.len().min(limit)],
            Keep::Tail(limit) => &kept[kept.len().saturating_sub(limit)..],
        };
        String::from_utf8_lossy(part).into_owned()
    }
}

/// Makes `command` run as `identity` (its groups, group and user set before exec; nothing
/// changes when we already are it) in `cwd`, else its home, else `/`.
pub fn become_identity(command: &mut Command, identity: &Identity, cwd: Option<&Path>) {
    command.current_dir(identity.working_dir(cwd));
    if identity.is_ours() {
        return;
    }
    let (uid, gid, groups) = (identity.uid, identity.gid, identity.groups.clone());
    // SAFETY: setgroups, setgid and setuid are async-signal-safe; `groups` was made
    // before the fork. Groups first and the user last: after setuid nothing else may
    // change. A failure stops the exec.
    unsafe {
        command.pre_exec(move || {
            if libc::setgroups(groups.len(), groups.as_ptr()) != 0
                || libc::setgid(gid) != 0
                || libc::setuid(uid) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Lets `command` (and whatever it starts) share descriptor `fd`: a service lock then
/// stays held while any of them lives, even if remediate itself is killed, so no other
/// remediate starts the same step beside the one still running.
pub fn share_descriptor(command: &mut Command, fd: std::os::fd::RawFd) {
    // SAFETY: fcntl is async-signal-safe; it changes the child's descriptor table only.
    unsafe {
        command.pre_exec(move || {
            let flags = libc::fcntl(fd, libc::F_GETFD);
            if flags < 0 || libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// A command with an empty environment but for PATH and `env`.
pub fn clean_command(program: &str, env: &[(String, String)]) -> Command {
    let mut command = Command::new(program);
    command.env_clear().env("PATH", CHILD_PATH);
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut command = clean_command("/bin/sh", &[]);
        command.arg("-c").arg(script);
        command
    }

    fn run(script: &str, keep: Keep, limit: Duration) -> Finished {
        Child::spawn(sh(script), Output::Keep(keep), Detach::Group)
            .expect("spawn")
            .finish(Instant::now() + limit)
    }

    #[test]
    fn exit_codes_and_output_are_kept_head_or_tail() {
        let done = run(
            "echo first; echo second >&2; exit 3",
            Keep::Head(64),
            Duration::from_secs(10),
        );
        assert_eq!((done.code(), done.timed_out), (Some(3), false));
        assert_eq!(done.output, "first\nsecond\n");
        let head = run("printf abcdef", Keep::Head(3), Duration::from_secs(10));
        assert_eq!(head.output, "abc");
        let tail = run(
            "i=0; while [ $i -lt 3000 ]; do printf x; i=$((i+1)); done; printf END",
            Keep::Tail(5),
            Duration::from_secs(10),
        );
        assert_eq!(tail.output, "xxEND");
    }

    #[test]
    fn a_child_past_its_deadline_is_killed_with_its_grandchildren() {
        let marker = tempfile::tempdir().expect("tempdir");
        let pid_file = marker.path().join("grandchild");
        let script = format!("sleep 30 & echo $! > {}; wait", pid_file.display());
        let began = Instant::now();
        let done = run(&script, Keep::Head(64), Duration::from_millis(300));
        assert!(done.timed_out);
        assert_eq!(done.status, None);
        assert!(began.elapsed() < Duration::from_secs(5));
        let grandchild: i32 = std::fs::read_to_string(&pid_file)
            .expect("pid")
            .trim()
            .parse()
            .expect("number");
        // Killed with its group: gone, or a zombie until init reaps it.
        std::thread::sleep(Duration::from_millis(100));
        let stat = std::fs::read_to_string(format!("/proc/{grandchild}/stat"));
        assert!(
            stat.as_deref().map_or(true, |s| s.contains(") Z ")),
            "{stat:?}"
        );
    }

    #[test]
    fn a_grandchild_holding_the_output_open_does_not_hold_up_the_caller() {
        let began = Instant::now();
        let done = run(
            "echo status line; sleep 30 &",
            Keep::Head(64),
            Duration::from_millis(500),
        );
        assert_eq!((done.code(), done.timed_out), (Some(0), false));
        assert_eq!(done.output, "status line\n");
        assert!(began.elapsed() < Duration::from_secs(5));
    }
}
