//! `cargo xtask gen [--out-dir DIR]`: regenerate `man/` and `completions/` (in the
//! repository root unless told otherwise) from the binaries' clap definitions.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask gen [--out-dir DIR]\n  \
gen  write man/ and completions/ from the clap definitions (default: the repository root)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out_root = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["gen"] => repository_root(),
        ["gen", "--out-dir", dir] => PathBuf::from(dir),
        ["-h" | "--help" | "help"] => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match triage_xtask::generate(&out_root) {
        Ok(written) => {
            println!(
                "{} files in {}/{{{}}}",
                written.len(),
                out_root.display(),
                triage_xtask::OUTPUT_DIRS.join(",")
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("xtask gen: {}: {error}", out_root.display());
            ExitCode::FAILURE
        }
    }
}

/// crates/xtask/../..: where man/ and completions/ are committed.
fn repository_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .and_then(|crates| crates.parent())
        .map_or(manifest.clone(), PathBuf::from)
}
