//! check_container: Docker and Podman container status, health, OOM, restarts and resources.

fn main() -> std::process::ExitCode {
    triage_check_container::main_impl(std::env::args_os())
}
