//! Telling the world: webhooks and the dead man's switch ping (`webhook`), remediate's
//! own heartbeat and the Prometheus textfile (`telemetry`). Deliveries never hold up a
//! recovery, and their failures never change an exit code.

pub mod telemetry;
pub mod webhook;

pub use webhook::{Notice, PassPing, Teller};
