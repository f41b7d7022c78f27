//! The generator behind `cargo xtask gen`: a man page per binary (and per visible
//! subcommand) and bash, zsh and fish completions, all rendered from the same clap
//! definitions as `--help`. The results are committed in `man/` and `completions/`; the
//! `man_pages` test regenerates them and fails when the committed files differ.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

use clap::{Arg, Command, CommandFactory};
use clap_complete::{Generator, Shell};
use clap_mangen::Man;

/// The directories, relative to the output root, that the generator owns entirely.
pub const OUTPUT_DIRS: [&str; 2] = ["man", "completions"];

/// The shells that get completions.
pub const SHELLS: [Shell; 3] = [Shell::Bash, Shell::Zsh, Shell::Fish];

/// Every binary's command line, in the order the packages list them.
pub fn commands() -> Vec<Command> {
    vec![
        triage_check_heartbeat::Args::command(),
        triage_heartbeat_cmd::Cli::command(),
        triage_check_procs::Args::command(),
        triage_check_container::Args::command(),
        triage_check_http_health::Args::command(),
        triage_remediate::cli::Cli::command(),
    ]
}

/// One generated file: its path relative to the output root, and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// `man/<page>.1` or `completions/<file>`.
    pub path: PathBuf,
    /// The file's contents.
    pub contents: Vec<u8>,
}

