//! Asking the engine: one list, then inspect (and stats when asked) for each selected
//! container, several at a time.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use triage_docker::{
    ContainerSummary, DockerClient, EngineError, cpu_percent_between, cpu_percent_from_sample,
    memory_use,
};

use crate::facts::{ContainerFacts, Usage};
use crate::restarts::{RestartHistory, RestartRecord, RestartStore};

/// Requests in flight at once: enough to hide the daemon's latency, few enough not to
/// load it.
const WORKERS: usize = 8;

/// How far apart two CPU samples are when the engine cannot pair them itself (Podman).
const CPU_SAMPLE_GAP: Duration = Duration::from_secs(1);

/// Inspects each container in `chosen` (and reads its stats when `stats`), in the order
/// given, then records restarts when `store` tracks them.
pub fn gather(
    client: &DockerClient,
    chosen: &[&ContainerSummary],
    stats: bool,
    store: Option<&RestartStore>,
) -> Vec<ContainerFacts> {
    let results: Vec<Mutex<Option<ContainerFacts>>> =
        chosen.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..WORKERS.min(chosen.len()) {
            scope.spawn(|| {
                loop {
                    let at = next.fetch_add(1, Ordering::SeqCst);
                    let Some(summary) = chosen.get(at) else {
                        break;
                    };
                    let facts = gather_one(client, summary, stats);
                    if let Ok(mut slot) = results[at].lock() {
                        *slot = Some(facts);
                    }
                }
            });
        }
    });
    let mut facts: Vec<ContainerFacts> = results
        .into_iter()
        .zip(chosen)
        .map(|(slot, summary)| {
            slot.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| ContainerFacts {
                    name: summary.name().to_owned(),
                    inspect: Err("the check's worker thread failed".into()),
                    restarts: RestartHistory::NotTracked,
                    usage: None,
                })
        })
        .collect();
    if let Some(store) = store {
        for fact in &mut facts {
            if let Ok(inspect) = &fact.inspect {
                let record = RestartRecord {
                    id: inspect.id.clone(),
                    restart_count: inspect.restart_count,
                    started_at: inspect.state.started_at.clone(),
                };
                fact.restarts = store.observe(&fact.name, &record);
            }
        }
    }
    facts
}

fn gather_one(client: &DockerClient, summary: &ContainerSummary, stats: bool) -> ContainerFacts {
    let inspect = client.inspect(&summary.id).map_err(|error| match error {
        // Removed between the list and now.
        EngineError::NotFound { .. } => "removed while being checked".to_owned(),
        other => other.to_string(),
    });
    let running = inspect
        .as_ref()
        .is_ok_and(|i| matches!(i.state.status.as_str(), "running" | "paused"));
    let usage = (stats && running).then(|| usage(client, &summary.id).map_err(|e| e.to_string()));
    ContainerFacts {
        name: summary.name().to_owned(),
        inspect,
        restarts: RestartHistory::NotTracked,
        usage,
    }
}

/// CPU and memory as `docker stats` shows them. Docker pairs the sample with the previous
/// one itself (about a second); Podman does not, so a second sample follows a second later.
fn usage(client: &DockerClient, id: &str) -> Result<Usage, EngineError> {
    let Some(first) = client.stats(id, false)? else {
        return Ok(Usage::default());
    };
    let online = match first.cpu_stats.online_cpus {
        0 => first.cpu_stats.cpu_usage.percpu_usage.len() as u32,
        n => n,
    };
    let mut usage = Usage {
        cpu_percent: cpu_percent_from_sample(&first),
        memory: memory_use(&first),
        online_cpus: (online > 0).then_some(online),
    };
    if usage.cpu_percent.is_none() {
        std::thread::sleep(CPU_SAMPLE_GAP);
        if let Some(second) = client.stats(id, true)? {
            usage.cpu_percent = cpu_percent_between(&first, &second);
            usage.memory = memory_use(&second).or(usage.memory);
        }
    }
    Ok(usage)
}
