//! The .deb (packaging/deb/build-deb) and the RPM (packaging/rpm/triage.spec), built from
//! the binaries this suite runs: their exact file lists, modes and metadata, and the .deb's
//! diversion of the C check_procs, installed and removed in a scratch dpkg root.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::support::{Run, bin, run_bounded};

const PLUGINS: [&str; 4] = [
    "check_heartbeat",
    "check_procs",
    "check_container",
    "check_http_health",
];
const COMMANDS: [&str; 2] = ["heartbeat", "remediate"];
const UNITS: [&str; 3] = [
    "remediate.service",
    "remediate-check.service",
    "remediate-check.timer",
];
/// packaging/ directories that are not shipped as examples.
const NOT_EXAMPLES: [&str; 3] = ["deb", "rpm", "systemd"];
const DIVERSION: &str = "diversion of /usr/lib/nagios/plugins/check_procs to \
/usr/lib/nagios/plugins/check_procs.monitoring-plugins by triage";

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn require(tool: &str, package: &str) -> PathBuf {
    let path = Path::new("/usr/bin").join(tool);
    assert!(
        path.exists(),
        "{tool} is missing: apt-get install {package}"
    );
    path
}

/// Runs `command` (at most 5 minutes: the debug binaries are large) and requires success.
fn succeed(command: &mut Command) -> Run {
    let run = run_bounded(command, Duration::from_secs(300));
    assert_eq!(
        run.code, 0,
        "{command:?}\nstdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    run
}

/// `packaging/deb/build-deb` on the suite's (debug) binaries, uncompressed for speed.
fn build_deb(out_dir: &Path) -> PathBuf {
    require("dpkg-shlibdeps", "dpkg-dev");
    let bin_dir = bin("check_heartbeat")
        .parent()
        .expect("target dir")
        .to_owned();
    let run = succeed(
        Command::new(repository().join("packaging/deb/build-deb"))
            .arg("--bin-dir")
            .arg(bin_dir)
            .arg("--out-dir")
            .arg(out_dir)
            .args(["--compression", "none"]),
    );
    let deb = PathBuf::from(run.stdout.trim());
    let arch = succeed(Command::new("dpkg").arg("--print-architecture"));
    assert_eq!(
        deb,
        out_dir.join(format!(
            "triage_{}_{}.deb",
            env!("CARGO_PKG_VERSION"),
            arch.stdout.trim()
        ))
    );
    deb
}

/// Every file below `dir`, relative to it, sorted.
fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path.strip_prefix(dir).expect("below").to_owned());
            }
        }
    }
    found.sort();
    found
}

/// Path → mode of every regular file the .deb must hold, from the binaries, the man pages
/// the generator makes and the files in packaging/.
fn expected_deb_files() -> BTreeMap<String, u32> {
    let mut files = BTreeMap::new();
    for plugin in PLUGINS {
        files.insert(format!("/usr/lib/nagios/plugins/{plugin}"), 0o755);
    }
    for command in COMMANDS {
        files.insert(format!("/usr/bin/{command}"), 0o755);
    }
    for bin in PLUGINS.iter().chain(&COMMANDS) {
        files.insert(
            format!("/usr/share/bash-completion/completions/{bin}"),
            0o644,
        );
        files.insert(format!("/usr/share/zsh/vendor-completions/_{bin}"), 0o644);
        files.insert(
            format!("/usr/share/fish/vendor_completions.d/{bin}.fish"),
            0o644,
        );
    }
    for file in triage_xtask::render_all().expect("render man pages") {
        if let Ok(page) = file.path.strip_prefix("man") {
            files.insert(format!("/usr/share/man/man1/{}.gz", page.display()), 0o644);
        }
    }
    for unit in UNITS {
        files.insert(format!("/usr/lib/systemd/system/{unit}"), 0o644);
    }
    for doc in [
        "copyright",
        "changelog.gz",
        "README.md.gz",
        "examples/README.md",
    ] {
        files.insert(format!("/usr/share/doc/triage/{doc}"), 0o644);
    }
    let packaging = repository().join("packaging");
    for entry in std::fs::read_dir(&packaging).expect("packaging/") {
        let dir = entry.expect("entry").path();
        let name = dir
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        if !dir.is_dir() || NOT_EXAMPLES.contains(&name.as_str()) {
            continue;
        }
        for file in files_below(&dir) {
            let mode = std::fs::metadata(dir.join(&file))
                .expect("example")
                .permissions()
                .mode();
            files.insert(
                format!("/usr/share/doc/triage/examples/{name}/{}", file.display()),
                if mode & 0o111 != 0 { 0o755 } else { 0o644 },
            );
        }
    }
    files
}

