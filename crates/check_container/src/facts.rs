//! What the engine told us about each selected container.

use triage_docker::{ContainerInspect, MemoryUse};

use crate::restarts::RestartHistory;

/// Everything known about one container, gathered before any judging.
#[derive(Debug, Clone)]
pub struct ContainerFacts {
    /// The name shown (without Docker's leading `/`).
    pub name: String,
    /// The inspect answer, or why there is none.
    pub inspect: Result<ContainerInspect, String>,
    /// Restarts since the last check.
    pub restarts: RestartHistory,
    /// CPU and memory, when asked for: the figures, or why there are none.
    pub usage: Option<Result<Usage, String>>,
}

/// CPU and memory figures of a running container.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    /// % of one CPU.
    pub cpu_percent: Option<f64>,
    /// Memory in use and its limit.
    pub memory: Option<MemoryUse>,
    /// CPUs the host has online (the most a container can use without a limit).
    pub online_cpus: Option<u32>,
}

/// Facts about the run as a whole.
#[derive(Debug, Clone)]
pub struct RunFacts {
    /// When the facts were gathered (seconds since the epoch).
    pub now: f64,
    /// `Docker, API 1.41, unix:///var/run/docker.sock`.
    pub engine: String,
    /// Podman never reports OOM kills, so exit 137 stays unexplained.
    pub podman: bool,
}
