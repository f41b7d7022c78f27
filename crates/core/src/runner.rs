//! The one place a plugin run begins and ends: argument errors, the deadline, panics and
//! errors all become a single line on stdout and an exit code from 0 to 3.

use std::ffi::OsString;
use std::fmt::Display;
use std::process::ExitCode;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use clap::error::{ContextKind, ErrorKind};

use crate::cli::CommonArgs;
use crate::format::{DEFAULT_OUTPUT_LIMIT, Report};
use crate::number::format_number;
use crate::output::CheckResult;
use crate::state::State;

// The clock lives in the leaf crate so libraries can read it without the runner.
pub use triage_os::now_unix;

/// A plugin's names: the binary (`check_heartbeat`) and its service prefix (`HEARTBEAT`).
#[derive(Debug, Clone, Copy)]
pub struct Plugin {
    /// The binary's name, used in usage errors and JSON.
    pub name: &'static str,
    /// Upper-case service name at the start of every status line.
    pub service: &'static str,
}

/// A plugin's parsed arguments, which always include the common options.
pub trait PluginArgs: clap::Parser {
    /// The shared options flattened into this plugin's CLI.
    fn common(&self) -> &CommonArgs;

    /// A service name chosen by the arguments (check_procs prints its `-m` metric there);
    /// `--service-name` still wins, and `None` keeps the plugin's own.
    fn service(&self) -> Option<String> {
        None
    }
}

/// What a check may need to know about its run.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// When the watchdog will end the run; checks use it to bound waits and retries.
    pub deadline: Option<Instant>,
    /// The `-v` count, 0 to 3.
    pub verbose: u8,
}

/// How long I/O may wait when the run has no deadline (`--timeout 0`): none was wanted,
/// but no run may hang for ever.
const UNBOUNDED_IO: std::time::Duration = std::time::Duration::from_secs(300);

impl Context {
    /// The deadline for a check's own reads and connections: just past the run's, so the
    /// watchdog's "timed out" line (with the state the user chose for timeouts) wins over
    /// a read's own timeout error.
    pub fn io_deadline(&self) -> Instant {
        self.deadline.map_or_else(
            || Instant::now() + UNBOUNDED_IO,
            |deadline| deadline + std::time::Duration::from_millis(250),
        )
    }
}

/// Set when a final line has been written, so the watchdog and the main path never both
/// print: the first to claim it prints, the other stays silent.
static EMITTED: AtomicBool = AtomicBool::new(false);
/// The service prefix in force, read by the panic hook and the watchdog.
static SERVICE: OnceLock<String> = OnceLock::new();

/// Runs a plugin: parses `args`, arms the deadline, calls `check`, renders its result (or
/// its error as UNKNOWN) and returns the exit code. Never exits outside 0-3.
pub fn run<A, E, F>(plugin: Plugin, args: impl IntoIterator<Item = OsString>, check: F) -> ExitCode
where
    A: PluginArgs,
    E: Display,
    F: FnOnce(&A, &Context) -> Result<CheckResult, E>,
{
    install_panic_hook(plugin.service);
    let parsed = match A::try_parse_from(args) {
        Ok(parsed) => parsed,
        Err(error) => {
            let text = match error.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => error.to_string(),
                _ => usage_error(
                    plugin.name,
                    &error,
                    &A::command().render_usage().to_string(),
                ),
            };
            emit(&text);
            return State::Unknown.into();
        }
    };
    let common = parsed.common();
    let service = common
        .service_name
        .clone()
        .or_else(|| parsed.service())
        .unwrap_or_else(|| plugin.service.to_owned());
    // The watchdog and the panic hook print it as it is: made one line here, as the
    // renderers do for theirs.
    let _ = SERVICE.set(crate::format::one_line(&service));

    let started = Instant::now();
    let deadline = common.timeout.duration().map(|limit| {
        arm_watchdog(limit.as_secs_f64(), common.timeout_state(), plugin.service);
        started + limit
    });
    let context = Context {
        deadline,
        verbose: common.verbose.min(3),
    };
    let result = check(&parsed, &context);
    finish(plugin.name, &service, common.output_format, result)
}

/// Runs a check that belongs to a bigger command line (remediate's `status
/// --output-format`) as a plugin: the same panic hook, rendering and exit codes as
/// [`run`], its error as `SERVICE UNKNOWN: why`. No deadline: the caller bounds its I/O.
pub fn report<E, F>(plugin: Plugin, format: crate::OutputFormat, check: F) -> ExitCode
where
    E: Display,
    F: FnOnce() -> Result<CheckResult, E>,
{
    install_panic_hook(plugin.service);
    let _ = SERVICE.set(plugin.service.to_owned());
    finish(plugin.name, plugin.service, format, check())
}

/// Renders a check's result (or its error as UNKNOWN) once and returns its exit code.
fn finish<E: Display>(
    name: &str,
    service: &str,
    format: crate::OutputFormat,
    result: Result<CheckResult, E>,
) -> ExitCode {
    let result = result.unwrap_or_else(|error| CheckResult::new(State::Unknown, error.to_string()));
    let report = Report {
        plugin: name,
        service,
        result: &result,
    };
    emit(&report.render(format, DEFAULT_OUTPUT_LIMIT));
    result.state.into()
}

