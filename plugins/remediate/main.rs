//! remediate: checks services and runs their recovery pipelines, safely and on the record.

fn main() -> std::process::ExitCode {
    triage_remediate::main_impl(std::env::args_os())
}
