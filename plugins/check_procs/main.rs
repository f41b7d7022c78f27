//! check_procs: a faster, container-aware drop-in for the classic check_procs.

fn main() -> std::process::ExitCode {
    triage_check_procs::main_impl(std::env::args_os())
}