/// The longest problem a usage error states, in characters (the renderers cut a first
/// line at 1024 bytes).
const MAX_USAGE_PROBLEM: usize = 1000;

/// `NAME: what is wrong` and a one-line usage hint, from a clap error.
pub fn usage_error(name: &str, error: &clap::Error, usage: &str) -> String {
    let what = match (error.kind(), std::error::Error::source(error)) {
        (ErrorKind::ValueValidation, Some(reason)) => {
            let arg = error
                .get(ContextKind::InvalidArg)
                .map(|arg| arg.to_string())
                .unwrap_or_default();
            let option = arg.split_whitespace().next().unwrap_or("value");
            format!("{option}: {reason}")
        }
        _ => first_paragraph(&error.render().to_string()),
    };
    // The bad text is quoted as given: a newline would split the line, a `|` would start
    // perfdata, and a 128 KiB argument would break the output bound.
    let what = crate::format::shortened(&crate::format::one_line(&what), MAX_USAGE_PROBLEM);
    let usage = usage.lines().next().unwrap_or("").trim();
    format!("{name}: {what}\n{usage} (see {name} --help)\n")
}

/// clap's message without its `error:` prefix, tips and line breaks.
fn first_paragraph(rendered: &str) -> String {
    let paragraph = rendered.split("\n\n").next().unwrap_or(rendered);
    let text = paragraph.trim().trim_start_matches("error:").trim();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Prints the run's final text once; a second caller waits for the process to end.
fn emit(text: &str) {
    if EMITTED.swap(true, Ordering::SeqCst) {
        loop {
            std::thread::park();
        }
    }
    write_stdout(text.as_bytes());
}

/// Writes to fd 1 directly: no lock shared with a thread that may be stuck mid-print, no
/// buffer that `exit` could lose. A closed pipe is not our problem to report.
fn write_stdout(mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: the pointer and length come from a live slice.
        let written = unsafe { libc::write(1, bytes.as_ptr().cast(), bytes.len()) };
        match written {
            n if n > 0 => bytes = &bytes[n as usize..],
            _ if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted => {}
            _ => return,
        }
    }
}

fn current_service(default: &'static str) -> &'static str {
    SERVICE.get().map(String::as_str).unwrap_or(default)
}

/// A watchdog thread rather than `alarm(2)`: it fires even while the main thread is blocked
/// in a syscall that restarts after signals (a hung NFS stat, a socket read).
fn arm_watchdog(seconds: f64, state: State, default_service: &'static str) {
    let spawned = std::thread::Builder::new()
        .name("deadline".into())
        .stack_size(64 * 1024)
        .spawn(move || {
            std::thread::sleep(std::time::Duration::from_secs_f64(seconds));
            let service = current_service(default_service);
            let seconds = format_number(seconds).unwrap_or_default();
            emit(&format!(
                "{service} {}: timed out after {seconds} seconds\n",
                state.label()
            ));
            std::process::exit(state.code());
        });
    if spawned.is_err() {
        // Without a thread we cannot promise the deadline; say so rather than risk a hang.
        emit(&format!(
            "{} UNKNOWN: cannot start the deadline watchdog thread\n",
            current_service(default_service)
        ));
        std::process::exit(State::Unknown.code());
    }
}

/// Any panic, in any thread, ends the run as UNKNOWN with one line (release builds abort
/// on panic, but this hook runs first).
fn install_panic_hook(default_service: &'static str) {
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_owned());
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let text = format!(
            "{} UNKNOWN: internal error: {}{location}\n",
            current_service(default_service),
            crate::format::one_line(&message)
        );
        emit(&text);
        std::process::exit(State::Unknown.code());
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[derive(Debug, Parser)]
    #[command(name = "check_test")]
    struct TestArgs {
        #[arg(short = 'w', long = "warning", value_name = "RANGE", value_parser = crate::range::Range::parse)]
        warning: Option<crate::range::Range>,
        #[arg(short = 'f', long = "file", required = true)]
        file: String,
    }

    fn message(args: &[&str]) -> String {
        let error = TestArgs::try_parse_from(args).expect_err("must fail");
        usage_error(
            "check_test",
            &error,
            &TestArgs::command().render_usage().to_string(),
        )
    }

    #[test]
    fn range_errors_name_the_option_and_quote_the_text() {
        assert_eq!(
            message(&["check_test", "-f", "x", "-w", "abc"]),
            "check_test: --warning: 'abc' is not a valid range: not a number (expected [@][start:]end such as 10, 10:, ~:10, 10:20 or @10:20)\n\
             Usage: check_test [OPTIONS] --file <FILE> (see check_test --help)\n"
        );
    }

    #[test]
    fn unknown_and_missing_options_are_one_line_each() {
        assert_eq!(
            message(&["check_test", "-f", "x", "--bogus"]),
            "check_test: unexpected argument '--bogus' found\n\
             Usage: check_test [OPTIONS] --file <FILE> (see check_test --help)\n"
        );
        assert_eq!(
            message(&["check_test"]),
            "check_test: the following required arguments were not provided: --file <FILE>\n\
             Usage: check_test [OPTIONS] --file <FILE> (see check_test --help)\n"
        );
    }
}
