use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::*;

// ---- the exposition text ----

/// What the strict parser read: families in order, each with its samples.
#[derive(Debug, PartialEq)]
struct ParsedFamily {
    name: String,
    help: String,
    kind: String,
    samples: Vec<(Vec<(String, String)>, f64)>,
}

/// Reads exposition text the way a strict parser would, refusing anything out of place:
/// unknown lines, a family declared twice, samples outside their family, bad escapes.
fn parse_strictly(text: &str) -> Result<Vec<ParsedFamily>, String> {
    let mut families: Vec<ParsedFamily> = Vec::new();
    let mut lines = text.lines().peekable();
    if !text.is_empty() && !text.ends_with('\n') {
        return Err("no final newline".into());
    }
    while let Some(line) = lines.next() {
        let help_line = line
            .strip_prefix("# HELP ")
            .ok_or(format!("expected # HELP: {line:?}"))?;
        let (name, help) = help_line
            .split_once(' ')
            .ok_or(format!("no help text: {line:?}"))?;
        if families.iter().any(|f| f.name == name) {
            return Err(format!("{name} declared twice"));
        }
        let type_line = lines.next().ok_or("no # TYPE")?;
        let kind = type_line
            .strip_prefix(&format!("# TYPE {name} "))
            .ok_or(format!("expected # TYPE {name}: {type_line:?}"))?;
        if kind != "gauge" && kind != "counter" {
            return Err(format!("unknown type {kind}"));
        }
        let mut family = ParsedFamily {
            name: name.to_owned(),
            help: unescape(help, false)?,
            kind: kind.to_owned(),
            samples: Vec::new(),
        };
        while let Some(line) = lines.next_if(|l| !l.starts_with('#')) {
            family.samples.push(parse_sample(name, line)?);
        }
        families.push(family);
    }
    Ok(families)
}

fn parse_sample(name: &str, line: &str) -> Result<(Vec<(String, String)>, f64), String> {
    let rest = line
        .strip_prefix(name)
        .ok_or(format!("sample outside its family: {line:?}"))?;
    let mut labels = Vec::new();
    let mut chars = rest.chars().peekable();
    if chars.next_if_eq(&'{').is_some() {
        loop {
            let label: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=')).collect();
            if chars.next() != Some('=') || chars.next() != Some('"') {
                return Err(format!("bad label in {line:?}"));
            }
            let mut raw = String::new();
            loop {
                match chars.next() {
                    Some('"') => break,
                    Some('\\') => {
                        raw.push('\\');
                        raw.push(chars.next().ok_or("escape at the end")?);
                    }
                    Some(c) => raw.push(c),
                    None => return Err(format!("unterminated label value in {line:?}")),
                }
            }
            labels.push((label, unescape(&raw, true)?));
            match chars.next() {
                Some(',') => continue,
                Some('}') => break,
                _ => return Err(format!("bad label list in {line:?}")),
            }
        }
    }
    if chars.next() != Some(' ') {
        return Err(format!("no space before the value in {line:?}"));
    }
    let value: String = chars.collect();
    let value = match value.as_str() {
        "NaN" => f64::NAN,
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        number => number
            .parse()
            .map_err(|_| format!("bad value {number:?}"))?,
    };
    Ok((labels, value))
}

/// Undoes `\\`, `\n` and, in label values, `\"`; any other escape is an error.
fn unescape(text: &str, quotes: bool) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('"') if quotes => out.push('"'),
            other => return Err(format!("bad escape \\{other:?} in {text:?}")),
        }
    }
    Ok(out)
}

const AWKWARD_SERVICE: &str = "we\"b\\1\nx";

fn example() -> Result<String, ExpositionError> {
    let mut exposition = Exposition::new();
    exposition
        .family(
            "triage_service_up",
            "Whether the service passed its checks\\last pass\nper service.",
            MetricKind::Gauge,
        )?
        .sample(&[("service", "db")], 1.0)?
        .sample(&[("service", AWKWARD_SERVICE)], 0.0)?;
    exposition
        .family(
            "triage_restarts_total",
            "Restarts made.",
            MetricKind::Counter,
        )?
        .sample(&[("service", "db"), ("step", "restart")], 3.0)?;
    // Added later: still written with its family.
    exposition
        .family("triage_service_up", "ignored", MetricKind::Gauge)?
        .sample(&[("service", "cache")], f64::NAN)?;
    exposition
        .family("triage_last_pass_seconds", "Duration.", MetricKind::Gauge)?
        .sample(&[], 0.25)?
        .sample(&[("le", "x")], f64::INFINITY)?;
    Ok(exposition.finish())
}

#[test]
fn awkward_label_values_and_help_are_escaped() {
    let text = example().expect("valid metrics");
    assert!(
        text.contains("triage_service_up{service=\"we\\\"b\\\\1\\nx\"} 0\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "# HELP triage_service_up Whether the service passed its checks\\\\last pass\\nper service.\n"
        ),
        "{text}"
    );
}

#[test]
fn exposition_reads_back_exactly() {
    let text = example().expect("valid metrics");
    let families = parse_strictly(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let names: Vec<&str> = families.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "triage_service_up",
            "triage_restarts_total",
            "triage_last_pass_seconds"
        ]
    );
    let up = &families[0];
    assert_eq!(up.kind, "gauge");
    assert_eq!(
        up.help,
        "Whether the service passed its checks\\last pass\nper service."
    );
    let services: Vec<&str> = up.samples.iter().map(|s| s.0[0].1.as_str()).collect();
    assert_eq!(services, ["db", AWKWARD_SERVICE, "cache"]);
    assert_eq!(up.samples[0].1, 1.0);
    assert!(up.samples[2].1.is_nan());
    assert_eq!(families[1].kind, "counter");
    assert_eq!(
        families[1].samples,
        [(
            vec![
                ("service".to_owned(), "db".to_owned()),
                ("step".to_owned(), "restart".to_owned())
            ],
            3.0
        )]
    );
    assert_eq!(families[2].samples[0], (vec![], 0.25));
    assert_eq!(families[2].samples[1].1, f64::INFINITY);
}

