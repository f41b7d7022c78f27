//! The readers of each format: a parsed JSON object (or, for Kubernetes, the raw text) in,
//! a health document or the reason it is not one out.

use triage_core::State;

use super::detail::{one_line, render_map};
use super::node::{Map, Node, get, object, text};
use super::{
    Component, HealthDocError, HealthDocument, HealthFormat, MAX_COMPONENTS, MAX_SPRING_DEPTH,
    Observed, component, document, wrong,
};

pub(super) fn read_spring(top: &Map) -> Result<HealthDocument, HealthDocError> {
    let format = HealthFormat::Spring;
    let status = text(top, "status").ok_or(wrong(format, NO_STATUS))?;
    if get(top, "components").is_some_and(|c| c.as_object().is_none()) {
        return Err(wrong(format, "\"components\" is not an object"));
    }
    let mut parts = Vec::new();
    match spring_children(top) {
        Some(children) => walk_spring(children, "", 1, &mut parts),
        // Spring Boot 1.x put each indicator at the top level, next to "status".
        None => walk_spring(top, "", 1, &mut parts),
    }
    Ok(document(format, Some(status), parts))
}

const NO_STATUS: &str = "no top-level \"status\"";

/// Spring Boot 2.2+ nests under "components"; 2.0 and 2.1 put sub-indicators in "details",
/// told apart from plain details by every value being an object with a status.
fn spring_children(entry: &Map) -> Option<&Map> {
    if let Some(children) = object(entry, "components") {
        return Some(children);
    }
    let details = object(entry, "details")?;
    let composite = !details.is_empty() && details.iter().all(|(_, v)| has_status(v));
    composite.then_some(details)
}

fn has_status(node: &Node) -> bool {
    node.as_object()
        .is_some_and(|o| text(o, "status").is_some())
}

fn walk_spring(children: &Map, prefix: &str, depth: usize, out: &mut Vec<Component>) {
    for (key, entry) in children.iter().filter(|(_, v)| has_status(v)) {
        let Some(entry) = entry.as_object().filter(|_| out.len() < MAX_COMPONENTS) else {
            return;
        };
        let name = format!("{prefix}{key}");
        match spring_children(entry).filter(|_| depth < MAX_SPRING_DEPTH) {
            Some(grandchildren) => walk_spring(grandchildren, &format!("{name}/"), depth + 1, out),
            None => {
                let mut part = component(HealthFormat::Spring, name, text(entry, "status"));
                let details = object(entry, "details");
                part.detail = match details.and_then(|d| text(d, "error")) {
                    Some(error) => one_line(error),
                    None => details.and_then(|d| one_line(&render_map(d))),
                };
                out.push(part);
            }
        }
    }
}

pub(super) fn read_ietf(top: &Map) -> Result<HealthDocument, HealthDocError> {
    let format = HealthFormat::Ietf;
    let status = text(top, "status").ok_or(wrong(format, NO_STATUS))?;
    let checks = match get(top, "checks") {
        None => &[][..],
        Some(checks) => checks
            .as_object()
            .ok_or(wrong(format, "\"checks\" is not an object"))?,
    };
    let mut parts = Vec::new();
    for (key, value) in checks {
        let entries: Vec<&Map> = match value {
            Node::List(items) => items.iter().filter_map(Node::as_object).collect(),
            Node::Object(single) => vec![single],
            _ => continue,
        };
        let ids: Vec<Option<&str>> = entries.iter().map(|e| text(e, "componentId")).collect();
        for (index, entry) in entries
            .iter()
            .enumerate()
            .take(MAX_COMPONENTS - parts.len())
        {
            // Several readings of one measurement need distinct names; componentId is only
            // usable when it tells them apart (the draft's own example repeats it per node).
            let name = match ids[index] {
                _ if entries.len() == 1 => key.clone(),
                Some(id) if ids.iter().filter(|other| **other == Some(id)).count() == 1 => {
                    format!("{key}[{id}]")
                }
                _ => format!("{key}#{}", index + 1),
            };
            let mut part = component(format, name, text(entry, "status"));
            part.detail = text(entry, "output").and_then(one_line);
            if let Some(Node::Number(value)) = get(entry, "observedValue") {
                let unit = text(entry, "observedUnit").map(str::to_owned);
                part.observed = Some(Observed {
                    value: *value,
                    unit,
                });
            }
            parts.push(part);
        }
    }
    Ok(document(format, Some(status), parts))
}

