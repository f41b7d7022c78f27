//! Which containers a run checks: names and ids, `--all`, `--label`, `--name`,
//! `--exclude`, and which selectors found nothing.

use triage_docker::{ContainerSummary, Labels};

use crate::cli::Args;

/// What the selectors chose from the engine's list.
#[derive(Debug, Default)]
pub struct Selection<'a> {
    /// The containers to check, each once, in the engine's order.
    pub chosen: Vec<&'a ContainerSummary>,
    /// Selectors that matched nothing, described for the output (`web`, `--name 'db-.*'`).
    pub missing: Vec<Missing>,
}

/// A selector that found no container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// A container named on the command line.
    Named(String),
    /// A `--name` pattern or a `--label` set that matched none.
    Unmatched(String),
}

/// Applies the selectors in `args` to the engine's full list.
pub fn select<'a>(list: &'a [ContainerSummary], args: &Args) -> Selection<'a> {
    let mut selection = Selection::default();
    let by_name = !args.containers.is_empty() || !args.names.is_empty();
    let mut wanted = vec![!by_name; list.len()];
    for given in &args.containers {
        let hits = named(list, given);
        if hits.is_empty() {
            selection.missing.push(Missing::Named(given.clone()));
        }
        hits.into_iter().for_each(|at| wanted[at] = true);
    }
    for pattern in &args.names {
        let mut found = false;
        for (at, container) in list.iter().enumerate() {
            if container.plain_names().any(|n| pattern.matches(n)) {
                wanted[at] = true;
                found = true;
            }
        }
        if !found {
            selection
                .missing
                .push(Missing::Unmatched(format!("--name '{}'", pattern.text)));
        }
    }
    let mut labelled_any = false;
    for (at, container) in list.iter().enumerate() {
        if !has_labels(&container.labels, &args.labels) {
            wanted[at] = false;
        } else if wanted[at] {
            labelled_any = true;
        }
    }
    if !args.labels.is_empty() && !labelled_any && selection.missing.is_empty() {
        let labels = args
            .labels
            .iter()
            .map(|l| format!("--label '{l}'"))
            .collect::<Vec<_>>();
        selection.missing.push(Missing::Unmatched(labels.join(" ")));
    }
    selection.chosen = list
        .iter()
        .zip(wanted)
        .filter(|(container, wanted)| {
            *wanted
                && !args
                    .exclude
                    .iter()
                    .any(|x| container.plain_names().any(|n| x.matches(n)))
        })
        .map(|(container, _)| container)
        .collect();
    selection
}

/// The positions of the containers `given` names: an exact name or id wins; else an id
/// prefix. Never a name prefix: `web` must not stand in for a missing `web` with `web-old`.
fn named(list: &[ContainerSummary], given: &str) -> Vec<usize> {
    let given = given.trim_start_matches('/');
    let exact: Vec<usize> = positions(list, |c| {
        c.id == given || c.plain_names().any(|n| n == given)
    });
    if !exact.is_empty() || given.is_empty() {
        return exact;
    }
    let lower = given.to_ascii_lowercase();
    if !lower.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Vec::new();
    }
    positions(list, |c| c.id.starts_with(&lower))
}

fn positions(list: &[ContainerSummary], keep: impl Fn(&ContainerSummary) -> bool) -> Vec<usize> {
    list.iter()
        .enumerate()
        .filter(|(_, c)| keep(c))
        .map(|(at, _)| at)
        .collect()
}

/// Every `KEY` present and every `KEY=VALUE` equal, as `docker ps --filter label=` means.
fn has_labels(labels: &Labels, wanted: &[String]) -> bool {
    wanted.iter().all(|want| match want.split_once('=') {
        Some((key, value)) => labels.get(key).is_some_and(|v| v == value),
        None => labels.contains_key(want.as_str()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn container(id: char, name: &str, labels: &[(&str, &str)]) -> ContainerSummary {
        ContainerSummary {
            id: id.to_string().repeat(64),
            names: vec![format!("/{name}")],
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..ContainerSummary::default()
        }
    }

    fn list() -> Vec<ContainerSummary> {
        vec![
            container('a', "web", &[("tier", "front")]),
            container('b', "web-old", &[("tier", "front")]),
            container('c', "db", &[("tier", "back"), ("backup", "")]),
        ]
    }

    fn chosen(argv: &[&str]) -> (Vec<String>, Vec<Missing>) {
        let args = Args::try_parse_from([&["check_container"], argv].concat()).expect("args");
        let list = list();
        let selection = select(&list, &args);
        let names = selection
            .chosen
            .iter()
            .map(|c| c.name().to_owned())
            .collect();
        (names, selection.missing)
    }

    #[test]
    fn names_are_exact_and_ids_may_be_prefixes() {
        assert_eq!(chosen(&["web"]).0, ["web"]);
        assert_eq!(chosen(&["cccc", "/web-old"]).0, ["web-old", "db"]);
        let (names, missing) = chosen(&["we", "db"]);
        assert_eq!(names, ["db"]);
        assert_eq!(missing, [Missing::Named("we".into())]);
    }

    #[test]
    fn patterns_match_whole_names_and_labels_narrow() {
        assert_eq!(chosen(&["--name", "web"]).0, ["web"]);
        assert_eq!(chosen(&["--name", "web.*"]).0, ["web", "web-old"]);
        assert_eq!(
            chosen(&["--label", "tier=front", "--exclude", ".*-old"]).0,
            ["web"]
        );
        assert_eq!(chosen(&["--all", "--label", "backup"]).0, ["db"]);
        assert_eq!(chosen(&["--all"]).0, ["web", "web-old", "db"]);
        assert_eq!(
            chosen(&["--name", "x.*"]).1,
            [Missing::Unmatched("--name 'x.*'".into())]
        );
        assert_eq!(
            chosen(&["--label", "tier=none"]).1,
            [Missing::Unmatched("--label 'tier=none'".into())]
        );
        // --all on an engine with nothing to match is not a missing selector.
        assert!(chosen(&["--all", "--exclude", ".*"]).1.is_empty());
    }
}
