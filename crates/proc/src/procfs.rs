//! A process table read straight from procfs, one small file at a time, through a
//! directory descriptor so each read is one `openat` relative to `/proc` (no path walk from
//! `/`), into a buffer that is reused for every process.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use crate::stat::{ProcessStat, parse_stat};
use crate::{Pid, ProcError};

/// The most of one file we read: a command line can be up to the kernel's ARG_MAX (2 MiB or
/// more), but matching and display never need more than this.
const MAX_FILE_BYTES: usize = 128 * 1024;

/// Memory figures from `/proc/<pid>/statm`, in KiB like `ps`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Memory {
    /// Virtual size (ps VSZ).
    pub vsz_kib: u64,
    /// Resident set (ps RSS).
    pub rss_kib: u64,
}

/// The lines of `/proc/<pid>/status` Triage uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusFields {
    /// Real user id (first field of `Uid:`): who the process runs for.
    pub ruid: u32,
    /// Effective user id (second field of `Uid:`).
    pub euid: u32,
    /// Locked memory in KiB (`VmLck:`; absent for kernel threads, then 0).
    pub locked_kib: u64,
}

/// An open procfs mount.
#[derive(Debug)]
pub struct ProcFs {
    root: PathBuf,
    dir: OwnedFd,
    buffer: Vec<u8>,
    page_kib: u64,
}

impl ProcFs {
    /// Opens the procfs mounted at `root` (normally `/proc`).
    pub fn open(root: &Path) -> Result<ProcFs, ProcError> {
        let io_error = |source| ProcError::Io {
            path: root.display().to_string(),
            source,
        };
        let c_root = CString::new(root.as_os_str().as_encoded_bytes())
            .map_err(|_| io_error(io::ErrorKind::InvalidInput.into()))?;
        // SAFETY: a valid NUL-terminated path; the descriptor is owned below.
        let fd = unsafe {
            libc::open(
                c_root.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io_error(io::Error::last_os_error()));
        }
        // SAFETY: `fd` was just opened and is owned by nobody else.
        let dir = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: sysconf has no preconditions.
        let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        Ok(ProcFs {
            root: root.to_owned(),
            dir,
            buffer: Vec::with_capacity(4096),
            page_kib: u64::try_from(page_size).unwrap_or(4096) / 1024,
        })
    }

    /// Where this procfs is mounted.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Every process (thread-group leader) now, in ascending PID order like `ps`.
    pub fn pids(&self) -> Result<Vec<Pid>, ProcError> {
        let entries = std::fs::read_dir(&self.root).map_err(|source| ProcError::Io {
            path: self.root.display().to_string(),
            source,
        })?;
        let mut pids: Vec<Pid> = entries
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
            .filter(|pid: &Pid| *pid > 0)
            .collect();
        pids.sort_unstable();
        Ok(pids)
    }

    /// The parsed stat file; `None` once the process has gone.
    pub fn stat(&mut self, pid: Pid) -> Result<Option<ProcessStat>, ProcError> {
        match self.read(pid, "stat")? {
            None => Ok(None),
            Some(bytes) => parse_stat(&String::from_utf8_lossy(bytes))
                .map(Some)
                .ok_or(ProcError::Malformed(pid)),
        }
    }

    /// The kernel's command name (at most 15 bytes), without reading the whole stat file.
    pub fn comm(&mut self, pid: Pid) -> Result<Option<String>, ProcError> {
        Ok(self.read(pid, "comm")?.map(|bytes| {
            let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
            String::from_utf8_lossy(bytes).into_owned()
        }))
    }

    /// The argument vector (`/proc/<pid>/cmdline` split at NULs); empty for kernel threads
    /// and zombies.
    pub fn cmdline(&mut self, pid: Pid) -> Result<Option<Vec<String>>, ProcError> {
        Ok(self.read(pid, "cmdline")?.map(|bytes| {
            let bytes = bytes.strip_suffix(b"\0").unwrap_or(bytes);
            if bytes.is_empty() {
                return Vec::new();
            }
            bytes
                .split(|b| *b == 0)
                .map(|arg| String::from_utf8_lossy(arg).into_owned())
                .collect()
        }))
    }

