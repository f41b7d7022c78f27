//! The settings for remediate in operation: the `watch` loop, the event-handler trigger
//! policy, and who is told what (webhooks, a dead man's switch ping, a Prometheus
//! textfile, remediate's own heartbeat file).

use std::path::Path;
use std::time::Duration;

use super::values::{self, DurationValue, Entries, Problems};
use super::{EventPolicy, NotificationKind, Notify, Operation, Webhook};
use serde::Deserialize;

/// The `[event]` table, globally and per service.
#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub(super) struct EventDoc {
    states: Option<Vec<String>>,
    soft_attempt: Option<u32>,
    cooldown: Option<DurationValue>,
}

/// The `[notify]` table.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct NotifyDoc {
    timeout: Option<DurationValue>,
    ping_url: Option<String>,
    #[serde(default)]
    webhooks: Vec<WebhookDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookDoc {
    url: String,
    events: Option<Vec<String>>,
    #[serde(default)]
    headers: Entries<String>,
}

/// The global keys of remediate in operation, as written.
#[derive(Default)]
pub(super) struct OperationKeys<'a> {
    pub(super) interval: Option<&'a DurationValue>,
    pub(super) concurrency: Option<u32>,
    pub(super) check_timeout: Option<&'a DurationValue>,
    pub(super) heartbeat_file: Option<&'a str>,
    pub(super) prometheus_textfile: Option<&'a str>,
    pub(super) notify: Option<&'a NotifyDoc>,
}

/// The most services checked at once: more would only queue on two cores and a Docker
/// socket.
const MAX_CONCURRENCY: u32 = 64;

/// The operation settings, defaults filled in; `db_path` places the default heartbeat.
pub(super) fn operation(keys: &OperationKeys, db_path: &Path, p: &mut Problems) -> Operation {
    let concurrency = keys.concurrency.map_or(4, |n| {
        if !(1..=MAX_CONCURRENCY).contains(&n) {
            p.add(
                "concurrency",
                format!("must be between 1 and {MAX_CONCURRENCY}, not {n}"),
            );
        }
        n.clamp(1, MAX_CONCURRENCY)
    });
    let heartbeat_file = keys.heartbeat_file.map_or_else(
        || db_path.with_extension("heartbeat"),
        |text| p.absolute_path("heartbeat_file", text).unwrap_or_default(),
    );
    let prometheus_textfile = keys.prometheus_textfile.and_then(|text| {
        let path = p.absolute_path("prometheus_textfile", text)?;
        if path.extension().and_then(|e| e.to_str()) != Some("prom") {
            p.add(
                "prometheus_textfile",
                "must end in .prom (node_exporter's textfile collector reads only those)",
            );
        }
        Some(path)
    });
    Operation {
        interval: p.duration("interval", keys.interval, Duration::from_secs(15), false),
        concurrency: concurrency as usize,
        check_timeout: p.duration(
            "check_timeout",
            keys.check_timeout,
            Duration::from_secs(30),
            false,
        ),
        heartbeat_file,
        prometheus_textfile,
        status_file: crate::model::status_file_path(db_path),
        notify: notify(keys.notify, p),
    }
}

fn notify(doc: Option<&NotifyDoc>, p: &mut Problems) -> Notify {
    let Some(doc) = doc else {
        return Notify::default();
    };
    let ping_url = doc.ping_url.as_ref().map(|url| {
        http_url("notify.ping_url", url, p);
        url.clone()
    });
    let webhooks = doc
        .webhooks
        .iter()
        .enumerate()
        .map(|(index, hook)| {
            let at = format!("notify.webhooks[{index}]");
            http_url(&format!("{at}.url"), &hook.url, p);
            let events = match &hook.events {
                None => NotificationKind::ALL.to_vec(),
                Some(words) => {
                    if words.is_empty() {
                        p.add(format!("{at}.events"), "is empty: nothing would be sent");
                    }
                    words
                        .iter()
                        .enumerate()
                        .filter_map(|(i, word)| {
                            let kind = NotificationKind::parse(word);
                            if kind.is_none() {
                                p.add(
                                    format!("{at}.events[{i}]"),
                                    format!(
                                        "'{word}' is not an event: expected {}",
                                        NotificationKind::ALL.map(|k| k.as_str()).join(", ")
                                    ),
                                );
                            }
                            kind
                        })
                        .collect()
                }
            };
            let headers = hook
                .headers
                .0
                .iter()
                .filter(|(name, value)| {
                    let usable = !name.is_empty()
                        && name.bytes().all(|b| b.is_ascii_graphic() && b != b':')
                        && !value.contains(['\r', '\n']);
                    if !usable {
                        p.add(
                            format!("{at}.headers.{name:?}"),
                            "is not a usable HTTP header (a name without spaces or ':', \
                             a value on one line)",
                        );
                    }
                    usable
                })
                .cloned()
                .collect();
            Webhook {
                url: hook.url.clone(),
                events,
                headers,
            }
        })
        .collect();
    Notify {
        timeout: p.duration(
            "notify.timeout",
            doc.timeout.as_ref(),
            Duration::from_secs(5),
            false,
        ),
        ping_url,
        webhooks,
    }
}

/// Only http and https: a `file://` or a typo must not become a silent no-op.
fn http_url(at: &str, url: &str, p: &mut Problems) {
    let usable = (url.starts_with("http://") || url.starts_with("https://"))
        && url.len() > "https://".len()
        && !url.contains(char::is_whitespace);
    if !usable {
        p.add(at, format!("'{url}' is not an http:// or https:// URL"));
    }
}

/// The trigger policy for `remediate event`: `doc` over `base`, each problem at `at`.
pub(super) fn event_policy(
    doc: Option<&EventDoc>,
    base: &EventPolicy,
    at: &str,
    p: &mut Problems,
) -> EventPolicy {
    let Some(doc) = doc else {
        return base.clone();
    };
    let states = match &doc.states {
        None => base.states.clone(),
        Some(words) => {
            if words.is_empty() {
                p.add(format!("{at}.states"), "is empty: no event would ever act");
            }
            words
                .iter()
                .enumerate()
                .filter_map(|(index, word)| {
                    let state = values::problem_state(word);
                    if state.is_none() {
                        p.add(
                            format!("{at}.states[{index}]"),
                            format!(
                                "'{word}' is not a problem state: expected {}",
                                values::PROBLEM_STATES
                            ),
                        );
                    }
                    state
                })
                .collect()
        }
    };
    EventPolicy {
        states,
        soft_attempt: match doc.soft_attempt {
            Some(n) => Some(p.at_least_one(format!("{at}.soft_attempt"), n)),
            None => base.soft_attempt,
        },
        cooldown: p.duration(
            format!("{at}.cooldown"),
            doc.cooldown.as_ref(),
            base.cooldown,
            true,
        ),
    }
}
