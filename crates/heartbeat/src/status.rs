//! What a process says about itself in the `status` field.

/// The classes of self-reported status the check distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportedStatus {
    /// `running`, `ok`, `starting`, `idle` or anything not listed below: no complaint.
    Running,
    /// `degraded`, `warning`: working, but not well.
    Degraded,
    /// `error`, `failed`, `critical`: the process says it is broken.
    Failed,
    /// `stopped`, `stopping`: it stopped on purpose.
    Stopped,
}

impl ReportedStatus {
    /// Classifies a status word, ignoring case and surrounding space.
    pub fn classify(status: &str) -> ReportedStatus {
        match status.trim().to_ascii_lowercase().as_str() {
            "degraded" | "warning" | "warn" => ReportedStatus::Degraded,
            "error" | "failed" | "failure" | "critical" => ReportedStatus::Failed,
            "stopped" | "stopping" => ReportedStatus::Stopped,
            _ => ReportedStatus::Running,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_vocabulary_maps_to_classes() {
        assert_eq!(ReportedStatus::classify("running"), ReportedStatus::Running);
        assert_eq!(ReportedStatus::classify("OK"), ReportedStatus::Running);
        assert_eq!(
            ReportedStatus::classify("degraded"),
            ReportedStatus::Degraded
        );
        assert_eq!(
            ReportedStatus::classify("Warning"),
            ReportedStatus::Degraded
        );
        assert_eq!(ReportedStatus::classify("error"), ReportedStatus::Failed);
        assert_eq!(ReportedStatus::classify("failed"), ReportedStatus::Failed);
        assert_eq!(ReportedStatus::classify("stopped"), ReportedStatus::Stopped);
        assert_eq!(
            ReportedStatus::classify(" stopping "),
            ReportedStatus::Stopped
        );
        assert_eq!(
            ReportedStatus::classify("starting"),
            ReportedStatus::Running
        );
    }
}
