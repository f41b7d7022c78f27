//! Triage notify: how remediate tells people and other machines what it did.
//!
//! - [`Outbox`] posts webhooks (chat rooms, incident tools) and, through
//!   [`healthchecks::Pinger`], pings a dead man's switch that raises the alarm when
//!   remediate stops reporting.
//! - [`textfile`] writes Prometheus metrics for node_exporter's textfile collector.
//!
//! Deliveries never block the caller: remediate exists to heal services, and a chat server
//! that hangs or a monitoring host that is down must not delay a restart. Each target (a
//! URL) gets its own thread and queue, so a hanging target delays only its own messages,
//! and one target's messages arrive in the order they were queued. At exit,
//! [`Outbox::finish`] waits a bounded time and says what was not delivered. Any URL that
//! reaches a message is [`redact`]ed first: chat webhooks carry their secret in the path.

mod delivery;
pub mod healthchecks;
mod outbox;
mod redact;
pub mod textfile;

#[cfg(test)]
mod test_server;

pub use outbox::Outbox;
pub use redact::redact;