    /// Virtual and resident size from statm, converted to KiB.
    pub fn memory(&mut self, pid: Pid) -> Result<Option<Memory>, ProcError> {
        let page_kib = self.page_kib;
        let Some(bytes) = self.read(pid, "statm")? else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(bytes);
        let mut pages = text.split_ascii_whitespace().map(str::parse::<u64>);
        match (pages.next(), pages.next()) {
            (Some(Ok(size)), Some(Ok(resident))) => Ok(Some(Memory {
                vsz_kib: size * page_kib,
                rss_kib: resident * page_kib,
            })),
            _ => Err(ProcError::Malformed(pid)),
        }
    }

    /// The real and effective uids and locked memory from the status file.
    pub fn status(&mut self, pid: Pid) -> Result<Option<StatusFields>, ProcError> {
        let Some(bytes) = self.read(pid, "status")? else {
            return Ok(None);
        };
        // Bytes, no UTF-8 pass, and stop at VmLck: this file is read for every root-owned
        // process, and the kernel writes Uid before VmLck.
        let number = |line: &[u8], nth: usize| -> Option<u64> {
            let field = line
                .split(|b| b.is_ascii_whitespace())
                .filter(|f| !f.is_empty())
                .nth(nth)?;
            std::str::from_utf8(field).ok()?.parse().ok()
        };
        let mut euid = None;
        let mut ruid = None;
        // Kernel threads have no VmLck line: nothing locked.
        let mut locked_kib = 0;
        for line in bytes.split(|b| *b == b'\n') {
            if let Some(rest) = line.strip_prefix(b"Uid:") {
                ruid = number(rest, 0);
                euid = number(rest, 1);
            } else if let Some(rest) = line.strip_prefix(b"VmLck:") {
                locked_kib = number(rest, 0).unwrap_or(0);
                break;
            }
        }
        let euid = euid
            .and_then(|uid| u32::try_from(uid).ok())
            .ok_or(ProcError::Malformed(pid))?;
        let ruid = ruid
            .and_then(|uid| u32::try_from(uid).ok())
            .ok_or(ProcError::Malformed(pid))?;
        Ok(Some(StatusFields {
            ruid,
            euid,
            locked_kib,
        }))
    }

    /// The owner of `/proc/<pid>`: the effective uid for an ordinary process, but root for
    /// a non-dumpable one (a daemon that dropped privileges), so 0 needs [`ProcFs::status`]
    /// to confirm.
    pub fn owner(&self, pid: Pid) -> Result<Option<u32>, ProcError> {
        let name = path_of(pid, None);
        let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: valid directory fd, NUL-terminated name, and a buffer of the right type.
        let rc = unsafe {
            libc::fstatat(
                self.dir.as_raw_fd(),
                name.as_ptr().cast(),
                st.as_mut_ptr(),
                0,
            )
        };
        if rc != 0 {
            return vanished_or(pid, "", io::Error::last_os_error());
        }
        // SAFETY: fstatat succeeded, so the buffer is initialised.
        Ok(Some(unsafe { st.assume_init() }.st_uid))
    }

    /// The uid that `ps -o uid` shows: the directory owner, confirmed through the status
    /// file when that says root.
    pub fn euid(&mut self, pid: Pid) -> Result<Option<u32>, ProcError> {
        match self.owner(pid)? {
            Some(0) => Ok(self.status(pid)?.map(|status| status.euid)),
            other => Ok(other),
        }
    }

    /// The file name of the running executable (`/proc/<pid>/exe`), `None` when the
    /// process is gone, a kernel thread, or not ours to inspect.
    pub fn exe_name(&self, pid: Pid) -> Option<String> {
        let target = std::fs::read_link(self.root.join(pid.to_string()).join("exe")).ok()?;
        let name = target.file_name()?.to_string_lossy().into_owned();
        Some(match name.strip_suffix(" (deleted)") {
            Some(stripped) => stripped.to_owned(),
            None => name,
        })
    }

