//! Judging an exchange: status, response time, body size, text, regex, JSON assertions and
//! metrics, the health document's components and the certificate's expiry. Pure.

use triage_core::format::shortened;
use triage_core::number::format_number;
use triage_core::{Perfdata, State, Subcheck, Thresholds, Uom};

use crate::certificate::CertificateFacts;
use crate::cli::{Args, JsonEq, JsonMetric, OnRedirect};
use crate::fetch::Exchange;
use crate::health_doc::{self, Component, HealthDocument};

/// The most characters of a --string echoed in messages (check_http echoes 30).
const ECHO_CHARS: usize = 30;

/// One judged aspect of the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Its state.
    pub state: State,
    /// Its words (`string 'UP' not found`).
    pub text: String,
}

/// Everything judged about one exchange.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    /// The worst of everything.
    pub state: State,
    /// Findings in the order they are named in the summary (problems only, plus notes).
    pub findings: Vec<Finding>,
    /// One subcheck per health-document component.
    pub components: Vec<Subcheck>,
    /// time, size, cert_days, JSON metrics, components' observed values.
    pub perfdata: Vec<Perfdata>,
}

/// Judges `exchange` (and `certificate`, for https) as `args` say, at `now`.
pub fn judge(
    args: &Args,
    exchange: &Exchange,
    certificate: Option<&Result<CertificateFacts, String>>,
    now: f64,
) -> Judgement {
    let mut findings = Vec::new();
    let mut perfdata = Vec::new();

    findings.push(judge_status(args, exchange.status));
    let seconds = exchange.elapsed.as_secs_f64();
    let time = Thresholds::new(args.warning.clone(), args.critical.clone());
    let time_state = time.evaluate(seconds);
    if time_state != State::Ok {
        let limit = time
            .range_for(time_state)
            .map(|r| r.to_string())
            .unwrap_or_default();
        findings.push(Finding {
            state: time_state,
            text: format!("response time {:.3}s outside {limit}", seconds),
        });
    }
    perfdata.push(
        Perfdata::new("time", round6(seconds))
            .uom(Uom::Seconds)
            .thresholds(&time)
            .min(0.0),
    );
    perfdata.push(
        Perfdata::new("size", exchange.body.len() as f64)
            .uom(Uom::Bytes)
            .min(0.0),
    );
    if args.extended_perfdata {
        let phases = &exchange.phases;
        let secure = exchange.final_url.starts_with("https:");
        let timed = [
            ("time_connect", phases.connect),
            ("time_tls", phases.tls.filter(|_| secure)),
            ("time_firstbyte", Some(phases.first_byte)),
        ];
        for (label, phase) in timed {
            if let Some(phase) = phase {
                perfdata.push(
                    Perfdata::new(label, round6(phase.as_secs_f64()))
                        .uom(Uom::Seconds)
                        .min(0.0),
                );
            }
        }
    }
    if exchange.truncated {
        findings.push(Finding {
            state: State::Warning,
            text: format!("body larger than --max-body ({} bytes read)", args.max_body),
        });
    }
    findings.extend(judge_text(args, &exchange.body));
    let json_wanted = !args.json_eq.is_empty() || !args.json_metric.is_empty();
    if json_wanted {
        let (json_findings, json_perfdata) = judge_json(args, &exchange.body, exchange.truncated);
        findings.extend(json_findings);
        perfdata.extend(json_perfdata);
    }
    let mut components = Vec::new();
    match health_doc::parse(
        args.health,
        exchange.content_type.as_deref(),
        &exchange.body,
    ) {
        Ok(Some(document)) => {
            let (finding, subchecks, metrics) = judge_document(&document);
            findings.extend(finding);
            components = subchecks;
            perfdata.extend(metrics);
        }
        Ok(None) => {}
        Err(error) => findings.push(Finding {
            state: State::Critical,
            text: error.to_string(),
        }),
    }
    if let Some(certificate) = certificate {
        let (finding, metric) = judge_certificate(args, certificate, now);
        findings.extend(finding);
        perfdata.extend(metric);
    }
    let state = State::worst_of(
        findings
            .iter()
            .map(|f| f.state)
            .chain(components.iter().map(|c| c.state)),
    );
    Judgement {
        state,
        findings,
        components,
        perfdata,
    }
}

