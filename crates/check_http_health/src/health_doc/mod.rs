//! Health documents: the bodies Spring Boot, IETF health+json, MicroProfile Health,
//! ASP.NET Core and the Kubernetes API server send from their health endpoints, read into
//! components with Nagios states. Pure: bytes in, a document out.

mod detail;
mod formats;
mod node;
#[cfg(test)]
mod tests;

use triage_core::State;

use formats::{looks_like_k8s, read_aspnet, read_ietf, read_k8s, read_microprofile, read_spring};
use node::{Map, Node, get, object, text};

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

fn wrong(format: HealthFormat, reason: &'static str) -> HealthDocError {
    HealthDocError::WrongShape { format, reason }
}
