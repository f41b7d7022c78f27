//! Rendering a [`CheckResult`] for its reader: Nagios, a JSON consumer or Checkmk.

mod checkmk;
mod json;
mod nagios;

use crate::output::CheckResult;

/// NRPE 3's packet limit: the default bound on everything a plugin prints.
pub const DEFAULT_OUTPUT_LIMIT: usize = 64 * 1024;

/// Which reader the output is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// `SERVICE STATE: summary`, `\_[STATE]` long output, perfdata after `|`.
    #[default]
    Nagios,
    /// One JSON object, for jq and scripts.
    Json,
    /// A Checkmk local check line.
    Checkmk,
}

/// A result with the names it is shown under.
#[derive(Debug, Clone, Copy)]
pub struct Report<'a> {
    /// The binary's name, e.g. `check_heartbeat`.
    pub plugin: &'a str,
    /// The short upper-case service name, e.g. `HEARTBEAT`.
    pub service: &'a str,
    /// What the run concluded.
    pub result: &'a CheckResult,
}

impl Report<'_> {
    /// The text to print, at most `limit` bytes, ending in a newline.
    pub fn render(&self, format: OutputFormat, limit: usize) -> String {
        match format {
            OutputFormat::Nagios => nagios::render(self, limit),
            OutputFormat::Json => json::render(self, limit),
            OutputFormat::Checkmk => checkmk::render(self, limit),
        }
    }
}

/// Makes free text safe for a single output line: `|` would start perfdata, so it becomes
/// `¦`; line breaks and other control characters become spaces.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '|' => '¦',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

/// `text` as one line of at most `max` characters for quoting in a message: runs of
/// whitespace (newlines in probe output, Java stack traces) become one space, and a cut
/// text ends in `...`.
pub fn shortened(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(max) {
        Some((at, _)) => format!("{}...", &flat[..at]),
        None => flat,
    }
}

/// Cuts `text` to at most `max` bytes on a character boundary.
fn truncate_to(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Keeps whole lines from `lines` while they fit in `budget` bytes (each with its newline),
/// leaving room for a marker line; returns the kept lines and the marker when some were cut.
fn fit_lines(lines: Vec<String>, budget: usize) -> (Vec<String>, Option<String>) {
    let total: usize = lines.iter().map(|l| l.len() + 1).sum();
    if total <= budget {
        return (lines, None);
    }
    let marker_room = "... 000000000 more lines not shown\n".len();
    let mut used = 0;
    let mut kept = Vec::new();
    let count = lines.len();
    for line in lines {
        if used + line.len() + 1 + marker_room > budget {
            break;
        }
        used += line.len() + 1;
        kept.push(line);
    }
    let marker = format!("... {} more lines not shown", count - kept.len());
    (kept, Some(marker))
}

#[cfg(test)]
mod shortened_tests {
    use super::shortened;

    #[test]
    fn quoted_text_is_one_line_and_cut_with_an_ellipsis() {
        assert_eq!(
            shortened("curl: (7)\n  Failed\tto connect", 80),
            "curl: (7) Failed to connect"
        );
        assert_eq!(shortened("abcdef", 3), "abc...");
        assert_eq!(shortened("héllo", 5), "héllo");
    }
}
