//! The I/O: walks the process table and reads, per process, only the facts the next
//! filter needs, cheapest filters first, so a process that fails `-C` costs one small read.
//! Processes that exit mid-scan are skipped.

use std::time::{Duration, Instant};

use triage_proc::{Clock, Pid, ProcError, ProcFs};

use crate::facts::{Need, ProcessFacts};
use crate::filter::Filter;

/// The matched processes and what the walk saw.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// Processes that passed every filter, in PID order, with the facts the output needs.
    pub matched: Vec<ProcessFacts>,
    /// Processes considered (the table minus the check itself and its parent).
    pub considered: usize,
    /// Processes that exited, or whose files could not be read, during the scan.
    pub skipped: usize,
}

/// One walk over a procfs.
pub struct Scanner<'a> {
    procfs: &'a mut ProcFs,
    clock: Clock,
    /// Filters, cheapest first.
    filters: Vec<&'a Filter>,
    /// Facts every matched process must carry for the metric and the output.
    output_needs: Need,
    /// Read the stat file rather than `comm` when it will be needed anyway.
    stat_wanted: bool,
}

impl<'a> Scanner<'a> {
    /// Prepares a walk applying `filters` and loading `output_needs` for the matches.
    pub fn new(
        procfs: &'a mut ProcFs,
        clock: Clock,
        filters: &'a [Filter],
        output_needs: Need,
    ) -> Scanner<'a> {
        let mut ordered: Vec<&Filter> = filters.iter().collect();
        ordered.sort_by_key(|filter| filter.needs().cost());
        let all_needs = ordered
            .iter()
            .fold(output_needs, |need, filter| need | filter.needs());
        Scanner {
            procfs,
            clock,
            filters: ordered,
            output_needs,
            stat_wanted: all_needs.contains(Need::STAT),
        }
    }

    /// Walks every process except `excluded` (the check itself and its parent).
    pub fn scan(&mut self, excluded: &[Pid]) -> Result<Scan, ProcError> {
        let pids = self.procfs.pids()?;
        let mut scan = Scan::default();
        'process: for pid in pids {
            if excluded.contains(&pid) {
                continue;
            }
            scan.considered += 1;
            let mut facts = ProcessFacts::new(pid);
            for index in 0..self.filters.len() {
                let filter = self.filters[index];
                if !self.load(&mut facts, filter.needs()) {
                    scan.skipped += 1;
                    continue 'process;
                }
                if !filter.matches(&facts) {
                    continue 'process;
                }
            }
            if !self.load(&mut facts, self.output_needs) {
                scan.skipped += 1;
                continue;
            }
            scan.matched.push(facts);
        }
        Ok(scan)
    }

    /// Reads the facts in `need` not read yet; false when the process is gone or its
    /// files cannot be read.
    fn load(&mut self, facts: &mut ProcessFacts, need: Need) -> bool {
        let missing = need.without(facts.loaded);
        if missing == Need::NONE {
            return true;
        }
        // Unreadable (hidepid, a race with exec) counts as gone: like ps, leave it out.
        self.read(facts, missing).unwrap_or_default()
    }

    fn read(&mut self, facts: &mut ProcessFacts, missing: Need) -> Result<bool, ProcError> {
        let pid = facts.pid;
        let stat_now =
            missing.contains(Need::STAT) || (missing.contains(Need::COMM) && self.stat_wanted);
        if stat_now && !facts.loaded.contains(Need::STAT) {
            let Some(stat) = self.procfs.stat(pid)? else {
                return Ok(false);
            };
            facts.elapsed_s = Some(self.clock.elapsed_s(&stat));
            facts.cpu_percent = Some(self.clock.lifetime_cpu_percent(&stat));
            facts.stat = Some(stat);
            facts.loaded |= Need::STAT | Need::COMM;
        }
        if missing.contains(Need::COMM) && !facts.loaded.contains(Need::COMM) {
            let Some(comm) = self.procfs.comm(pid)? else {
                return Ok(false);
            };
            facts.comm = Some(comm);
            facts.loaded |= Need::COMM;
        }
        if missing.contains(Need::UID) {
            let Some(uid) = self.procfs.euid(pid)? else {
                return Ok(false);
            };
            facts.euid = Some(uid);
            facts.loaded |= Need::UID;
        }
        if missing.contains(Need::LOCKED) {
            let Some(status) = self.procfs.status(pid)? else {
                return Ok(false);
            };
            facts.locked_kib = Some(status.locked_kib);
            facts.euid = Some(status.euid);
            facts.loaded |= Need::LOCKED | Need::UID;
        }
        if missing.contains(Need::MEMORY) {
            let Some(memory) = self.procfs.memory(pid)? else {
                return Ok(false);
            };
            facts.memory = Some(memory);
            facts.loaded |= Need::MEMORY;
        }
        if missing.contains(Need::ARGV) {
            let Some(argv) = self.procfs.cmdline(pid)? else {
                return Ok(false);
            };
            let empty = argv.is_empty();
            facts.argv = Some(argv);
            facts.loaded |= Need::ARGV;
            // `ps args` shows `[comm]` (and `<defunct>`) for an empty command line.
            if empty && !self.read(facts, Need::STAT)? {
                return Ok(false);
            }
        }
        if missing.contains(Need::CGROUP) {
            let Some(cgroup) = self.procfs.cgroup(pid)? else {
                return Ok(false);
            };
            facts.cgroup = Some(cgroup);
            facts.loaded |= Need::CGROUP;
        }
        if missing.contains(Need::EXE) {
            facts.exe_name = self.procfs.exe_name(pid);
            facts.loaded |= Need::EXE;
        }
        Ok(true)
    }

    /// `--cpu-sample`: reads each process's CPU time twice, `interval` apart, and replaces
    /// the lifetime %CPU with the rate in between. Processes that exit (or whose PID is
    /// reused) meanwhile are dropped.
    pub fn sample_cpu(
        &mut self,
        processes: Vec<ProcessFacts>,
        interval: Duration,
        deadline: Option<Instant>,
    ) -> Vec<ProcessFacts> {
        let first = self.cpu_snapshot(&processes);
        let started = Instant::now();
        let wait = match deadline {
            Some(deadline) => interval.min(deadline.saturating_duration_since(started)),
            None => interval,
        };
        std::thread::sleep(wait);
        let second = self.cpu_snapshot(&processes);
        let seconds = started.elapsed().as_secs_f64().max(1e-3);
        let ticks_per_s = self.clock.ticks_per_s as f64;
        processes
            .into_iter()
            .zip(first.into_iter().zip(second))
            .filter_map(|(mut facts, pair)| match pair {
                (Some((start, before)), Some((same_start, after))) if start == same_start => {
                    let ticks = after.saturating_sub(before) as f64;
                    facts.cpu_percent = Some(ticks / ticks_per_s / seconds * 100.0);
                    Some(facts)
                }
                _ => None,
            })
            .collect()
    }

    /// (start ticks, CPU ticks) of each process now; `None` for one that is gone.
    fn cpu_snapshot(&mut self, processes: &[ProcessFacts]) -> Vec<Option<(u64, u64)>> {
        processes
            .iter()
            .map(|facts| {
                let stat = self.procfs.stat(facts.pid).ok().flatten()?;
                Some((stat.start_ticks, stat.cpu_ticks()))
            })
            .collect()
    }
}
