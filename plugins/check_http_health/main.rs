//! check_http_health: health endpoints, health documents and TLS done right.

fn main() -> std::process::ExitCode {
    triage_check_http_health::main_impl(std::env::args_os())
}