/// Every file the generator makes, sorted by path.
pub fn render_all() -> io::Result<Vec<GeneratedFile>> {
    let mut files = Vec::new();
    for command in commands() {
        files.extend(man_pages(command.clone())?);
        files.extend(completions(command));
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Writes every generated file under `out_root` and deletes files in [`OUTPUT_DIRS`] that
/// the generator no longer makes (a removed subcommand's page). Returns the paths written,
/// relative to `out_root`.
pub fn generate(out_root: &Path) -> io::Result<Vec<PathBuf>> {
    let files = render_all()?;
    let wanted: BTreeSet<&Path> = files.iter().map(|file| file.path.as_path()).collect();
    for stale in existing_files(out_root)? {
        if !wanted.contains(stale.as_path()) {
            std::fs::remove_file(out_root.join(&stale))?;
        }
    }
    for file in &files {
        let path = out_root.join(&file.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        // Unchanged files keep their mtime, so `make`-like tools and editors stay calm.
        if std::fs::read(&path).ok().as_deref() != Some(file.contents.as_slice()) {
            std::fs::write(&path, &file.contents)?;
        }
    }
    Ok(files.into_iter().map(|file| file.path).collect())
}

/// The files now in [`OUTPUT_DIRS`] under `root`, relative to `root`, sorted; a missing
/// directory has none.
pub fn existing_files(root: &Path) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for dir in OUTPUT_DIRS {
        let entries = match std::fs::read_dir(root.join(dir)) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error),
        };
        for entry in entries {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                found.push(Path::new(dir).join(entry.file_name()));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The page of `command` and one per visible subcommand (`remediate-maint.1`), as
/// `clap_mangen::generate_to` makes them: `help` gets no page, hidden subcommands neither.
fn man_pages(command: Command) -> io::Result<Vec<GeneratedFile>> {
    let mut command = command.disable_help_subcommand(true);
    // Building first gives the subcommands their `parent-child` display names.
    command.build();
    // Subcommands have no version of their own: every page names the binary's.
    let source = format!(
        "{} {}",
        command.get_name(),
        command.get_version().unwrap_or_default()
    );
    let mut pages = Vec::new();
    add_pages(&command, &source, &mut pages)?;
    Ok(pages)
}

fn add_pages(command: &Command, source: &str, pages: &mut Vec<GeneratedFile>) -> io::Result<()> {
    let man = Man::new(command.clone()).source(source);
    let mut contents = Vec::new();
    man.render(&mut contents)?;
    pages.push(GeneratedFile {
        path: Path::new("man").join(man.get_filename()),
        contents,
    });
    for subcommand in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        add_pages(subcommand, source, pages)?;
    }
    Ok(())
}

/// `completions/<bin>.bash`, `completions/_<bin>` (zsh) and `completions/<bin>.fish`.
fn completions(command: Command) -> Vec<GeneratedFile> {
    let mut command = visible_only(command);
    let name = command.get_name().to_owned();
    SHELLS
        .iter()
        .map(|&shell| {
            let mut contents = Vec::new();
            clap_complete::generate(shell, &mut command, &name, &mut contents);
            GeneratedFile {
                path: Path::new("completions").join(shell.file_name(&name)),
                contents,
            }
        })
        .collect()
}

/// `command` without its hidden subcommands and arguments (`remediate pipeline`,
/// `check_procs --elapsed`): clap_complete offers hidden items too (clap#1335) and a
/// `Command` cannot lose one, so a command with hidden parts is put together again from its
/// visible ones, with what the completion generators read (name, about, version, aliases,
/// the help and version flags, external subcommands).
fn visible_only(mut command: Command) -> Command {
    for subcommand in command.get_subcommands_mut() {
        *subcommand = visible_only(std::mem::take(subcommand));
    }
    let has_hidden = command.get_arguments().any(Arg::is_hide_set)
        || command.get_subcommands().any(Command::is_hide_set);
    if !has_hidden {
        return command;
    }
    let mut visible = Command::new(leak(command.get_name()))
        .visible_aliases(command.get_visible_aliases().map(leak))
        .allow_external_subcommands(command.is_allow_external_subcommands_set())
        .disable_help_flag(command.is_disable_help_flag_set())
        .disable_version_flag(command.is_disable_version_flag_set())
        .disable_help_subcommand(command.is_disable_help_subcommand_set())
        .args(
            command
                .get_arguments()
                .filter(|arg| !arg.is_hide_set())
                .cloned(),
        )
        .subcommands(
            command
                .get_subcommands()
                .filter(|sub| !sub.is_hide_set())
                .cloned(),
        );
    if let Some(about) = command.get_about() {
        visible = visible.about(about.clone());
    }
    if let Some(version) = command.get_version() {
        visible = visible.version(leak(version));
    }
    visible
}

/// Without clap's `string` feature (which would rebuild clap and everything above it a
/// second time for the tests) names must be `&'static str`: the few copied here live until
/// the generator exits.
fn leak(text: &str) -> &'static str {
    Box::leak(text.to_owned().into_boxed_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths() -> Vec<String> {
        render_all()
            .expect("render")
            .into_iter()
            .map(|file| file.path.display().to_string())
            .collect()
    }

    #[test]
    fn every_binary_gets_a_page_and_three_completions() {
        let paths = paths();
        for bin in [
            "check_heartbeat",
            "heartbeat",
            "check_procs",
            "check_container",
            "check_http_health",
            "remediate",
        ] {
            for expected in [
                format!("man/{bin}.1"),
                format!("completions/{bin}.bash"),
                format!("completions/_{bin}"),
                format!("completions/{bin}.fish"),
            ] {
                assert!(paths.contains(&expected), "{expected} in {paths:?}");
            }
        }
    }

    #[test]
    fn subcommands_get_pages_but_help_and_hidden_ones_do_not() {
        let paths = paths();
        assert!(paths.contains(&"man/remediate-maint.1".to_owned()));
        assert!(paths.contains(&"man/heartbeat-run.1".to_owned()));
        assert!(!paths.iter().any(|path| path.ends_with("-help.1")));
        assert!(!paths.contains(&"man/remediate-pipeline.1".to_owned()));
    }

    fn contents(path: &str) -> String {
        let file = render_all()
            .expect("render")
            .into_iter()
            .find(|file| file.path == Path::new(path))
            .expect(path);
        String::from_utf8(file.contents).expect("utf-8")
    }

    #[test]
    fn completions_leave_out_hidden_subcommands_and_arguments_only() {
        let remediate = contents("completions/remediate.bash");
        assert!(!remediate.contains("pipeline"), "{remediate}");
        assert!(remediate.contains("--config --help --version check watch event maint run"));
        let check_procs = contents("completions/check_procs.fish");
        assert!(!check_procs.contains("elapsed"), "{check_procs}");
        assert!(
            check_procs.contains("-l traditional-filter"),
            "{check_procs}"
        );
        assert!(check_procs.contains("-s V -l version"), "{check_procs}");
    }

    #[test]
    fn generate_removes_pages_it_no_longer_makes() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("man")).expect("man");
        std::fs::write(dir.path().join("man/gone.1"), "old").expect("stale page");
        let written = generate(dir.path()).expect("generate");
        assert!(!dir.path().join("man/gone.1").exists());
        assert_eq!(existing_files(dir.path()).expect("list"), written);
    }
}