/// `rwxr-xr-x` → 0o755.
fn mode_of(permissions: &str) -> u32 {
    permissions
        .chars()
        .fold(0, |mode, flag| (mode << 1) | u32::from(flag != '-'))
}

/// A package's entries as `(type, mode, path)` from `ls -l`-style lines: the type is `-`
/// for a file, `d` for a directory.
fn entries(listing: &str, path_column: usize) -> Vec<(char, u32, String)> {
    listing
        .lines()
        .map(|line| {
            let columns: Vec<&str> = line.split_whitespace().collect();
            let permissions = columns[0];
            let path = columns[path_column].trim_start_matches('.');
            let path = path.trim_end_matches('/');
            (
                permissions.chars().next().unwrap_or('?'),
                mode_of(&permissions[1..]),
                if path.is_empty() { "/" } else { path }.to_owned(),
            )
        })
        .collect()
}

/// Fails with only the differences: files missing, unexpected, or with another mode.
fn assert_same_files(
    package: &str,
    found: &BTreeMap<String, u32>,
    expected: &BTreeMap<String, u32>,
) {
    let missing: Vec<&String> = expected
        .keys()
        .filter(|path| !found.contains_key(*path))
        .collect();
    let unexpected: Vec<&String> = found
        .keys()
        .filter(|path| !expected.contains_key(*path))
        .collect();
    let modes: Vec<String> = found
        .iter()
        .filter_map(|(path, mode)| {
            let want = expected.get(path)?;
            (want != mode).then(|| format!("{path} is {mode:o}, not {want:o}"))
        })
        .collect();
    assert!(
        missing.is_empty() && unexpected.is_empty() && modes.is_empty(),
        "{package}: missing {missing:?}; unexpected {unexpected:?}; modes {modes:?}"
    );
}

#[test]
fn the_deb_holds_exactly_the_binaries_pages_completions_units_and_examples() {
    let dir = tempfile::tempdir().expect("tempdir");
    let deb = build_deb(dir.path());

    let listing = succeed(Command::new("dpkg-deb").arg("--contents").arg(&deb)).stdout;
    for line in listing.lines() {
        assert!(line.contains(" root/root "), "not owned by root: {line}");
    }
    let entries = entries(&listing, 5);
    let files: BTreeMap<String, u32> = entries
        .iter()
        .filter(|(kind, _, _)| *kind == '-')
        .map(|(_, mode, path)| (path.clone(), *mode))
        .collect();
    assert_same_files("the .deb", &files, &expected_deb_files());
    for (kind, mode, path) in &entries {
        assert!(
            *kind == '-' || (*kind == 'd' && *mode == 0o755),
            "{kind} {mode:o} {path}"
        );
    }

    let arch = succeed(Command::new("dpkg").arg("--print-architecture"));
    let field = |name: &str| {
        succeed(Command::new("dpkg-deb").arg("--field").arg(&deb).arg(name))
            .stdout
            .trim()
            .to_owned()
    };
    assert_eq!(field("Package"), "triage");
    assert_eq!(field("Version"), env!("CARGO_PKG_VERSION"));
    assert_eq!(field("Architecture"), arch.stdout.trim());
    assert_eq!(field("Section"), "admin");
    assert_eq!(field("Priority"), "optional");
    assert!(field("Maintainer").contains('@'));
    let depends = field("Depends");
    assert!(depends.starts_with("libc6 (>= 2."), "{depends}");
    assert!(field("Description").starts_with("Nagios-compatible monitoring plugins"));

    // The maintainer scripts and md5sums are there, and nothing in /etc: no conffiles.
    let info = succeed(Command::new("dpkg-deb").arg("--info").arg(&deb)).stdout;
    for member in [
        "control", "md5sums", "preinst", "postinst", "prerm", "postrm",
    ] {
        assert!(
            // "     552 bytes,    14 lines   *  preinst   #!/bin/sh" (* for executables)
            info.lines().any(|line| line
                .split_whitespace()
                .skip_while(|word| *word != "lines")
                .find(|word| *word != "lines" && *word != "*")
                == Some(member)),
            "{member} in {info}"
        );
    }
    assert!(!info.contains("conffiles"), "{info}");
}