/// The status code: `-e` codes and classes, else 2xx OK, 3xx per --onredirect, 4xx
/// WARNING, 5xx CRITICAL.
fn judge_status(args: &Args, status: u16) -> Finding {
    let state = if !args.expect.is_empty() {
        if args.expect.iter().any(|p| p.matches(status)) {
            State::Ok
        } else {
            State::Critical
        }
    } else {
        match status {
            100..=299 => State::Ok,
            300..=399 => match args.onredirect {
                OnRedirect::State(state) => state,
                // Still a redirect after following: no usable Location.
                OnRedirect::Follow => State::Warning,
            },
            400..=499 => State::Warning,
            _ => State::Critical,
        }
    };
    let text = match (state, args.expect.is_empty()) {
        (State::Critical, false) => format!("status {status} is not one of {}", expected(args)),
        _ => String::new(),
    };
    Finding { state, text }
}

fn expected(args: &Args) -> String {
    args.expect
        .iter()
        .map(|p| match p {
            crate::cli::StatusPattern::Code(code) => code.to_string(),
            crate::cli::StatusPattern::Class(class) => format!("{class}xx"),
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn judge_text(args: &Args, body: &[u8]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let text = String::from_utf8_lossy(body);
    if let Some(wanted) = &args.string {
        let found = text.contains(wanted.as_str());
        if found == args.invert {
            let shown: String = wanted.chars().take(ECHO_CHARS).collect();
            let what = if found { "found" } else { "not found" };
            findings.push(Finding {
                state: State::Critical,
                text: format!("string '{shown}' {what}"),
            });
        }
    }
    if let Some(pattern) = &args.regex {
        let found = pattern.regex.is_match(&text);
        if found == args.invert {
            let what = if found { "found" } else { "not found" };
            findings.push(Finding {
                state: State::Critical,
                text: format!("pattern '{}' {what}", pattern.text),
            });
        }
    }
    findings
}

fn judge_json(args: &Args, body: &[u8], truncated: bool) -> (Vec<Finding>, Vec<Perfdata>) {
    let document: serde_json::Value = match serde_json::from_slice(body) {
        Ok(document) => document,
        Err(error) => {
            let why = if truncated {
                "it is larger than --max-body".to_owned()
            } else {
                error.to_string()
            };
            return (
                vec![Finding {
                    state: State::Critical,
                    text: format!("the body is not JSON ({why})"),
                }],
                Vec::new(),
            );
        }
    };
    let mut findings: Vec<Finding> = args
        .json_eq
        .iter()
        .filter_map(|eq| json_eq(&document, eq))
        .collect();
    let ranges = Thresholds::new(args.json_warning.clone(), args.json_critical.clone());
    let mut perfdata = Vec::new();
    for metric in &args.json_metric {
        match metric_value(&document, metric) {
            Ok(value) => {
                let state = ranges.evaluate(value);
                if state != State::Ok {
                    findings.push(Finding {
                        state,
                        text: format!(
                            "{} is {}",
                            metric.label,
                            format_number(value).unwrap_or_default()
                        ),
                    });
                }
                perfdata.push(Perfdata::new(metric.label.clone(), value).thresholds(&ranges));
            }
            Err(text) => findings.push(Finding {
                state: State::Critical,
                text,
            }),
        }
    }
    (findings, perfdata)
}

fn json_eq(document: &serde_json::Value, eq: &JsonEq) -> Option<Finding> {
    let critical = |text: String| {
        Some(Finding {
            state: State::Critical,
            text,
        })
    };
    let Some(found) = document.pointer(&eq.pointer) else {
        return critical(format!("{} not found in the JSON", eq.pointer));
    };
    let actual = match found {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    if actual == eq.value {
        None
    } else {
        critical(format!(
            "{} is '{}', expected '{}'",
            eq.pointer,
            shortened(&actual, 60),
            eq.value
        ))
    }
}

fn metric_value(document: &serde_json::Value, metric: &JsonMetric) -> Result<f64, String> {
    match document.pointer(&metric.pointer) {
        None => Err(format!("{} not found in the JSON", metric.pointer)),
        Some(serde_json::Value::Number(n)) => n
            .as_f64()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("{} is not a usable number", metric.pointer)),
        Some(serde_json::Value::String(text)) => triage_core::number::parse_decimal(text)
            .ok_or_else(|| {
                format!(
                    "{} is '{}', not a number",
                    metric.pointer,
                    shortened(text, 60)
                )
            }),
        Some(other) => Err(format!(
            "{} is {}, not a number",
            metric.pointer,
            shortened(&other.to_string(), 60)
        )),
    }
}

/// The document's components as subchecks, a finding naming the failing ones, and their
/// observed values as perfdata.
fn judge_document(document: &HealthDocument) -> (Option<Finding>, Vec<Subcheck>, Vec<Perfdata>) {
    let subchecks: Vec<Subcheck> = document.components.iter().map(component_subcheck).collect();
    let failing: Vec<&Component> = document
        .components
        .iter()
        .filter(|c| c.state != State::Ok)
        .collect();
    let mut perfdata = Vec::new();
    for component in &document.components {
        if let Some(observed) = &component.observed {
            let (value, uom) = observed_value(observed.value, observed.unit.as_deref());
            perfdata.push(Perfdata::new(component.name.clone(), value).uom(uom));
        }
    }
    let status = document.status.as_deref().unwrap_or("");
    let finding = if !failing.is_empty() {
        let names: Vec<&str> = failing.iter().map(|c| c.name.as_str()).collect();
        let word = if failing.iter().any(|c| c.state == State::Critical) {
            "down"
        } else {
            "degraded"
        };
        Some(Finding {
            state: State::worst_of(failing.iter().map(|c| c.state)),
            text: format!(
                "{} of {} components {word}: {}",
                failing.len(),
                document.components.len(),
                names.join(", ")
            ),
        })
    } else if document.state != State::Ok {
        Some(Finding {
            state: document.state,
            text: format!("{} status {status}", document.format.label()),
        })
    } else {
        let count = match document.components.len() {
            1 => "1 component".to_owned(),
            n => format!("{n} components"),
        };
        Some(Finding {
            state: State::Ok,
            text: format!("{} {status}, {count}", document.format.label()),
        })
    };
    // A document that says it is down although no component does still counts.
    let finding = match finding {
        Some(mut finding) => {
            finding.state = finding.state.worst(document.state);
            Some(finding)
        }
        None => None,
    };
    (finding, subchecks, perfdata)
}

fn component_subcheck(component: &Component) -> Subcheck {
    let detail = component
        .detail
        .as_deref()
        .map(|d| format!(" ({d})"))
        .unwrap_or_default();
    let observed = component
        .observed
        .as_ref()
        .map(|o| {
            format!(
                ", {}{}",
                format_number(o.value).unwrap_or_default(),
                o.unit.as_deref().unwrap_or("")
            )
        })
        .unwrap_or_default();
    Subcheck::new(
        component.name.clone(),
        component.state,
        format!("{}: {}{observed}{detail}", component.name, component.status),
    )
}

/// An IETF observedValue in perfdata units where the unit is one Nagios knows.
fn observed_value(value: f64, unit: Option<&str>) -> (f64, Uom) {
    match unit.map(str::to_ascii_lowercase).as_deref() {
        Some("ms") => (value, Uom::Milliseconds),
        Some("s") => (value, Uom::Seconds),
        Some("%" | "percent") => (value, Uom::Percent),
        Some("b" | "bytes") => (value, Uom::Bytes),
        _ => (value, Uom::None),
    }
}

fn judge_certificate(
    args: &Args,
    certificate: &Result<CertificateFacts, String>,
    now: f64,
) -> (Option<Finding>, Option<Perfdata>) {
    let facts = match certificate {
        Ok(facts) => facts,
        Err(reason) => {
            return (
                Some(Finding {
                    state: State::Unknown,
                    text: format!("certificate expiry unknown: {reason}"),
                }),
                None,
            );
        }
    };
    let days = (facts.not_after as f64 - now) / 86_400.0;
    let name = facts
        .subject
        .as_deref()
        .map(|s| format!("certificate '{s}'"))
        .unwrap_or_else(|| "certificate".into());
    let (state, text) = if days < 0.0 {
        (
            State::Critical,
            format!("{name} expired {} days ago", (-days).ceil()),
        )
    } else if days < args.cert_critical {
        (
            State::Critical,
            format!("{name} expires in {} days", days.floor()),
        )
    } else if days < args.cert_warning {
        (
            State::Warning,
            format!("{name} expires in {} days", days.floor()),
        )
    } else {
        (State::Ok, String::new())
    };
    let metric = Perfdata::new("cert_days", days.floor()).thresholds(&Thresholds::new(
        Some(
            triage_core::Range::parse(&format!(
                "{}:",
                format_number(args.cert_warning).unwrap_or_default()
            ))
            .ok(),
        )
        .flatten(),
        Some(
            triage_core::Range::parse(&format!(
                "{}:",
                format_number(args.cert_critical).unwrap_or_default()
            ))
            .ok(),
        )
        .flatten(),
    ));
    (
        (state != State::Ok).then_some(Finding { state, text }),
        Some(metric),
    )
}

fn round6(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}