    /// The control groups of the process (`/proc/<pid>/cgroup`), one per line.
    pub fn cgroup(&mut self, pid: Pid) -> Result<Option<String>, ProcError> {
        Ok(self
            .read(pid, "cgroup")?
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned()))
    }

    /// Reads `/proc/<pid>/<file>` into the shared buffer; `None` when the process has gone.
    fn read(&mut self, pid: Pid, file: &str) -> Result<Option<&[u8]>, ProcError> {
        let name = path_of(pid, Some(file));
        // SAFETY: valid directory fd and NUL-terminated relative path.
        let fd = unsafe {
            libc::openat(
                self.dir.as_raw_fd(),
                name.as_ptr().cast(),
                libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NOFOLLOW,
            )
        };
        if fd < 0 {
            return vanished_or(pid, file, io::Error::last_os_error());
        }
        // SAFETY: `fd` was just opened and is closed when `file_fd` drops.
        let file_fd = unsafe { OwnedFd::from_raw_fd(fd) };
        self.buffer.clear();
        loop {
            if self.buffer.len() == self.buffer.capacity() {
                if self.buffer.len() >= MAX_FILE_BYTES {
                    break;
                }
                self.buffer.reserve(self.buffer.capacity().max(4096));
            }
            let limit = MAX_FILE_BYTES - self.buffer.len();
            let spare = self.buffer.spare_capacity_mut();
            let room = spare.len().min(limit);
            // SAFETY: writing at most `room` bytes into the vector's spare capacity.
            let n = unsafe { libc::read(file_fd.as_raw_fd(), spare.as_mut_ptr().cast(), room) };
            match n {
                0 => break,
                n if n > 0 => {
                    // SAFETY: the kernel initialised `n` more bytes.
                    unsafe { self.buffer.set_len(self.buffer.len() + n as usize) };
                }
                _ => {
                    let error = io::Error::last_os_error();
                    if error.kind() == io::ErrorKind::Interrupted {
                        continue;
                    }
                    return vanished_or(pid, file, error);
                }
            }
        }
        Ok(Some(&self.buffer))
    }
}

/// `<pid>/<file>` as a NUL-terminated relative path.
fn path_of(pid: Pid, file: Option<&str>) -> Vec<u8> {
    let mut path = Vec::with_capacity(32);
    path.extend_from_slice(pid.to_string().as_bytes());
    if let Some(file) = file {
        path.push(b'/');
        path.extend_from_slice(file.as_bytes());
    }
    path.push(0);
    path
}

/// A process that exits mid-read makes its files vanish (ENOENT) or fail (ESRCH); both
/// mean "gone", which a scan skips. Anything else is a real error.
fn vanished_or<T>(pid: Pid, file: &str, error: io::Error) -> Result<Option<T>, ProcError> {
    match error.raw_os_error() {
        Some(libc::ENOENT | libc::ESRCH) => Ok(None),
        _ => Err(ProcError::Io {
            path: format!("/proc/{pid}/{file}"),
            source: error,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> Pid {
        std::process::id() as Pid
    }

    #[test]
    fn our_own_process_is_in_the_table_with_its_facts() {
        let mut proc = ProcFs::open(Path::new("/proc")).expect("procfs");
        assert!(proc.pids().expect("pids").contains(&me()));
        let stat = proc.stat(me()).expect("stat").expect("alive");
        assert_eq!(stat.pid, me());
        let comm = proc.comm(me()).expect("comm").expect("alive");
        assert_eq!(comm, stat.comm);
        let argv = proc.cmdline(me()).expect("cmdline").expect("alive");
        assert_eq!(argv.len(), std::env::args().count());
        let memory = proc.memory(me()).expect("statm").expect("alive");
        assert!(memory.rss_kib > 0 && memory.vsz_kib >= memory.rss_kib);
        // SAFETY: geteuid has no preconditions.
        let euid = unsafe { libc::geteuid() };
        assert_eq!(proc.euid(me()).expect("uid"), Some(euid));
        assert!(proc.cgroup(me()).expect("cgroup").is_some());
        assert!(proc.exe_name(me()).is_some());
    }

    #[test]
    fn a_process_that_is_gone_reads_as_none() {
        let mut proc = ProcFs::open(Path::new("/proc")).expect("procfs");
        let gone = Pid::MAX - 1;
        assert_eq!(proc.stat(gone).expect("no error"), None);
        assert_eq!(proc.comm(gone).expect("no error"), None);
        assert_eq!(proc.owner(gone).expect("no error"), None);
        assert_eq!(proc.exe_name(gone), None);
    }

    #[test]
    fn a_missing_mount_is_an_error_naming_it() {
        let error = ProcFs::open(Path::new("/nonexistent/proc")).expect_err("fails");
        assert!(
            error.to_string().starts_with("/nonexistent/proc: "),
            "{error}"
        );
    }
}
