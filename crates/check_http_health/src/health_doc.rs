//! Health documents: the bodies Spring Boot, IETF health+json, MicroProfile Health,
//! ASP.NET Core and the Kubernetes API server send from their health endpoints, read into
//! components with Nagios states. Pure: bytes in, a document out.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use triage_core::State;

// A hostile or broken endpoint must not make us allocate or print without end.
const MAX_COMPONENTS: usize = 500;
const MAX_SPRING_DEPTH: usize = 16;
const MAX_DETAIL_CHARS: usize = 200;

/// Which health-document format to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthFormat {
    /// Recognise any of the formats below, or none.
    Auto,
    /// Do not read the body as a health document.
    None,
    /// Spring Boot Actuator `/actuator/health`.
    Spring,
    /// draft-inadarei-api-health-check (`application/health+json`).
    Ietf,
    /// MicroProfile Health `/health`.
    MicroProfile,
    /// ASP.NET Core HealthChecks.UI JSON writer.
    AspNet,
    /// Kubernetes `/livez?verbose` and `/readyz?verbose` text.
    K8s,
}

const FORMAT_NAMES: [(&str, HealthFormat); 7] = [
    ("auto", HealthFormat::Auto),
    ("none", HealthFormat::None),
    ("spring", HealthFormat::Spring),
    ("ietf", HealthFormat::Ietf),
    ("microprofile", HealthFormat::MicroProfile),
    ("aspnet", HealthFormat::AspNet),
    ("k8s", HealthFormat::K8s),
];

impl HealthFormat {
    /// Parses the --health option value (case-insensitive); the error lists the choices.
    pub fn parse(text: &str) -> Result<HealthFormat, String> {
        FORMAT_NAMES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(text.trim()))
            .map(|&(_, format)| format)
            .ok_or_else(|| {
                let names: Vec<&str> = FORMAT_NAMES.iter().map(|(name, _)| *name).collect();
                format!(
                    "unknown health format '{text}': expected one of {}",
                    names.join(", ")
                )
            })
    }

    /// Human name for output, such as "Spring Boot" or "Kubernetes".
    pub fn label(self) -> &'static str {
        match self {
            HealthFormat::Auto => "auto",
            HealthFormat::None => "none",
            HealthFormat::Spring => "Spring Boot",
            HealthFormat::Ietf => "IETF health+json",
            HealthFormat::MicroProfile => "MicroProfile Health",
            HealthFormat::AspNet => "ASP.NET Core",
            HealthFormat::K8s => "Kubernetes",
        }
    }

    /// The format as a noun phrase with its article, for error messages.
    fn document_name(self) -> &'static str {
        match self {
            HealthFormat::Auto | HealthFormat::None => "a health document",
            HealthFormat::Spring => "a Spring Boot health document",
            HealthFormat::Ietf => "an IETF health+json document",
            HealthFormat::MicroProfile => "a MicroProfile Health document",
            HealthFormat::AspNet => "an ASP.NET Core health document",
            HealthFormat::K8s => "a Kubernetes verbose health document",
        }
    }
}

/// A recognised health document.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthDocument {
    /// The concrete format recognised (never `Auto` or `None`).
    pub format: HealthFormat,
    /// The document's own overall status as written ("UP", "pass", "passed"), if any.
    pub status: Option<String>,
    /// The overall status as a state; without one, the worst component.
    pub state: State,
    /// The components (checks), in document order.
    pub components: Vec<Component>,
}

/// One component (a check) of a health document.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    /// "db", nested Spring components as "db/primary", IETF "db:responseTime".
    pub name: String,
    /// The status as written in the document ("DOWN", "warn", "failed").
    pub status: String,
    /// That status as a state.
    pub state: State,
    /// The IETF observedValue (numeric only) and observedUnit.
    pub observed: Option<Observed>,
    /// One line of at most 200 characters saying why, or what was seen.
    pub detail: Option<String>,
}

/// A measured value a component reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    /// The number measured.
    pub value: f64,
    /// Its unit as written ("ms", "percent"), if given.
    pub unit: Option<String>,
}

/// Why a body is not the health document that was asked for.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HealthDocError {
    /// A JSON format was asked for and the body does not parse.
    #[error("not valid JSON: {0}")]
    InvalidJson(String),
    /// The body parses but lacks what the format requires.
    #[error("not {}: {reason}", .format.document_name())]
    WrongShape {
        /// The format asked for.
        format: HealthFormat,
        /// What is missing or of the wrong type.
        reason: &'static str,
    },
}

