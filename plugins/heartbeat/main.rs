//! heartbeat: write heartbeat files for check_heartbeat.

fn main() -> std::process::ExitCode {
    triage_heartbeat_cmd::main_impl(std::env::args_os())
}