pub(super) fn read_microprofile(top: &Map) -> Result<HealthDocument, HealthDocError> {
    let format = HealthFormat::MicroProfile;
    let checks = get(top, "checks").and_then(Node::as_list);
    let checks = checks.ok_or(wrong(format, "no \"checks\" array"))?;
    let entries = checks
        .iter()
        .filter_map(Node::as_object)
        .take(MAX_COMPONENTS);
    let parts = entries
        .enumerate()
        .map(|(index, entry)| {
            let name = text(entry, "name").map_or_else(|| format!("#{}", index + 1), str::to_owned);
            // MicroProfile Health 1.0 said "state" and "outcome" where 2.0 says "status".
            let status = text(entry, "status").or_else(|| text(entry, "state"));
            let mut part = component(format, name, status);
            part.detail = object(entry, "data").and_then(|d| one_line(&render_map(d)));
            part
        })
        .collect();
    let status = text(top, "status").or_else(|| text(top, "outcome"));
    Ok(document(format, status, parts))
}

pub(super) fn read_aspnet(top: &Map) -> Result<HealthDocument, HealthDocError> {
    let format = HealthFormat::AspNet;
    let status = text(top, "status").ok_or(wrong(format, NO_STATUS))?;
    let entries = match get(top, "entries") {
        None => &[][..],
        Some(entries) => entries
            .as_object()
            .ok_or(wrong(format, "\"entries\" is not an object"))?,
    };
    let entries = entries
        .iter()
        .filter_map(|(name, v)| Some((name, v.as_object()?)));
    let parts = entries
        .take(MAX_COMPONENTS)
        .map(|(name, entry)| {
            let mut part = component(format, name.clone(), text(entry, "status"));
            let says = |key| text(entry, key).and_then(one_line);
            part.detail = says("description").or_else(|| says("exception"));
            part
        })
        .collect();
    Ok(document(format, Some(status), parts))
}

pub(super) fn looks_like_k8s(body: &[u8]) -> bool {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    let rest = &body[start.unwrap_or(body.len())..];
    rest.starts_with(b"[+]") || rest.starts_with(b"[-]")
}

/// The apiserver's healthz handler writes `[+]name ok`, `[+]name excluded: ok` or
/// `[-]name failed: reason withheld` per check, then `<endpoint> check passed|failed`.
pub(super) fn read_k8s(body: &[u8]) -> Result<HealthDocument, HealthDocError> {
    let text = String::from_utf8_lossy(body);
    let mut parts = Vec::new();
    let mut summary = None;
    for line in text.trim_start_matches('\u{feff}').lines().map(str::trim) {
        let (passed, check) = match (line.strip_prefix("[+]"), line.strip_prefix("[-]")) {
            (Some(check), _) => (true, check),
            (_, Some(check)) => (false, check),
            _ => {
                let mut words = ["passed", "failed"].into_iter();
                summary =
                    summary.or_else(|| words.find(|w| line.ends_with(&format!(" check {w}"))));
                continue;
            }
        };
        let (name, outcome) = check.split_once(' ').unwrap_or((check, ""));
        if name.is_empty() || parts.len() >= MAX_COMPONENTS {
            continue;
        }
        let (status, reason) = outcome.split_once(':').unwrap_or((outcome, ""));
        parts.push(Component {
            name: name.to_owned(),
            status: status.trim().to_owned(),
            state: if passed { State::Ok } else { State::Critical },
            observed: None,
            detail: if passed { None } else { one_line(reason) },
        });
    }
    if parts.is_empty() {
        return Err(wrong(
            HealthFormat::K8s,
            "no \"[+]\" or \"[-]\" check lines",
        ));
    }
    let summary_state = if summary == Some("failed") {
        State::Critical
    } else {
        State::Ok
    };
    let state = State::worst_of(parts.iter().map(|c| c.state)).worst(summary_state);
    let status = summary.map(str::to_owned);
    Ok(HealthDocument {
        format: HealthFormat::K8s,
        status,
        state,
        components: parts,
    })
}