/// Reads `body` as `format`; `Auto` gives `Ok(None)` for bodies it does not recognise.
pub fn parse(
    format: HealthFormat,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Option<HealthDocument>, HealthDocError> {
    let reader: Reader = match format {
        HealthFormat::None => return Ok(None),
        HealthFormat::Auto => return Ok(detect(content_type, body)),
        HealthFormat::K8s => return read_k8s(body).map(Some),
        HealthFormat::Spring => read_spring,
        HealthFormat::Ietf => read_ietf,
        HealthFormat::MicroProfile => read_microprofile,
        HealthFormat::AspNet => read_aspnet,
    };
    let root: Node =
        serde_json::from_slice(body).map_err(|e| HealthDocError::InvalidJson(e.to_string()))?;
    let top = root.as_object().ok_or(wrong(format, "not a JSON object"))?;
    reader(top).map(Some)
}

type Reader = fn(&Map) -> Result<HealthDocument, HealthDocError>;

fn detect(content_type: Option<&str>, body: &[u8]) -> Option<HealthDocument> {
    if looks_like_k8s(body) {
        return read_k8s(body).ok();
    }
    let root: Node = serde_json::from_slice(body).ok()?;
    let top = root.as_object()?;
    let status = text(top, "status");
    let status_is = |words: &[&str]| status.is_some_and(|s| is_one_of(s, words));
    let checks = get(top, "checks");
    let named_checks = checks.and_then(Node::as_object).unwrap_or_default();
    let checks_are_ietf = named_checks.iter().all(|(_, v)| v.as_list().is_some())
        && checks.is_none_or(|c| c.as_object().is_some());
    let reader: Reader = if status.is_some()
        && checks_are_ietf
        && (is_health_json(content_type)
            || status_is(&["pass", "warn", "fail"])
            || !named_checks.is_empty())
    {
        read_ietf
    } else if object(top, "entries").is_some() || status_is(&["healthy", "degraded", "unhealthy"]) {
        read_aspnet
    } else if checks.and_then(Node::as_list).is_some() {
        read_microprofile
    } else if status.is_some()
        && (object(top, "components").is_some()
            || object(top, "details").is_some()
            || status_is(&["up", "down", "out_of_service", "unknown"]))
    {
        read_spring
    } else {
        return None;
    };
    reader(top).ok()
}

fn is_health_json(content_type: Option<&str>) -> bool {
    let essence = content_type.and_then(|ct| ct.split(';').next());
    // Early drafts registered the vendor tree name; servers written then still send it.
    essence.is_some_and(|e| {
        is_one_of(
            e.trim(),
            &["application/health+json", "application/vnd.health+json"],
        )
    })
}

fn is_one_of(word: &str, words: &[&str]) -> bool {
    words.iter().any(|w| w.eq_ignore_ascii_case(word))
}

/// Words outside a format's OK and CRITICAL lists, or no status at all, are WARNING:
/// Spring's rule for OUT_OF_SERVICE, UNKNOWN and custom statuses, applied everywhere since
/// such a component deserves a look but is no proof of an outage.
fn status_state(format: HealthFormat, status: &str) -> State {
    let (ok, critical): (&[&str], &[&str]) = match format {
        HealthFormat::Ietf => (&["pass", "ok", "up"], &["fail", "error", "down"]),
        HealthFormat::AspNet => (&["healthy"], &["unhealthy"]),
        _ => (&["up"], &["down"]),
    };
    if is_one_of(status, ok) {
        State::Ok
    } else if is_one_of(status, critical) {
        State::Critical
    } else {
        State::Warning
    }
}

fn document(format: HealthFormat, status: Option<&str>, parts: Vec<Component>) -> HealthDocument {
    let state = match status {
        Some(status) => status_state(format, status),
        None => State::worst_of(parts.iter().map(|c| c.state)),
    };
    let status = status.map(str::to_owned);
    HealthDocument {
        format,
        status,
        state,
        components: parts,
    }
}

fn component(format: HealthFormat, name: String, status: Option<&str>) -> Component {
    let status = status.unwrap_or_default();
    let state = status_state(format, status);
    Component {
        name,
        status: status.to_owned(),
        state,
        observed: None,
        detail: None,
    }
}

fn read_spring(top: &Map) -> Result<HealthDocument, HealthDocError> {
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

fn read_ietf(top: &Map) -> Result<HealthDocument, HealthDocError> {
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

fn read_microprofile(top: &Map) -> Result<HealthDocument, HealthDocError> {
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

fn read_aspnet(top: &Map) -> Result<HealthDocument, HealthDocError> {
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

fn looks_like_k8s(body: &[u8]) -> bool {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    let rest = &body[start.unwrap_or(body.len())..];
    rest.starts_with(b"[+]") || rest.starts_with(b"[-]")
}

/// The apiserver's healthz handler writes `[+]name ok`, `[+]name excluded: ok` or
/// `[-]name failed: reason withheld` per check, then `<endpoint> check passed|failed`.
fn read_k8s(body: &[u8]) -> Result<HealthDocument, HealthDocError> {
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

/// Collapses whitespace (Java exception messages span lines) and caps the length.
fn one_line(text: &str) -> Option<String> {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.is_empty() {
        None
    } else if line.chars().count() > MAX_DETAIL_CHARS {
        Some(
            line.chars()
                .take(MAX_DETAIL_CHARS - 3)
                .chain("...".chars())
                .collect(),
        )
    } else {
        Some(line)
    }
}

/// `key=value, key=value`, nested values in braces; stops growing well past what
/// `one_line` keeps so a huge details object costs little.
fn render_map(map: &Map) -> String {
    let mut out = String::new();
    render_entries(map, &mut out, 0);
    out
}

fn render_entries(map: &Map, out: &mut String, depth: usize) {
    for (index, (key, value)) in map.iter().enumerate() {
        if out.len() > 4 * MAX_DETAIL_CHARS {
            return;
        }
        if index > 0 {
            out.push_str(", ");
        }
        out.push_str(key);
        out.push('=');
        render(value, out, depth + 1);
    }
}

fn render(node: &Node, out: &mut String, depth: usize) {
    if depth > MAX_SPRING_DEPTH {
        out.push_str("...");
        return;
    }
    match node {
        Node::Null => out.push_str("null"),
        Node::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
        Node::Number(value) => out.push_str(&value.to_string()),
        Node::Text(text) => out.push_str(text),
        Node::List(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if out.len() > 4 * MAX_DETAIL_CHARS {
                    break;
                }
                if index > 0 {
                    out.push_str(", ");
                }
                render(item, out, depth + 1);
            }
            out.push(']');
        }
        Node::Object(map) => {
            out.push('{');
            render_entries(map, out, depth);
            out.push('}');
        }
    }
}

type Map = [(String, Node)];

/// A JSON value that keeps object members in document order: serde_json's own map sorts
/// them unless its `preserve_order` feature is on, and components must come out as written.
#[derive(Debug, Clone)]
enum Node {
    Null,
    Bool(bool),
    Number(f64),
    Text(String),
    List(Vec<Node>),
    Object(Vec<(String, Node)>),
}

fn get<'a>(map: &'a Map, key: &str) -> Option<&'a Node> {
    map.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn text<'a>(map: &'a Map, key: &str) -> Option<&'a str> {
    get(map, key)?.as_str()
}

fn object<'a>(map: &'a Map, key: &str) -> Option<&'a Map> {
    get(map, key)?.as_object()
}

