//! remediate's clocks. Every deadline (grace, backoff, budget windows, cooldowns,
//! maintenance) is kept on the *steady* clock: seconds that look like the epoch's but
//! advance with the boot clock (CLOCK_BOOTTIME), so an NTP step or an operator's `date`
//! neither ends a maintenance window early nor stretches a backoff. The wall clock is
//! only for heartbeat ages and for showing times to people.
//!
//! The steady clock is anchored once per boot (a wall-clock reading and the boot clock at
//! that moment); the store keeps the anchor, so cron's short-lived processes and `watch`
//! share one steady clock. A new boot starts a new anchor from the wall clock.

use std::fmt;
use std::sync::RwLock;

/// Wall-clock steps smaller than this are NTP's ordinary corrections, not a jump.
pub const CLOCK_STEP_TOLERANCE: f64 = 1.0;

/// Where the steady clock stands against the boot clock, in one boot.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Anchor {
    /// The boot this anchor is for (`/proc/sys/kernel/random/boot_id`).
    pub boot_id: String,
    /// The boot clock's reading at the anchor.
    pub boot: f64,
    /// The steady clock's reading at the same moment.
    pub steady: f64,
}

impl Anchor {
    /// A fresh anchor for this boot: the steady clock starts at the wall clock.
    fn fresh() -> Anchor {
        Anchor {
            boot_id: current_boot_id(),
            boot: triage_os::boot_seconds(),
            steady: wall_now(),
        }
    }

    fn read_at(&self, boot: f64) -> f64 {
        self.steady + (boot - self.boot)
    }
}

static ANCHOR: RwLock<Option<Anchor>> = RwLock::new(None);

/// Now, on the steady clock: what every stored time and deadline is measured in.
pub fn now() -> f64 {
    let boot = triage_os::boot_seconds();
    if let Some(anchor) = ANCHOR.read().ok().as_deref().and_then(Option::as_ref) {
        return anchor.read_at(boot);
    }
    let mut slot = ANCHOR
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    slot.get_or_insert_with(Anchor::fresh).read_at(boot)
}

/// Now, on the wall clock: for heartbeat ages and nothing that must not jump.
pub fn wall_now() -> f64 {
    triage_os::now_unix()
}

/// Takes the store's anchor when it is from this boot, so this process counts on the same
/// steady clock as the ones before it; otherwise keeps this process's (starting one if
/// none). Returns the anchor in use, for the store to keep.
pub fn adopt_anchor(stored: Option<Anchor>) -> Anchor {
    let mut slot = ANCHOR
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match stored {
        Some(stored) if stored.boot_id == current_boot_id() => {
            *slot = Some(stored.clone());
            stored
        }
        _ => slot.get_or_insert_with(Anchor::fresh).clone(),
    }
}

/// The anchor this process counts on (starting one if none yet).
pub fn anchor() -> Anchor {
    adopt_anchor(None)
}

/// How far the wall clock is ahead of the steady clock now. It changes only when the
/// wall clock is stepped, so two readings that differ tell of a jump in between.
pub fn wall_offset() -> f64 {
    wall_now() - now()
}

/// A wall-clock step between two readings of [`wall_offset`], if it is more than NTP's
/// ordinary corrections: positive when the wall clock jumped forward.
pub fn clock_step(before: f64, after: f64) -> Option<f64> {
    let step = after - before;
    (step.abs() > CLOCK_STEP_TOLERANCE).then_some(step)
}

fn current_boot_id() -> String {
    // Without /proc the boot cannot be told: every process then anchors anew, which is
    // what a wall-clock-only remediate did.
    triage_proc::boot_id().unwrap_or_default()
}

/// A steady-clock time, shown as the wall clock reads it: `2026-11-23 17:45:59 UTC`, to
/// the second, which is what a person reads.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Time(pub f64);

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = to_wall(self.0);
        match chrono::DateTime::from_timestamp(shown.floor() as i64, 0) {
            Some(at) => write!(f, "{}", at.format("%Y-%m-%d %H:%M:%S UTC")),
            None => write!(f, "{}", self.0),
        }
    }
}

/// A steady-clock time as the wall clock reads it now, for people and for receivers that
/// compare it with their own clocks. Whole seconds: the clocks' sub-second difference is
/// noise, and one time must read the same in every line of a report.
pub fn to_wall(steady: f64) -> f64 {
    let offset = wall_offset().round();
    steady + if offset.is_finite() { offset } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_to_the_second_in_utc() {
        // Unit tests never step the clock, so the two clocks agree to the second.
        assert_eq!(Time(1_795_000_000.9).to_string(), "2026-11-18 11:06:40 UTC");
        assert_eq!(Time(f64::MAX).to_string(), format!("{}", f64::MAX));
    }

    #[test]
    fn the_steady_clock_starts_at_the_wall_clock_and_moves_with_the_boot_clock() {
        let (steady, wall) = (now(), wall_now());
        assert!((steady - wall).abs() < 5.0, "steady {steady}, wall {wall}");
        let later = now();
        assert!(later >= steady);
    }

    #[test]
    fn an_anchor_from_another_boot_is_not_taken() {
        let ours = adopt_anchor(None);
        let stale = Anchor {
            boot_id: "00000000-0000-0000-0000-000000000000".into(),
            boot: 1.0,
            steady: 1.0,
        };
        assert_eq!(adopt_anchor(Some(stale)), ours);
    }

    #[test]
    fn steps_beyond_the_tolerance_are_jumps() {
        assert_eq!(clock_step(0.2, 0.9), None);
        assert_eq!(clock_step(0.0, -30.0), Some(-30.0));
        assert_eq!(clock_step(5.0, 3605.0), Some(3600.0));
    }
}