/// A scratch dpkg database and root: maintainer scripts run without chroot, with
/// DPKG_ROOT set (so they leave the real systemd alone), logging nowhere.
fn dpkg_in(root: &Path, args: &[&str]) -> Run {
    succeed(
        Command::new("dpkg")
            .arg(format!("--root={}", root.display()))
            .args([
                "--log=/dev/null",
                "--force-not-root",
                "--force-script-chrootless",
                "--force-depends",
            ])
            .args(args),
    )
}

#[test]
fn the_deb_diverts_the_c_check_procs_while_installed_and_gives_it_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let deb = build_deb(&dir.path().join("out"));
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("var/lib/dpkg/info")).expect("admindir");
    std::fs::create_dir_all(root.join("var/lib/dpkg/updates")).expect("updates");
    std::fs::write(root.join("var/lib/dpkg/status"), "").expect("status");

    // A stand-in for monitoring-plugins-basic with its check_procs.
    let c_plugin = "#!/bin/sh\necho 'PROCS OK: the C plugin'\n";
    let stand_in = dir.path().join("monitoring-plugins-basic");
    std::fs::create_dir_all(stand_in.join("DEBIAN")).expect("DEBIAN");
    std::fs::create_dir_all(stand_in.join("usr/lib/nagios/plugins")).expect("plugins");
    std::fs::write(
        stand_in.join("DEBIAN/control"),
        "Package: monitoring-plugins-basic\nVersion: 2.3.3-5\nArchitecture: all\n\
Maintainer: Test <test@example.invalid>\nDescription: stand-in\n",
    )
    .expect("control");
    let c_path = stand_in.join("usr/lib/nagios/plugins/check_procs");
    std::fs::write(&c_path, c_plugin).expect("check_procs");
    std::fs::set_permissions(&c_path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let stand_in_deb = dir.path().join("stand-in.deb");
    succeed(
        Command::new("dpkg-deb")
            .args(["--root-owner-group", "--build"])
            .arg(&stand_in)
            .arg(&stand_in_deb),
    );
    let plugins = root.join("usr/lib/nagios/plugins");
    let diversions = || {
        succeed(
            Command::new("dpkg-divert")
                .arg(format!("--root={}", root.display()))
                .arg("--list"),
        )
        .stdout
    };

    dpkg_in(&root, &["--install", &stand_in_deb.display().to_string()]);
    dpkg_in(&root, &["--install", &deb.display().to_string()]);
    assert_eq!(diversions().trim(), DIVERSION);
    assert_eq!(
        std::fs::read(plugins.join("check_procs")).expect("ours"),
        std::fs::read(bin("check_procs")).expect("built check_procs")
    );
    assert_eq!(
        std::fs::read_to_string(plugins.join("check_procs.monitoring-plugins")).expect("C"),
        c_plugin
    );
    // Every installed file matches DEBIAN/md5sums.
    let verify = dpkg_in(&root, &["--verify", "triage"]);
    assert_eq!(verify.stdout, "", "{}", verify.stderr);

    dpkg_in(&root, &["--remove", "triage"]);
    assert_eq!(diversions(), "");
    assert_eq!(
        std::fs::read_to_string(plugins.join("check_procs")).expect("C is back"),
        c_plugin
    );
    assert!(!plugins.join("check_procs.monitoring-plugins").exists());
    assert!(!plugins.join("check_heartbeat").exists());
    assert!(!root.join("usr/bin/remediate").exists());
}