fn wrong(format: HealthFormat, reason: &'static str) -> HealthDocError {
    HealthDocError::WrongShape { format, reason }
}

impl Node {
    fn as_str(&self) -> Option<&str> {
        match self {
            Node::Text(text) => Some(text),
            _ => None,
        }
    }

    fn as_list(&self) -> Option<&[Node]> {
        match self {
            Node::List(items) => Some(items),
            _ => None,
        }
    }

    fn as_object(&self) -> Option<&Map> {
        match self {
            Node::Object(map) => Some(map),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_bool<E>(self, value: bool) -> Result<Node, E> {
        Ok(Node::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Node, E> {
        Ok(Node::Number(value as f64))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Node, E> {
        Ok(Node::Number(value as f64))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Node, E> {
        Ok(Node::Number(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<Node, E> {
        Ok(Node::Text(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Node, E> {
        Ok(Node::Text(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut members = Vec::new();
        while let Some(member) = map.next_entry::<String, Node>()? {
            members.push(member);
        }
        Ok(Node::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use HealthFormat::{AspNet, Auto, Ietf, K8s, MicroProfile, Spring};

    fn read(format: HealthFormat, body: &str) -> HealthDocument {
        let doc = parse(format, None, body.as_bytes()).expect(body);
        doc.expect("a health document")
    }

    fn detected(content_type: Option<&str>, body: &[u8]) -> Option<HealthFormat> {
        let doc = parse(Auto, content_type, body).expect("Auto never fails");
        doc.map(|d| d.format)
    }

    /// One line for the document, one per component: `name status STATE =value unit (detail)`.
    fn describe(doc: &HealthDocument) -> String {
        let status = doc.status.as_deref().unwrap_or("-");
        let mut out = format!("{}: {status} {}", doc.format.label(), doc.state);
        for c in &doc.components {
            out += &format!("\n{} {} {}", c.name, c.status, c.state);
            if let Some(Observed { value, unit }) = &c.observed {
                out += &format!(" ={value} {}", unit.as_deref().unwrap_or("-"));
            }
            if let Some(detail) = &c.detail {
                out += &format!(" ({detail})");
            }
        }
        out
    }

    // The example in the Spring Boot 3 actuator API documentation, path shortened.
    const SPRING_UP: &str = r#"{"status":"UP","components":{
        "broker":{"status":"UP","components":{
            "us1":{"status":"UP","details":{"version":"1.0.2"}},
            "us2":{"status":"UP","details":{"version":"1.0.4"}}}},
        "db":{"status":"UP","details":{"database":"H2","validationQuery":"isValid()"}},
        "diskSpace":{"status":"UP","details":{"total":76887154688,"free":49923645440,
            "threshold":10485760,"path":"/srv/app/.","exists":true}}}}"#;

    const SPRING_DOWN: &str = r#"{"status":"DOWN","components":{
        "db":{"status":"DOWN","details":{"error":"org.springframework.jdbc.CannotGetJdbcConnectionException: Failed to obtain JDBC Connection"}},
        "ping":{"status":"UP"},
        "rabbit":{"status":"OUT_OF_SERVICE"},
        "mail":{"status":"UNKNOWN","details":{"location":"smtp.example.com:25"}},
        "ldap":{"status":"DEGRADED","details":{"servers":["ldap1","ldap2"],"pool":{"idle":0}}}}}"#;

    // draft-inadarei-api-health-check-06 section 8, abridged: its two cpu readings share a
    // componentId.
    const IETF_PASS: &str = r#"{"status":"pass","version":"1","releaseId":"1.2.2","notes":[""],
        "output":"","serviceId":"f03e522f-1f44-4062-9b55-9587f91c9c41",
        "description":"health of authz service","checks":{
        "cassandra:responseTime":[{"componentId":"dfd6cf2b-1b6e-4412-a0b8-f6f7797a60d2",
            "componentType":"datastore","observedValue":250,"observedUnit":"ms","status":"pass",
            "affectedEndpoints":["/users/{userId}"],"time":"2019-01-17T03:36:48Z","output":""}],
        "uptime":[{"componentType":"system","observedValue":1209600.245,"observedUnit":"s",
            "status":"pass","time":"2019-01-17T03:36:48Z"}],
        "cpu:utilization":[
            {"componentId":"6fd416e0-8920-410f-9c7b-c479000f7227","node":1,"componentType":"system",
             "observedValue":85,"observedUnit":"percent","status":"warn","output":""},
            {"componentId":"6fd416e0-8920-410f-9c7b-c479000f7227","node":2,"componentType":"system",
             "observedValue":85,"observedUnit":"percent","status":"warn","output":""}]}}"#;

    const IETF_FAIL: &str = r#"{"status":"fail","description":"orders service","checks":{
        "postgres:connections":[
            {"componentId":"db-primary","componentType":"datastore","status":"fail",
             "output":"dial tcp 10.0.0.5:5432: connect: connection refused"},
            {"componentId":"db-replica","componentType":"datastore","observedValue":12,"status":"pass"}],
        "redis:responseTime":[{"componentType":"datastore","observedValue":250,"observedUnit":"ms",
            "status":"WARN","output":"Response time over target of less than 100ms"}]}}"#;

    // Quarkus SmallRye Health /q/health.
    const MICROPROFILE_UP: &str = r#"{"status":"UP","checks":[
        {"name":"Database connections health check","status":"UP","data":{"<default>":"UP"}},
        {"name":"SmallRye Reactive Messaging - readiness check","status":"UP","data":{"prices":"[OK]"}}]}"#;

    const MICROPROFILE_DOWN: &str = r#"{"status":"DOWN","checks":[
        {"name":"Database connections health check","status":"DOWN","data":{"<default>":
            "Unable to execute the validation check for the default DataSource: Connection refused"}},
        {"name":"alive","status":"UP"}]}"#;

    // HealthChecks.UI.Client UIResponseWriter.
    const ASPNET_HEALTHY: &str = r#"{"status":"Healthy","totalDuration":"00:00:00.0235310","entries":{
        "npgsql":{"data":{},"duration":"00:00:00.0188870","status":"Healthy","tags":["db"]},
        "redis":{"data":{},"duration":"00:00:00.0041213","status":"Healthy","tags":["cache"]}}}"#;

    const ASPNET_UNHEALTHY: &str = r#"{"status":"Unhealthy","totalDuration":"00:00:05.0061235","entries":{
        "npgsql":{"data":{},"description":"Failed to connect to 127.0.0.1:5432","duration":"00:00:05.0012",
            "exception":"Failed to connect to 127.0.0.1:5432","status":"Unhealthy","tags":["db"]},
        "diskstorage":{"data":{},"description":"Minimum configured megabytes for disk C:\\ is 1024 but actual free space are 512 megabytes",
            "duration":"00:00:00.0010","status":"Degraded","tags":[]},
        "redis":{"data":{},"description":null,"duration":"00:00:00.0001",
            "exception":"It was not possible to connect to the redis server(s).","status":"unhealthy"}}}"#;

    // kube-apiserver /livez?verbose and a failing /readyz?verbose.
    const LIVEZ_PASSED: &str = "[+]ping ok\n[+]log ok\n[+]etcd ok\n\
        [+]poststarthook/start-kube-apiserver-admission-initializer ok\nlivez check passed\n";

    const READYZ_FAILED: &str = "[+]ping ok\n[-]etcd failed: reason withheld\n\
        [+]shutdown excluded: ok\n[+]poststarthook/rbac/bootstrap-roles ok\nreadyz check failed\n";

    #[test]
    fn spring_components_are_flattened_in_document_order_with_their_details() {
        assert_eq!(
            describe(&read(Spring, SPRING_UP)),
            "Spring Boot: UP OK\n\
             broker/us1 UP OK (version=1.0.2)\n\
             broker/us2 UP OK (version=1.0.4)\n\
             db UP OK (database=H2, validationQuery=isValid())\n\
             diskSpace UP OK (total=76887154688, free=49923645440, threshold=10485760, path=/srv/app/., exists=true)"
        );
    }

    #[test]
    fn spring_down_is_critical_with_the_error_and_other_statuses_are_warnings() {
        assert_eq!(
            describe(&read(Spring, SPRING_DOWN)),
            "Spring Boot: DOWN CRITICAL\n\
             db DOWN CRITICAL (org.springframework.jdbc.CannotGetJdbcConnectionException: Failed to obtain JDBC Connection)\n\
             ping UP OK\n\
             rabbit OUT_OF_SERVICE WARNING\n\
             mail UNKNOWN WARNING (location=smtp.example.com:25)\n\
             ldap DEGRADED WARNING (servers=[ldap1, ldap2], pool={idle=0})"
        );
    }

    #[test]
    fn spring_2_0_details_and_1_x_top_level_indicators_are_components_too() {
        let v2_0 = r#"{"status":"up","details":{"disk":{"status":"UP","details":{"free":1}},
            "db":{"status":"DOWN","details":{"database":"MySQL","error":"timeout"}}}}"#;
        let expected = "Spring Boot: up OK\ndisk UP OK (free=1)\ndb DOWN CRITICAL (timeout)";
        assert_eq!(describe(&read(Spring, v2_0)), expected);
        let v1 = r#"{"status":"UP","diskSpace":{"status":"UP","total":290391584768},"x":{}}"#;
        assert_eq!(
            describe(&read(Spring, v1)),
            "Spring Boot: UP OK\ndiskSpace UP OK"
        );
    }

    #[test]
    fn ietf_readings_are_named_by_measurement_and_keep_observed_values() {
        assert_eq!(
            describe(&read(Ietf, IETF_PASS)),
            "IETF health+json: pass OK\n\
             cassandra:responseTime pass OK =250 ms\n\
             uptime pass OK =1209600.245 s\n\
             cpu:utilization#1 warn WARNING =85 percent\n\
             cpu:utilization#2 warn WARNING =85 percent"
        );
    }

    #[test]
    fn ietf_failing_check_is_critical_with_its_output_as_detail() {
        assert_eq!(
            describe(&read(Ietf, IETF_FAIL)),
            "IETF health+json: fail CRITICAL\n\
             postgres:connections[db-primary] fail CRITICAL (dial tcp 10.0.0.5:5432: connect: connection refused)\n\
             postgres:connections[db-replica] pass OK =12 -\n\
             redis:responseTime WARN WARNING =250 ms (Response time over target of less than 100ms)"
        );
    }

    #[test]
    fn microprofile_checks_are_up_or_down_with_their_data_as_detail() {
        assert_eq!(
            describe(&read(MicroProfile, MICROPROFILE_UP)),
            "MicroProfile Health: UP OK\n\
             Database connections health check UP OK (<default>=UP)\n\
             SmallRye Reactive Messaging - readiness check UP OK (prices=[OK])"
        );
        assert_eq!(
            describe(&read(MicroProfile, MICROPROFILE_DOWN)),
            "MicroProfile Health: DOWN CRITICAL\n\
             Database connections health check DOWN CRITICAL (<default>=Unable to execute the \
             validation check for the default DataSource: Connection refused)\n\
             alive UP OK"
        );
    }

    #[test]
    fn microprofile_1_0_outcome_and_state_are_read_as_statuses() {
        let old = r#"{"outcome":"DOWN","checks":[{"name":"disk","state":"DOWN"},{"status":"UP"}]}"#;
        let expected = "MicroProfile Health: DOWN CRITICAL\ndisk DOWN CRITICAL\n#2 UP OK";
        assert_eq!(describe(&read(MicroProfile, old)), expected);
    }

    #[test]
    fn aspnet_entries_map_case_insensitively_with_description_or_else_exception() {
        assert_eq!(
            describe(&read(AspNet, ASPNET_HEALTHY)),
            "ASP.NET Core: Healthy OK\nnpgsql Healthy OK\nredis Healthy OK"
        );
        assert_eq!(
            describe(&read(AspNet, ASPNET_UNHEALTHY)),
            "ASP.NET Core: Unhealthy CRITICAL\n\
             npgsql Unhealthy CRITICAL (Failed to connect to 127.0.0.1:5432)\n\
             diskstorage Degraded WARNING (Minimum configured megabytes for disk C:\\ is 1024 but \
             actual free space are 512 megabytes)\n\
             redis unhealthy CRITICAL (It was not possible to connect to the redis server(s).)"
        );
    }

    #[test]
    fn kubernetes_check_lines_are_components_and_the_last_line_is_the_status() {
        assert_eq!(
            describe(&read(K8s, LIVEZ_PASSED)),
            "Kubernetes: passed OK\nping ok OK\nlog ok OK\netcd ok OK\n\
             poststarthook/start-kube-apiserver-admission-initializer ok OK"
        );
        assert_eq!(
            describe(&read(K8s, READYZ_FAILED)),
            "Kubernetes: failed CRITICAL\nping ok OK\netcd failed CRITICAL (reason withheld)\n\
             shutdown excluded OK\npoststarthook/rbac/bootstrap-roles ok OK"
        );
        let bare = "\u{feff}[+]ping ok\r\n[-]etcd failed\r\n";
        let expected = "Kubernetes: - CRITICAL\nping ok OK\netcd failed CRITICAL";
        assert_eq!(describe(&read(K8s, bare)), expected);
    }

    #[test]
    fn auto_recognises_each_format_from_real_documents() {
        let cases = [
            (SPRING_UP, Spring),
            (SPRING_DOWN, Spring),
            (r#"{"status":"UP"}"#, Spring),
            (
                r#"{"status":"DOWN","details":{"db":{"status":"DOWN"}}}"#,
                Spring,
            ),
            (IETF_PASS, Ietf),
            (IETF_FAIL, Ietf),
            (r#"{"status":"warn"}"#, Ietf),
            (MICROPROFILE_UP, MicroProfile),
            (MICROPROFILE_DOWN, MicroProfile),
            (ASPNET_HEALTHY, AspNet),
            (ASPNET_UNHEALTHY, AspNet),
            (r#"{"status":"Degraded"}"#, AspNet),
            (LIVEZ_PASSED, K8s),
            (READYZ_FAILED, K8s),
            // Kubernetes text is recognised whatever content type the server claims.
            ("\n[-]etcd failed: reason withheld\n", K8s),
        ];
        for (body, format) in cases {
            let json = Some("application/json");
            assert_eq!(detected(json, body.as_bytes()), Some(format), "{body}");
        }
    }

    #[test]
    fn the_health_json_content_type_makes_any_status_word_ietf_unless_checks_say_otherwise() {
        let content_type = Some("Application/Health+JSON; charset=utf-8");
        let doc = parse(Auto, content_type, br#"{"status":"up"}"#)
            .expect("Auto never fails")
            .expect("a health document");
        assert_eq!(describe(&doc), "IETF health+json: up OK");
        let microprofile = detected(content_type, MICROPROFILE_UP.as_bytes());
        assert_eq!(microprofile, Some(MicroProfile));
    }

    #[test]
    fn auto_passes_over_bodies_that_are_not_health_documents() {
        let bodies: [&[u8]; 9] = [
            br#"{"status":"ok"}"#,
            br#"{"name":"orders","version":"1.4.2"}"#,
            b"<!DOCTYPE html><html><body>It works!</body></html>",
            b"ok",
            b"",
            b"null",
            b"[]",
            br#"{"status":5}"#,
            b"\xff\xfe\x00",
        ];
        for body in bodies {
            assert_eq!(
                detected(None, body),
                None,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        assert_eq!(
            parse(HealthFormat::None, None, SPRING_UP.as_bytes()),
            Ok(None)
        );
    }

    #[test]
    fn an_explicit_format_that_does_not_match_is_an_error_saying_why() {
        let error =
            |format, body: &str| parse(format, None, body.as_bytes()).expect_err("an error");
        let cases = [
            (
                Spring,
                r#"{"checks":[]}"#,
                r#"a Spring Boot health document: no top-level "status""#,
            ),
            (
                Spring,
                r#"{"status":"UP","components":[]}"#,
                r#"a Spring Boot health document: "components" is not an object"#,
            ),
            (
                Spring,
                "[]",
                "a Spring Boot health document: not a JSON object",
            ),
            (
                Ietf,
                r#"{"status":"pass","checks":[]}"#,
                r#"an IETF health+json document: "checks" is not an object"#,
            ),
            (
                MicroProfile,
                SPRING_UP,
                r#"a MicroProfile Health document: no "checks" array"#,
            ),
            (
                AspNet,
                r#"{"entries":{}}"#,
                r#"an ASP.NET Core health document: no top-level "status""#,
            ),
            (
                AspNet,
                r#"{"status":"Healthy","entries":5}"#,
                r#"an ASP.NET Core health document: "entries" is not an object"#,
            ),
            (
                K8s,
                SPRING_UP,
                r#"a Kubernetes verbose health document: no "[+]" or "[-]" check lines"#,
            ),
        ];
        for (format, body, message) in cases {
            assert_eq!(error(format, body).to_string(), format!("not {message}"));
        }
        let not_json = "not valid JSON: expected value at line 1 column 2";
        assert_eq!(error(Ietf, LIVEZ_PASSED).to_string(), not_json);
        let empty = "not valid JSON: EOF while parsing a value at line 1 column 0";
        assert_eq!(error(AspNet, "").to_string(), empty);
    }

    #[test]
    fn format_names_parse_case_insensitively_and_unknown_ones_list_the_choices() {
        assert_eq!(HealthFormat::parse("MicroProfile"), Ok(MicroProfile));
        assert_eq!(HealthFormat::parse(" K8S "), Ok(K8s));
        let choices = "expected one of auto, none, spring, ietf, microprofile, aspnet, k8s";
        let unknown = format!("unknown health format 'actuator': {choices}");
        assert_eq!(HealthFormat::parse("actuator"), Err(unknown));
        let labels = [Spring, Ietf, MicroProfile, AspNet, K8s].map(HealthFormat::label);
        let expected = [
            "Spring Boot",
            "IETF health+json",
            "MicroProfile Health",
            "ASP.NET Core",
            "Kubernetes",
        ];
        assert_eq!(labels, expected);
    }

    #[test]
    fn details_are_one_line_of_at_most_200_characters() {
        let long = "é".repeat(300);
        let body = format!(
            r#"{{"status":"DOWN","components":{{"db":{{"status":"DOWN","details":{{"error":"one\n\ttwo {long}"}}}}}}}}"#
        );
        let detail = read(Spring, &body).components[0].detail.clone();
        let expected = format!("one two {}...", "é".repeat(189));
        assert_eq!(expected.chars().count(), 200);
        assert_eq!(detail, Some(expected));
    }

    #[test]
    fn ten_thousand_components_are_cut_to_five_hundred_in_every_format() {
        let many =
            |each: &dyn Fn(usize) -> String| (0..10_000).map(each).collect::<Vec<_>>().join(",");
        let spring = many(&|i| format!(r#""c{i}":{{"status":"UP"}}"#));
        let ietf = many(&|_| r#"{"status":"pass"}"#.into());
        let microprofile = many(&|i| format!(r#"{{"name":"c{i}","status":"UP"}}"#));
        let aspnet = many(&|i| format!(r#""c{i}":{{"status":"Healthy"}}"#));
        let bodies = [
            (
                Spring,
                format!(r#"{{"status":"UP","components":{{{spring}}}}}"#),
            ),
            (
                Ietf,
                format!(r#"{{"status":"pass","checks":{{"x":[{ietf}]}}}}"#),
            ),
            (
                MicroProfile,
                format!(r#"{{"status":"UP","checks":[{microprofile}]}}"#),
            ),
            (
                AspNet,
                format!(r#"{{"status":"Healthy","entries":{{{aspnet}}}}}"#),
            ),
            (K8s, (0..10_000).map(|i| format!("[+]c{i} ok\n")).collect()),
        ];
        for (format, body) in bodies {
            let doc = read(format, &body);
            assert_eq!(doc.components.len(), 500, "{format:?}");
        }
    }

    #[test]
    fn spring_nesting_stops_at_sixteen_levels_with_that_level_as_the_leaf() {
        let mut body = r#"{"status":"DOWN"}"#.to_owned();
        for level in (1..=40).rev() {
            body = format!(r#"{{"status":"DOWN","components":{{"l{level}":{body}}}}}"#);
        }
        let path: Vec<String> = (1..=16).map(|level| format!("l{level}")).collect();
        let expected = format!(
            "Spring Boot: DOWN CRITICAL\n{} DOWN CRITICAL",
            path.join("/")
        );
        assert_eq!(describe(&read(Spring, &body)), expected);
    }

    #[test]
    fn garbage_in_any_format_never_panics() {
        let deep = "[".repeat(100_000);
        let huge = format!(
            r#"{{"status":"pass","checks":{{"x":[{{"observedValue":1{}}}]}}}}"#,
            "0".repeat(400)
        );
        let bodies: [&[u8]; 16] = [
            b"",
            b"null",
            b"[]",
            b"{}",
            br#"{"status":5}"#,
            br#"{"status":null,"components":null,"checks":null,"entries":null,"details":null}"#,
            br#"{"status":"UP","components":{"a":null,"b":[1],"c":{"status":7},"d":{"status":"UP","details":[{}]}}}"#,
            br#"{"status":"pass","checks":{"a":[null,5,{"status":[]}],"b":"x","c":{"status":"fail"}}}"#,
            br#"{"checks":[null,{"name":5,"status":{}},{"data":[1]}]}"#,
            br#"{"status":"Healthy","entries":{"a":5,"b":{"status":null,"description":7}}}"#,
            br#"{"status":"UP","x":1e999}"#,
            br#"{"status":"UP","x":-123456789012345678901234567890}"#,
            b"\xff\xfe[+]\xffx ok\n[-]\n[-] failed:\n[+]",
            b"\xEF\xBB\xBF[+]ping ok",
            deep.as_bytes(),
            huge.as_bytes(),
        ];
        for body in bodies {
            for (_, format) in FORMAT_NAMES {
                let _ = parse(format, Some("application/health+json"), body);
                let _ = parse(format, None, body);
            }
        }
        assert_eq!(detected(None, deep.as_bytes()), None);
        let recursion = parse(Spring, None, deep.as_bytes())
            .expect_err("an error")
            .to_string();
        assert!(
            recursion.starts_with("not valid JSON: recursion limit exceeded"),
            "{recursion}"
        );
    }

    #[test]
    fn invalid_utf8_in_kubernetes_text_is_read_lossily() {
        let body = b"[+]ping ok\n[-]\xffdisk failed: \xfe full\nlivez check failed";
        let doc = parse(Auto, None, body).expect("Auto never fails");
        let doc = doc.expect("a health document");
        let expected =
            "Kubernetes: failed CRITICAL\nping ok OK\n\u{fffd}disk failed CRITICAL (\u{fffd} full)";
        assert_eq!(describe(&doc), expected);
    }
}
