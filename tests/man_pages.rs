//! man/ and completions/ are generated from the same clap definitions as --help by
//! `cargo xtask gen` (crates/xtask); this keeps the committed files in step, and checks that
//! the bash completions really complete.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::support::run_bounded;

const REGENERATE: &str = "run `cargo xtask gen` and commit man/ and completions/";

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn man_pages_and_completions_match_the_command_line_definitions() {
    let fresh = tempfile::tempdir().expect("tempdir");
    let generated = triage_xtask::generate(fresh.path()).expect("generate");
    let committed = triage_xtask::existing_files(repository()).expect("list committed files");
    let mut problems = Vec::new();
    for path in &generated {
        let expected = std::fs::read(fresh.path().join(path)).expect("generated file");
        match std::fs::read(repository().join(path)) {
            Ok(found) if found == expected => {}
            Ok(_) => problems.push(format!("{} is out of date", path.display())),
            Err(_) => problems.push(format!("{} is missing", path.display())),
        }
    }
    for path in committed.iter().filter(|path| !generated.contains(path)) {
        problems.push(format!("{} is no longer generated", path.display()));
    }
    assert!(problems.is_empty(), "{}: {REGENERATE}", problems.join(", "));
}

/// What bash offers for the last word of `words`, after sourcing the committed
/// completion file of `words[0]` and calling the function it registered with `complete`.
fn bash_completes(words: &[&str]) -> Vec<String> {
    const DRIVER: &str = r#"
file=$1; shift
source "$file"
spec=$(complete -p "$1") || exit 90
function=${spec#*-F }
function=${function%% *}
COMP_WORDS=("$@")
COMP_CWORD=$(( $# - 1 ))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
"$function" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
"#;
    let file = repository()
        .join("completions")
        .join(format!("{}.bash", words[0]));
    let mut bash = Command::new("bash");
    bash.args(["--norc", "--noprofile", "-c", DRIVER, "bash"])
        .arg(&file)
        .args(words);
    let run = run_bounded(&mut bash, Duration::from_secs(20));
    assert_eq!(run.code, 0, "{words:?}: {}", run.stderr);
    run.stdout
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completion_completes_subcommands_and_options() {
    assert_eq!(bash_completes(&["remediate", "ma"]), ["maint"]);
    assert_eq!(
        bash_completes(&["remediate", "maint", "api", "--l"]),
        ["--list"]
    );
    assert_eq!(bash_completes(&["heartbeat", "run", "--fi"]), ["--file"]);
    assert_eq!(
        bash_completes(&["check_procs", "--trad"]),
        ["--traditional", "--traditional-filter"]
    );
    assert_eq!(
        bash_completes(&["check_http_health", "--output-f"]),
        ["--output-format"]
    );
    assert_eq!(
        bash_completes(&["check_container", "--vers"]),
        ["--version"]
    );
    assert_eq!(
        bash_completes(&["check_heartbeat", "--stall-c"]),
        ["--stall-critical"]
    );
}

#[test]
fn bash_completion_hides_what_help_hides() {
    assert!(bash_completes(&["remediate", "pi"]).is_empty());
    assert!(bash_completes(&["check_procs", "--ela"]).is_empty());
}
