//! Webhooks and the dead man's switch: the JSON each webhook receives (built here, pure)
//! and its delivery, the ping around each pass. Deliveries go through
//! [`triage_notify::Outbox`], so no webhook or ping ever delays a recovery.

use std::time::Duration;

use serde_json::{Value, json};
use triage_core::State;
use triage_notify::{Outbox, healthchecks::Pinger};

use crate::act::StepReport;
use crate::config::{Config, NotificationKind, Service, Webhook};
use crate::model::{RunId, Source, to_wall};

/// What happened to a service, for the webhooks.
#[derive(Debug, Clone)]
pub struct Notice<'a> {
    /// What kind of news.
    pub kind: NotificationKind,
    /// The service.
    pub service: &'a Service,
    /// The state that led here, if known.
    pub state: Option<State>,
    /// The check's summary, or why.
    pub summary: &'a str,
    /// The attempt within the budget window, for pipelines.
    pub attempt: Option<u32>,
    /// The run, for pipelines.
    pub run_id: Option<RunId>,
    /// The run's steps as they ended.
    pub steps: &'a [StepReport],
    /// Who decided.
    pub source: Source,
    /// When.
    pub at: f64,
}

/// The JSON body of a notice. `text` makes it readable as is by Slack- and
/// Mattermost-style incoming webhooks; the other fields are for machines.
pub fn body(notice: &Notice, host: &str) -> Value {
    let service = notice.service;
    let steps: Vec<Value> = notice
        .steps
        .iter()
        .map(|step| {
            json!({
                "action": step.action,
                "outcome": step.status.to_string(),
                "exit_code": step.exit_code,
                "duration": (step.duration.as_secs_f64() * 1000.0).round() / 1000.0,
                "note": step.note,
            })
        })
        .collect();
    json!({
        "event": notice.kind.as_str(),
        "service": service.name,
        "display_name": service.label(),
        "host": host,
        "state": notice.state.map(|s| s.label()),
        "summary": notice.summary,
        "attempt": notice.attempt,
        "run_id": notice.run_id,
        "source": notice.source.as_str(),
        "timestamp": triage_heartbeat::Timestamp(to_wall(notice.at)).to_rfc3339(),
        "steps": steps,
        "text": text(notice, host),
    })
}

/// `remediate@web1: api REMEDIATION_FAILED (run 7, attempt 2): kill ok, start failed`.
fn text(notice: &Notice, host: &str) -> String {
    let mut about = Vec::new();
    if let Some(run) = notice.run_id {
        about.push(format!("run {run}"));
    }
    if let Some(attempt) = notice.attempt {
        about.push(format!("attempt {attempt}"));
    }
    let about = if about.is_empty() {
        String::new()
    } else {
        format!(" ({})", about.join(", "))
    };
    let detail = if notice.steps.is_empty() {
        match notice.state {
            Some(state) if !notice.summary.is_empty() => {
                format!("{} {}", state.label(), notice.summary)
            }
            _ => notice.summary.to_owned(),
        }
    } else {
        notice
            .steps
            .iter()
            .map(|s| format!("{} {}", s.action, s.status))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    };
    format!(
        "remediate@{host}: {} {}{about}{detail}",
        notice.service.label(),
        notice.kind.as_str()
    )
}

/// Delivers notices and pings for one remediate process.
pub struct Teller {
    outbox: Outbox,
    webhooks: Vec<Webhook>,
    ping_url: Option<String>,
    host: String,
    timeout: Duration,
}

/// One pass's ping: its run id pairs `/start` with the end, and its pinger keeps the
/// body limit the server announced.
pub struct PassPing<'a> {
    rid: String,
    pinger: Option<Pinger<'a>>,
}

impl PassPing<'_> {
    /// Pings `/0` or `/fail` with the pass's log.
    pub fn finish(&self, ok: bool, log: &str) {
        if let Some(pinger) = &self.pinger {
            pinger.finish(&self.rid, ok, log);
        }
    }
}

