//! man/ is generated from the same clap definitions as --help; this keeps them in step.
//! Regenerate with `TRIAGE_UPDATE_MAN=1 cargo test man_pages`.

use clap::CommandFactory;

fn render(command: clap::Command) -> Vec<u8> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut page)
        .expect("render man page");
    page
}

#[test]
fn man_pages_match_the_command_line_definitions() {
    let pages = [
        (
            "check_heartbeat.1",
            render(triage_check_heartbeat::Args::command()),
        ),
        ("heartbeat.1", render(triage_heartbeat_cmd::Cli::command())),
        ("check_procs.1", render(triage_check_procs::Args::command())),
        (
            "check_container.1",
            render(triage_check_container::Args::command()),
        ),
        (
            "check_http_health.1",
            render(triage_check_http_health::Args::command()),
        ),
        ("remediate.1", render(triage_remediate::cli::Cli::command())),
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let update = std::env::var_os("TRIAGE_UPDATE_MAN").is_some();
    for (name, page) in pages {
        let path = dir.join(name);
        if update {
            std::fs::create_dir_all(&dir).expect("man dir");
            std::fs::write(&path, &page).expect("write man page");
        }
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == page,
            "{} is out of date: run `TRIAGE_UPDATE_MAN=1 cargo test man_pages` and commit man/",
            path.display()
        );
    }
}
