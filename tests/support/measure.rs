//! Runs a plugin as a measured child: exit code, output, wall time and peak memory (under
//! GNU time), with the assertions every hostile-input test makes about them.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Slack on top of a deadline for starting and ending a process on a busy 2-core machine.
pub const MARGIN: Duration = Duration::from_secs(2);
/// Peak resident memory a plugin may reach on hostile input. The Docker client reads up to
/// 32 MiB of an answer before refusing it, so this is the most that can be asked for here.
pub const MEMORY_LIMIT_KIB: u64 = 64 * 1024;
/// How long any one run may take before the test gives up on it.
pub const HARD_LIMIT: Duration = Duration::from_secs(20);
/// Text that only a panic, an abort or a debug dump would print.
pub const CRASH_MARKERS: [&str; 7] = [
    "panicked",
    "RUST_BACKTRACE",
    "stack backtrace",
    "overflowed its stack",
    "internal error",
    "Error: ",
    "memory allocation",
];

/// What a run printed, how it ended, how long it took and its peak memory.
#[derive(Debug)]
pub struct Measured {
    /// The exit code, or minus the signal that ended it.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub took: Duration,
    /// The peak resident set in KiB, as GNU time reports it.
    pub peak_rss_kib: u64,
}

/// Runs `command` (no stdin) to its end under GNU time for its peak memory; kills it and
/// fails if it outlives [`HARD_LIMIT`]. Its program, arguments and environment changes are
/// passed on (not `env_clear` or a working directory).
///
/// Not `wait4` on the plugin itself: a child's `ru_maxrss` counts the memory of the process
/// it was forked from (here the whole test binary, over 200 MiB), while `time` is small.
pub fn measure(command: &mut Command) -> Measured {
    const TIME: &str = "/usr/bin/time";
    assert!(
        Path::new(TIME).exists(),
        "{TIME} is missing: install GNU time (apt-get install time)"
    );
    let report = tempfile::NamedTempFile::new().expect("a file for time's report");
    let mut timed = Command::new(TIME);
    timed
        .args(["-f", "%M", "-o"])
        .arg(report.path())
        .arg("--")
        .arg(command.get_program())
        .args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => timed.env(key, value),
            None => timed.env_remove(key),
        };
    }
    let mut child = timed
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // A group of its own, so that giving up kills the plugin too, not only `time`.
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {command:?}: {e}"));
    let started = Instant::now();
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > HARD_LIMIT {
            // SAFETY: kill(2) on the process group of our own child, by its id.
            unsafe { libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL) };
            let _ = child.wait();
            panic!("{command:?} did not finish within {HARD_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let took = started.elapsed();
    // `Command exited with non-zero status 3` or `Command terminated by signal 9`, then
    // the peak in KiB.
    let report = std::fs::read_to_string(report.path()).expect("time's report");
    let peak_rss_kib = report
        .lines()
        .last()
        .and_then(|line| line.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak memory in time's report {report:?}"));
    let signal = report
        .lines()
        .find_map(|line| line.strip_prefix("Command terminated by signal "))
        .and_then(|n| n.trim().parse::<i32>().ok());
    let text = |bytes: Vec<u8>, what: &str| {
        String::from_utf8(bytes).unwrap_or_else(|e| {
            panic!(
                "{command:?}: {what} is not UTF-8: {:?}",
                String::from_utf8_lossy(e.as_bytes())
            )
        })
    };
    let measured = Measured {
        code: signal.map_or_else(|| status.code().unwrap_or(-1), |n| -n),
        stdout: text(stdout.join().expect("stdout reader"), "stdout"),
        stderr: text(stderr.join().expect("stderr reader"), "stderr"),
        took,
        peak_rss_kib,
    };
    // The figures behind each hostile case, for `cargo test hostile -- --nocapture`.
    let program = Path::new(command.get_program())
        .file_name()
        .unwrap_or_default();
    let mut what = std::iter::once(program)
        .chain(command.get_args())
        .map(|word| word.to_string_lossy().escape_debug().to_string())
        .collect::<Vec<_>>()
        .join(" ");
    if let Some((end, _)) = what.char_indices().nth(160) {
        what.truncate(end);
        what.push('…');
    }
    eprintln!(
        "measured: exit {}, {} ms, {} KiB peak: {what}",
        measured.code,
        took.as_millis(),
        measured.peak_rss_kib
    );
    measured
}

impl Measured {
    /// The first line of stdout.
    pub fn first_line(&self) -> &str {
        self.stdout.lines().next().unwrap_or("")
    }

    /// Exit `code` and one line on stdout starting with `prefix`; no crash text anywhere,
    /// no `|` in the text (only the one before the perfdata).
    pub fn assert_line(&self, code: i32, prefix: &str) -> &Measured {
        self.assert_no_crash();
        assert_eq!(self.code, code, "exit code: {self:#?}");
        assert!(
            self.stdout.starts_with(prefix),
            "expected stdout to start with {prefix:?}: {self:#?}"
        );
        assert!(
            self.stdout.ends_with('\n') && self.stdout.matches('\n').count() == 1,
            "expected exactly one line: {self:#?}"
        );
        let text = self.stdout.split(" | ").next().unwrap_or_default();
        assert!(!text.contains('|'), "a '|' in the text: {self:#?}");
        self
    }

    /// A usage error: exit 3, `NAME: --option: ...` and the one-line usage hint.
    pub fn assert_usage_error(&self, name: &str, option: &str) -> &Measured {
        self.assert_no_crash();
        assert_eq!(self.code, 3, "exit code: {self:#?}");
        let lines: Vec<&str> = self.stdout.lines().collect();
        assert_eq!(
            lines.len(),
            2,
            "expected the error and the usage: {self:#?}"
        );
        assert!(
            lines[0].starts_with(&format!("{name}: {option}: ")),
            "{self:#?}"
        );
        assert!(!lines[0].contains('|'), "a '|' in the text: {self:#?}");
        assert!(
            lines[1].starts_with(&format!("Usage: {name} ")),
            "{self:#?}"
        );
        self
    }

    /// Ended by `deadline` (plus [`MARGIN`]).
    pub fn assert_by(&self, deadline: Duration) -> &Measured {
        assert!(
            self.took < deadline + MARGIN,
            "took {:?}, deadline {deadline:?}: {self:#?}",
            self.took
        );
        self
    }

    /// Peak memory under [`MEMORY_LIMIT_KIB`].
    pub fn assert_small(&self) -> &Measured {
        assert!(
            self.peak_rss_kib < MEMORY_LIMIT_KIB,
            "peak RSS {} KiB, limit {MEMORY_LIMIT_KIB} KiB: {self:#?}",
            self.peak_rss_kib
        );
        self
    }

    /// Not killed by a signal, and no panic, backtrace or debug dump in the output.
    pub fn assert_no_crash(&self) {
        assert!(self.code >= 0, "killed by signal {}: {self:#?}", -self.code);
        for marker in CRASH_MARKERS {
            assert!(
                !self.stdout.contains(marker) && !self.stderr.contains(marker),
                "{marker:?} in the output: {self:#?}"
            );
        }
    }
}
