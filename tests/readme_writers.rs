//! The README's five-line heartbeat writers (Python and shell) produce files that
//! check_heartbeat accepts: the documented format and the code people copy stay true.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::check;

/// The fenced block that follows `<!-- readme-writer: NAME -->` in README.md.
fn writer(name: &str) -> String {
    let readme = include_str!("../README.md");
    let marker = format!("<!-- readme-writer: {name} -->");
    let after = &readme[readme
        .find(&marker)
        .unwrap_or_else(|| panic!("README lacks {marker}"))..];
    let body = &after[after.find('\n').expect("newline") + 1..];
    let body = &body[body.find('\n').expect("fence line") + 1..];
    body[..body.find("```").expect("closing fence")].to_owned()
}

struct Writer(Child);

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a writer that beats once and then stays alive (so its PID is live), and waits
/// for the file.
fn start(mut command: Command, file: &std::path::Path) -> Writer {
    let writer = Writer(command.stdin(Stdio::null()).spawn().expect("spawn writer"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !file.exists() {
        assert!(Instant::now() < deadline, "the writer wrote nothing");
        std::thread::sleep(Duration::from_millis(10));
    }
    writer
}

#[test]
fn the_python_writer_makes_a_valid_heartbeat() {
    let python = ["/usr/bin/python3", "/usr/local/bin/python3"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("python3 is missing: install it (apt-get install python3)");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("py.json");
    let script = format!(
        "{}\nimport sys, time\nbeat(sys.argv[1], 'py_worker', 7)\ntime.sleep(60)\n",
        writer("python")
    );
    let mut command = Command::new(python);
    command.args(["-c", &script, file.to_str().expect("utf8")]);
    let _writer = start(command, &file);
    let out = check(&["-f", file.to_str().expect("utf8")]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.first_line()
            .starts_with("HEARTBEAT OK: py_worker alive, beat "),
        "{out:?}"
    );
    assert!(
        out.first_line().contains(", iteration 7) | age="),
        "{out:?}"
    );
    assert!(
        out.first_line().ends_with(";120;300;0; iteration=7c"),
        "{out:?}"
    );
}

#[test]
fn the_shell_writer_makes_a_valid_heartbeat() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("sh.json");
    let script = format!("{}\nbeat \"$1\" sh_job\nsleep 60\n", writer("sh"));
    let mut command = Command::new("sh");
    command.args(["-c", &script, "sh", file.to_str().expect("utf8")]);
    let writer = start(command, &file);
    let out = check(&["-f", file.to_str().expect("utf8")]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.first_line().starts_with(&format!(
            "HEARTBEAT OK: sh_job alive, beat 0s ago (pid {})",
            writer.0.id()
        )) || out.first_line().starts_with(&format!(
            "HEARTBEAT OK: sh_job alive, beat 1s ago (pid {})",
            writer.0.id()
        )),
        "{out:?}"
    );
}
