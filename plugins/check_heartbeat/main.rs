//! check_heartbeat: is a process alive and making progress?

fn main() -> std::process::ExitCode {
    triage_check_heartbeat::main_impl(std::env::args_os())
}
