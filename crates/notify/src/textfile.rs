//! Prometheus metrics for node_exporter's textfile collector, which reads every `*.prom`
//! file in its directory at each scrape, possibly while we write one: the file is replaced
//! by a rename, so a scrape sees the old version or the new one, never half of one.

mod exposition;

use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

pub use exposition::{Exposition, ExpositionError, Family, MetricKind};

/// node_exporter usually runs as another user: the file must be readable by everyone.
const MODE: u32 = 0o644;

/// Replaces `path` (which must end in `.prom`) with `text`, atomically for readers.
pub fn write_atomically(path: &Path, text: &str) -> io::Result<()> {
    // The temporary file beside it is `.NAME.prom.RANDOM.tmp`: never read by the collector.
    if !path
        .file_name()
        .is_some_and(|name| name.as_bytes().ends_with(b".prom"))
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{}: the textfile collector reads only files named *.prom; \
                 refusing to write a file it would ignore",
                path.display()
            ),
        ));
    };
    Ok(triage_os::replace_file(
        path,
        text.as_bytes(),
        MODE,
        triage_os::Durability::Sync,
    )?)
}

#[cfg(test)]
mod tests;