#[test]
fn family_headers_appear_once() {
    let text = example().expect("valid metrics");
    assert_eq!(text.matches("# HELP triage_service_up ").count(), 1);
    assert_eq!(text.matches("# TYPE triage_service_up gauge\n").count(), 1);
    assert_eq!(text.matches("# TYPE ").count(), 3);
}

#[test]
fn invalid_names_are_refused() {
    let mut exposition = Exposition::new();
    assert_eq!(
        exposition.family("service-up", "", MetricKind::Gauge).err(),
        Some(ExpositionError::MetricName("service-up".into()))
    );
    assert_eq!(
        exposition.family("restarts", "", MetricKind::Counter).err(),
        Some(ExpositionError::CounterName("restarts".into()))
    );
    let mut up = exposition
        .family("up", "Up.", MetricKind::Gauge)
        .expect("a valid family");
    assert_eq!(
        up.sample(&[("service-name", "x")], 1.0).err(),
        Some(ExpositionError::LabelName("service-name".into()))
    );
    assert!(matches!(
        up.sample(&[("a", "1"), ("a", "2")], 1.0),
        Err(ExpositionError::DuplicateLabel { .. })
    ));
    assert!(matches!(
        exposition.family("up", "Up.", MetricKind::Counter),
        Err(ExpositionError::CounterName(_))
    ));
    assert!(
        exposition
            .family("up:x_total", "", MetricKind::Counter)
            .is_ok()
    );
    assert!(matches!(
        exposition.family("up:x_total", "", MetricKind::Gauge),
        Err(ExpositionError::KindChanged { .. })
    ));
    // Nothing half-written: the family with the refused samples has none.
    assert_eq!(
        exposition.finish(),
        "# HELP up Up.\n# TYPE up gauge\n# HELP up:x_total \n# TYPE up:x_total counter\n"
    );
}

// ---- the atomic writer ----

fn directory_entries(directory: &Path) -> BTreeSet<String> {
    std::fs::read_dir(directory)
        .expect("the test directory")
        .map(|entry| {
            entry
                .expect("a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

#[test]
fn writer_replaces_the_file_and_leaves_no_temporary_file() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("triage.prom");
    write_atomically(&path, "first\n").expect("the first write");
    write_atomically(&path, "second\n").expect("the second write");
    assert_eq!(
        std::fs::read_to_string(&path).expect("the file"),
        "second\n"
    );
    assert_eq!(
        directory_entries(directory.path()),
        BTreeSet::from(["triage.prom".to_owned()])
    );
}

#[test]
fn writer_refuses_a_name_the_collector_would_ignore() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    for name in ["triage.txt", "triage.prom.bak", "triage"] {
        let path = directory.path().join(name);
        let error = write_atomically(&path, "x 1\n").expect_err(name);
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert!(error.to_string().contains("*.prom"), "{error}");
    }
    assert!(directory_entries(directory.path()).is_empty());
}

#[test]
fn failed_rename_removes_the_temporary_file() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("triage.prom");
    std::fs::create_dir(&path).expect("a directory in the way");
    std::fs::write(path.join("keep"), "").expect("a file in that directory");
    let error = write_atomically(&path, "x 1\n").expect_err("a rename over a directory");
    assert!(error.to_string().contains("cannot rename"), "{error}");
    assert_eq!(
        directory_entries(directory.path()),
        BTreeSet::from(["triage.prom".to_owned()])
    );
}

#[test]
fn file_is_readable_by_everyone_whatever_the_umask() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("triage.prom");
    // SAFETY: umask(2) cannot fail; the old mask is put back right after the write.
    let old = unsafe { libc::umask(0o077) };
    let written = write_atomically(&path, "x 1\n");
    // SAFETY: as above.
    unsafe { libc::umask(old) };
    written.expect("the write");
    let mode = std::fs::metadata(&path)
        .expect("the file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644);
}

/// About 200 KB, every line naming its version, so a mix of two versions shows.
fn version_text(version: usize) -> String {
    let line = format!("triage_test{{version=\"{version:03}\"}} 1\n");
    format!(
        "# version {version:03}\n{}# end {version:03}\n",
        line.repeat(200_000 / line.len())
    )
}

#[test]
fn concurrent_reader_always_sees_one_whole_version() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("triage.prom");
    write_atomically(&path, &version_text(0)).expect("the first version");
    let writing = Arc::new(AtomicBool::new(true));

    let reader = {
        let path = path.clone();
        let writing = Arc::clone(&writing);
        std::thread::spawn(move || -> Result<usize, String> {
            let started = Instant::now();
            let mut reads = 0;
            while writing.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(30) {
                let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
                let version: usize = text
                    .get("# version ".len().."# version 000".len())
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| format!("no version line in {} bytes", text.len()))?;
                if text != version_text(version) {
                    return Err(format!(
                        "version {version} incomplete: {} bytes",
                        text.len()
                    ));
                }
                reads += 1;
            }
            Ok(reads)
        })
    };
    for version in 1..=200 {
        write_atomically(&path, &version_text(version)).expect("a rewrite");
    }
    writing.store(false, Ordering::SeqCst);
    let reads = reader
        .join()
        .expect("the reader thread")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(reads > 0);
    assert_eq!(
        std::fs::read_to_string(&path).expect("the file"),
        version_text(200)
    );
    assert_eq!(
        directory_entries(directory.path()),
        BTreeSet::from(["triage.prom".to_owned()])
    );
}
