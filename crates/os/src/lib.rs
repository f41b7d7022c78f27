//! The few facts about this host that every layer needs and none should pull a CLI or a
//! plugin runner in for: the wall clock, an I/O error in words, the CAs the system trusts,
//! and files replaced atomically where others can write. A leaf: it depends on no other
//! Triage crate.

pub mod atomic;
pub mod clock;
pub mod io_error;
pub mod private;
pub mod root_certs;

pub use atomic::{Durability, ReplaceError, random_u64, replace_file};
pub use clock::{boot_seconds, now_unix};
pub use io_error::describe_io;
pub use private::{
    PrivateError, check_private_file, check_root_dir, open_private, open_private_append,
    private_dir,
};
pub use root_certs::{RootCerts, RootCertsError, system_root_certs};
