//! The heartbeat file: a small JSON document a process rewrites to prove it is alive and
//! making progress. The format is the Watchdog one, extended with optional fields that make
//! the check exact (see `Heartbeat`).

mod document;
mod read;
mod status;
mod timestamp;
mod write;

pub use document::{Heartbeat, default_key};
pub use read::{
    FileOwner, MAX_HEARTBEAT_BYTES, ReadError, ReadOptions, TORN_READ_RETRY, file_mtime,
    read_heartbeat, read_heartbeat_once, read_owned_heartbeat,
};
pub use status::ReportedStatus;
pub use timestamp::{Timestamp, now_unix};
pub use write::{HeartbeatWriter, WriteError, write_atomic};
