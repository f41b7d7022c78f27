//! Operating-system errors in words a user reads: `triage-os`'s helper, at its old path.

pub use triage_os::describe_io;
