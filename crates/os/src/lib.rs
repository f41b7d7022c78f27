//! The few facts about this host that every layer needs and none should pull a CLI or a
//! plugin runner in for: the wall clock, an I/O error in words, and the CAs the system
//! trusts. A leaf: it depends on no other Triage crate.

pub mod clock;
pub mod io_error;
pub mod root_certs;

pub use clock::now_unix;
pub use io_error::describe_io;
pub use root_certs::{RootCerts, RootCertsError, system_root_certs};
