//! The Docker Engine API, which Podman also serves: a small synchronous client for the
//! plugins and `remediate`, over a Unix socket or plain TCP.

mod address;
mod client;
mod error;
mod http;
mod model;
mod selection;
mod stats;

pub use address::EngineAddress;
pub use client::{ApiVersion, DockerClient, EngineKind, MAX_API_VERSION};
pub use error::EngineError;
#[doc(hidden)]
pub use http::{Response, read_response};
pub use model::{
    ContainerConfig, ContainerInspect, ContainerState, ContainerSummary, CpuStats, CpuUsage,
    Health, HealthProbe, Healthcheck, HostConfig, Labels, MemoryStats, RestartPolicy, Stats,
    short_id, unix_time,
};
pub use selection::select;
pub use stats::{MemoryUse, cpu_percent_between, cpu_percent_from_sample, memory_use};