/// The .deb's path as the RPM has it: plugins in the libdir, zsh completions in
/// site-functions, the README uncompressed; none for the Debian changelog (the RPM's is in
/// its header).
fn rpm_path(deb_path: &str, libdir: &str) -> Option<String> {
    Some(match deb_path {
        "/usr/share/doc/triage/changelog.gz" => return None,
        "/usr/share/doc/triage/README.md.gz" => "/usr/share/doc/triage/README.md".to_owned(),
        _ => {
            if let Some(rest) = deb_path.strip_prefix("/usr/lib/nagios/") {
                format!("{libdir}/nagios/{rest}")
            } else if let Some(rest) = deb_path.strip_prefix("/usr/share/zsh/vendor-completions/") {
                format!("/usr/share/zsh/site-functions/{rest}")
            } else {
                deb_path.to_owned()
            }
        }
    })
}

#[test]
fn the_rpm_holds_the_same_files_as_the_deb_in_rpm_paths() {
    let rpmbuild = require("rpmbuild", "rpm");
    let spec = repository().join("packaging/rpm/triage.spec");
    let version = succeed(
        Command::new(require("rpmspec", "rpm"))
            .args(["--query", "--queryformat", "%{VERSION}\n"])
            .arg(&spec),
    );
    assert_eq!(
        version.stdout.trim(),
        env!("CARGO_PKG_VERSION"),
        "triage.spec's Version"
    );

    let topdir = tempfile::tempdir().expect("tempdir");
    let bin_dir = bin("check_heartbeat")
        .parent()
        .expect("target dir")
        .to_owned();
    // --nodeps: BuildRequires (systemd-rpm-macros) are for RPM hosts; an uncompressed
    // payload for speed.
    succeed(
        Command::new(rpmbuild)
            .args(["-bb", "--nodeps"])
            .arg("--define")
            .arg(format!("_topdir {}", topdir.path().display()))
            .arg("--define")
            .arg(format!("triage_root {}", repository().display()))
            .arg("--define")
            .arg(format!("triage_bin_dir {}", bin_dir.display()))
            .args(["--define", "_binary_payload w0.ufdio"])
            .arg(&spec)
            .current_dir(topdir.path()),
    );
    let rpms: Vec<PathBuf> = files_below(&topdir.path().join("RPMS"))
        .into_iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "rpm"))
        .collect();
    assert_eq!(rpms.len(), 1, "{rpms:?}");
    let rpm = topdir.path().join("RPMS").join(&rpms[0]);
    let query = |format: &str| {
        succeed(
            Command::new("rpm")
                .args(["--query", "--package", "--queryformat", format])
                .arg(&rpm),
        )
        .stdout
    };

    let libdir = succeed(Command::new("rpm").args(["--eval", "%{_libdir}"]));
    let libdir = libdir.stdout.trim();
    let entries = entries(&query("[%{FILEMODES:perms} %{FILENAMES}\n]"), 1);
    let files: BTreeMap<String, u32> = entries
        .iter()
        .filter(|(kind, _, _)| *kind == '-')
        .map(|(_, mode, path)| (path.clone(), *mode))
        .collect();
    let expected: BTreeMap<String, u32> = expected_deb_files()
        .into_iter()
        .filter_map(|(path, mode)| Some((rpm_path(&path, libdir)?, mode)))
        .collect();
    assert_same_files("the RPM", &files, &expected);

    // It owns the plugin directory (nagios-plugins may be absent) and its doc tree, and
    // no directory that belongs to the system.
    let dirs: BTreeSet<String> = entries
        .iter()
        .filter(|(kind, mode, _)| *kind == 'd' && *mode == 0o755)
        .map(|(_, _, path)| path.clone())
        .collect();
    let mut expected_dirs: BTreeSet<String> = [
        format!("{libdir}/nagios"),
        format!("{libdir}/nagios/plugins"),
    ]
    .into();
    for path in expected.keys() {
        let mut dir = Path::new(path).parent();
        while let Some(parent) = dir.filter(|d| d.starts_with("/usr/share/doc/triage")) {
            expected_dirs.insert(parent.display().to_string());
            dir = parent.parent();
        }
    }
    assert_eq!(dirs, expected_dirs);
    assert_eq!(entries.len(), files.len() + dirs.len());

    assert_eq!(
        query("%{NAME} %{VERSION} %{LICENSE}"),
        format!("triage {} MIT OR Apache-2.0", env!("CARGO_PKG_VERSION"))
    );
    let conflicts = query("[%{CONFLICTNAME}\n]");
    assert!(
        conflicts.lines().any(|name| name == "nagios-plugins-procs"),
        "{conflicts}"
    );
}