impl Teller {
    /// A teller for `config`'s targets.
    pub fn new(config: &Config) -> Teller {
        let notify = &config.operation.notify;
        Teller {
            outbox: Outbox::new(notify.timeout),
            webhooks: notify.webhooks.clone(),
            ping_url: notify.ping_url.clone(),
            host: hostname(),
            timeout: notify.timeout,
        }
    }

    /// Queues `notice` for every webhook that wants its kind; returns at once.
    pub fn tell(&self, notice: &Notice) {
        let wanted: Vec<&Webhook> = self
            .webhooks
            .iter()
            .filter(|hook| hook.events.contains(&notice.kind))
            .collect();
        if wanted.is_empty() {
            return;
        }
        let body = body(notice, &self.host);
        for hook in wanted {
            self.outbox.post_json(&hook.url, &hook.headers, &body);
        }
    }

    /// Pings `/start` for a pass (when a ping URL is configured).
    pub fn pass_started(&self) -> PassPing<'_> {
        let rid = triage_notify::healthchecks::run_id();
        let pinger = self
            .ping_url
            .as_deref()
            .map(|url| Pinger::new(url, &self.outbox));
        if let Some(pinger) = &pinger {
            pinger.start(&rid);
        }
        PassPing { rid, pinger }
    }

    /// Deliveries that failed since the last call, one line each (URLs redacted).
    pub fn failures(&self) -> Vec<String> {
        self.outbox.take_failures()
    }

    /// Waits for what is queued, at most the delivery timeout and a second; returns what
    /// failed or was not delivered.
    pub fn finish(self) -> Vec<String> {
        self.outbox.finish(self.timeout + Duration::from_secs(1))
    }
}

/// This host's name, as the webhooks say where it happened.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Format, parse};
    use crate::model::StepOutcome;

    #[test]
    fn a_failed_remediation_says_which_step_failed_for_machines_and_people() {
        let config = parse(
            r#"
            [services.api]
            display_name = "API"
            check = { heartbeat = "/run/api.json", max_age = "5m" }
            commands = { start = "true" }
            recovery = ["kill", "start"]
            "#,
            Format::Toml,
            "t.toml",
        )
        .expect("config");
        let steps = vec![
            StepReport {
                action: "kill".into(),
                status: StepOutcome::Ok,
                exit_code: None,
                duration: Duration::from_millis(1500),
                output_tail: String::new(),
                note: "SIGTERM, exited".into(),
                started: None,
            },
            StepReport {
                action: "start".into(),
                status: StepOutcome::Failed,
                exit_code: Some(127),
                duration: Duration::from_millis(200),
                output_tail: "sh: server: not found".into(),
                note: "the start command exited 127 at once".into(),
                started: None,
            },
        ];
        let notice = Notice {
            kind: NotificationKind::RemediationFailed,
            service: &config.services[0],
            state: Some(State::Critical),
            summary: "heartbeat 400s old",
            attempt: Some(2),
            run_id: Some(7),
            steps: &steps,
            source: Source::Watch,
            at: 1_795_000_000.0,
        };
        let body = body(&notice, "web1");
        assert_eq!(body["event"], "REMEDIATION_FAILED");
        assert_eq!(body["service"], "api");
        assert_eq!(body["display_name"], "API");
        assert_eq!(body["state"], "CRITICAL");
        assert_eq!(body["attempt"], 2);
        assert_eq!(body["run_id"], 7);
        assert_eq!(body["source"], "watch");
        assert_eq!(body["steps"][1]["outcome"], "failed");
        assert_eq!(body["steps"][1]["exit_code"], 127);
        assert_eq!(body["steps"][0]["duration"], 1.5);
        assert_eq!(
            body["text"],
            "remediate@web1: API REMEDIATION_FAILED (run 7, attempt 2): kill ok, start failed"
        );
        assert!(
            body["timestamp"]
                .as_str()
                .is_some_and(|t| t.starts_with("2026-11-18T"))
        );
    }
}
