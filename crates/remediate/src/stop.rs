//! Stopping `watch` cleanly: SIGTERM or SIGINT asks the loop to stop; the pass in progress
//! runs no further step and starts no further check, and the wait between passes ends at
//! once.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// A stop request, shared between the signal thread and the work.
#[derive(Debug, Clone, Default)]
pub struct Stop {
    inner: Arc<(Mutex<Option<String>>, Condvar)>,
}

impl Stop {
    /// A request nobody has made yet (never made unless [`Stop::request`] is called).
    pub fn new() -> Stop {
        Stop::default()
    }

    /// A stop that SIGTERM and SIGINT request; a second signal ends the process at once
    /// (the store stays consistent: every write is a transaction, and a run cut short is
    /// marked interrupted by the next remediate).
    pub fn on_signals() -> std::io::Result<Stop> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let stop = Stop::new();
        let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGINT])?;
        let handle = stop.clone();
        std::thread::spawn(move || {
            for signal in signals.forever() {
                let name = if signal == SIGTERM {
                    "SIGTERM"
                } else {
                    "SIGINT"
                };
                if handle.is_requested() {
                    std::process::exit(128 + signal);
                }
                handle.request(name);
            }
        });
        Ok(stop)
    }

    /// Asks everything sharing this stop to stop, saying why.
    pub fn request(&self, why: &str) {
        let (reason, wake) = &*self.inner;
        if let Ok(mut reason) = reason.lock() {
            reason.get_or_insert_with(|| why.to_owned());
        }
        wake.notify_all();
    }

    /// Why a stop was requested, if it was.
    pub fn reason(&self) -> Option<String> {
        self.inner.0.lock().ok().and_then(|reason| reason.clone())
    }

    /// Whether a stop was requested.
    pub fn is_requested(&self) -> bool {
        self.reason().is_some()
    }

    /// Waits up to `wait`; true as soon as a stop is requested.
    pub fn wait(&self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        let (reason, wake) = &*self.inner;
        let Ok(mut guard) = reason.lock() else {
            return true;
        };
        while guard.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            match wake.wait_timeout(guard, left) {
                Ok((next, _)) => guard = next,
                Err(_) => return true,
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_wakes_a_waiter_and_keeps_the_first_reason() {
        let stop = Stop::new();
        assert!(!stop.wait(Duration::from_millis(10)));
        let other = stop.clone();
        let waiter = std::thread::spawn(move || other.wait(Duration::from_secs(30)));
        stop.request("SIGTERM");
        stop.request("SIGINT");
        assert!(waiter.join().expect("waiter"));
        assert_eq!(stop.reason().as_deref(), Some("SIGTERM"));
    }
}
