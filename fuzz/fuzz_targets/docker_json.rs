//! Engine API answers: the HTTP framing (`Content-Length`, chunks, end of connection) as
//! `DockerClient` reads it from its socket, then the body decoded into the container
//! list, inspect and stats models and the figures computed from them. Never panic; a
//! decoded body never exceeds the limit.

#![no_main]

use libfuzzer_sys::fuzz_target;
use triage_docker::{
    ContainerInspect, ContainerSummary, Stats, cpu_percent_between, cpu_percent_from_sample,
    memory_use, read_response, select, short_id, unix_time,
};

/// Small enough that the fuzzer reaches the limit.
const MAX_BODY: usize = 64 * 1024;

fuzz_target!(|bytes: &[u8]| {
    // A whole answer, head and body, as the socket delivers it.
    for method in ["GET", "HEAD", "POST"] {
        if let Ok(response) = read_response(bytes, method, MAX_BODY) {
            assert!(response.body.len() <= MAX_BODY);
            assert!((100..600).contains(&response.status));
            decode(&response.body);
        }
    }
    // The body alone, so mutations reach the JSON decoders without keeping a valid head.
    decode(bytes);
});

fn decode(body: &[u8]) {
    if let Ok(containers) = serde_json::from_slice::<Vec<ContainerSummary>>(body) {
        for container in &containers {
            let _ = (container.name(), short_id(&container.id));
            let _ = container.plain_names().count();
            let _ = select(&containers, container.name());
        }
        let _ = select(&containers, "web");
    }
    if let Ok(inspect) = serde_json::from_slice::<ContainerInspect>(body) {
        let _ = (inspect.plain_name(), short_id(&inspect.id));
        let _ = unix_time(&inspect.state.started_at);
        let _ = unix_time(&inspect.state.finished_at);
    }
    if let Ok(stats) = serde_json::from_slice::<Stats>(body) {
        if let Some(memory) = memory_use(&stats) {
            assert!(memory.used <= stats.memory_stats.usage);
            let _ = memory.percent();
        }
        let _ = cpu_percent_from_sample(&stats);
        let _ = cpu_percent_between(&stats, &stats);
    }
}
