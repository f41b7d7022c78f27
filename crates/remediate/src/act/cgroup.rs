//! A cgroup v2 of its own for each service remediate starts, where the kernel lets us make
//! one (a cgroup2 mount we can write, under our own cgroup): whatever the service forks,
//! even what leaves its session and process group, stays in it, so `kill` ends it all
//! (`cgroup.kill`). Only cgroups named `triage.<service>` under our own are ever used.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use triage_proc::Pid;

/// The prefix of the cgroups remediate makes.
const PREFIX: &str = "triage.";

/// Where cgroup v2 is mounted, from /proc/self/mountinfo.
fn cgroup2_mount() -> Option<PathBuf> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    text.lines().find_map(|line| {
        let (mount, fs) = line.split_once(" - ")?;
        fs.split_whitespace()
            .next()
            .filter(|kind| *kind == "cgroup2")?;
        mount.split_whitespace().nth(4).map(PathBuf::from)
    })
}

/// The cgroup v2 a process is in (the `0::` line of /proc/<pid>/cgroup).
fn cgroup_of(pid: &str) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix("0::"))
        .map(str::to_owned)
}

/// The name of `service`'s cgroup for the remediate whose logs go to `log`: the log's
/// path tells two configurations (and two test directories) apart.
pub fn name_for(service: &str, log: &Path) -> String {
    let hash = triage_core::state_dir::fnv1a(log.as_os_str().as_bytes());
    format!("{service}.{:08x}", hash as u32)
}

/// The cgroup a started service goes into: `<our cgroup>/triage.<name>`, made if
/// missing; None where cgroup v2 is not mounted or not ours to write.
pub fn prepare(name: &str) -> Option<PathBuf> {
    let mount = cgroup2_mount()?;
    let ours = cgroup_of("self")?;
    let dir = mount
        .join(ours.trim_start_matches('/'))
        .join(format!("{PREFIX}{name}"));
    match std::fs::create_dir(&dir) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(_) => return None,
    }
    dir.join("cgroup.procs").exists().then_some(dir)
}

/// The path of `dir`'s `cgroup.procs`, ready for a `pre_exec` that moves the child in.
pub fn procs_file(dir: &Path) -> Option<CString> {
    CString::new(dir.join("cgroup.procs").as_os_str().as_bytes()).ok()
}

/// Moves the calling process into the cgroup whose `cgroup.procs` is `procs`. For
/// `pre_exec`: only open, write and close, which are async-signal-safe.
pub fn join_in_child(procs: &CString) -> std::io::Result<()> {
    // SAFETY: a NUL-terminated path we own, a two-byte buffer, and our own descriptor.
    unsafe {
        let fd = libc::open(procs.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let written = libc::write(fd, b"0".as_ptr().cast(), 1);
        libc::close(fd);
        if written != 1 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Whether `pid` is in the cgroup at `dir` (one of ours: under the cgroup2 mount, named
/// `triage.…`).
pub fn holds(dir: &Path, pid: Pid) -> bool {
    let (Some(mount), Some(name)) = (cgroup2_mount(), dir.file_name()) else {
        return false;
    };
    if !name.to_string_lossy().starts_with(PREFIX) {
        return false;
    }
    let Ok(relative) = dir.strip_prefix(&mount) else {
        return false;
    };
    cgroup_of(&pid.to_string())
        .is_some_and(|cgroup| Path::new(cgroup.trim_start_matches('/')) == relative)
}

/// SIGKILL to everything left in the cgroup at `dir`, then removes it once empty (best
/// effort: the kernel empties it as the processes die).
pub fn kill_all(dir: &Path) -> bool {
    let killed = std::fs::write(dir.join("cgroup.kill"), "1").is_ok();
    for _ in 0..50 {
        if std::fs::remove_dir(dir).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    killed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_tell_configurations_apart() {
        let a = name_for("api", Path::new("/var/lib/triage/logs/api.log"));
        assert!(a.starts_with("api."));
        assert_eq!(
            a,
            name_for("api", Path::new("/var/lib/triage/logs/api.log"))
        );
        assert_ne!(a, name_for("api", Path::new("/srv/other/logs/api.log")));
    }

    #[test]
    fn a_started_process_goes_into_its_own_cgroup_and_goes_with_it() {
        let dir = prepare(&name_for("unit-test", Path::new("/tmp/cgroup-test.log"))).expect(
            "cgroup v2 must be mounted and writable here (run the suite as root on a \
             machine with cgroup2)",
        );
        let procs = procs_file(&dir).expect("path");
        let mut command = std::process::Command::new("sleep");
        command.arg("300");
        // SAFETY: join_in_child only opens, writes and closes.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut command, move || {
                join_in_child(&procs)
            });
        }
        let mut child = command.spawn().expect("spawn");
        let pid = child.id() as Pid;
        assert!(holds(&dir, pid), "the child is not in {}", dir.display());
        assert!(!holds(&dir, std::process::id() as Pid));
        assert!(kill_all(&dir));
        let status = child.wait().expect("wait");
        assert!(!status.success(), "killed by cgroup.kill");
        assert!(!dir.exists(), "the empty cgroup is removed");
    }
}
