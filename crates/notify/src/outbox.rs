//! The outbox: one delivery thread and queue per target, failures kept for the caller, and
//! a bounded wait at the end.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SendError, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crate::delivery::{Body, Method, Request, agent_for, deliver, seconds};
use crate::redact::redact;

/// Webhooks and pings queued here are sent on background threads; the caller never waits.
///
/// Dropped without [`Outbox::finish`], its threads still send what was queued, but nobody
/// learns how that went.
#[derive(Debug)]
pub struct Outbox {
    /// The limit for each request as a whole: resolving, connecting, sending, the answer.
    timeout: Duration,
    /// By target key: a webhook's URL, a ping's base URL.
    targets: Mutex<BTreeMap<String, Target>>,
    failures: Arc<Mutex<Vec<String>>>,
    running: Arc<RunningThreads>,
}

/// A target's queue, shared with its delivery thread.
#[derive(Debug)]
struct Target {
    queue: Sender<Request>,
    /// Queued or being sent.
    pending: Arc<AtomicUsize>,
    /// The target key, redacted.
    shown_as: String,
}

/// How many delivery threads have not ended yet, and a way to wait for that to change.
#[derive(Debug, Default)]
struct RunningThreads {
    count: Mutex<usize>,
    changed: Condvar,
}

/// Counts a delivery thread as running until it is dropped, however the thread ends.
struct RunningGuard(Arc<RunningThreads>);

impl Drop for RunningGuard {
    fn drop(&mut self) {
        let mut count = lock(&self.0.count);
        *count = count.saturating_sub(1);
        self.0.changed.notify_all();
    }
}

impl Outbox {
    /// An outbox whose requests each give up after `timeout`.
    pub fn new(timeout: Duration) -> Outbox {
        Outbox {
            timeout,
            targets: Mutex::new(BTreeMap::new()),
            failures: Arc::new(Mutex::new(Vec::new())),
            running: Arc::new(RunningThreads::default()),
        }
    }

    /// Queues a JSON POST to `url` with these extra headers and returns at once.
    pub fn post_json(&self, url: &str, headers: &[(String, String)], body: &serde_json::Value) {
        let bytes = body.to_string().into_bytes();
        self.queue(
            url,
            Request {
                what: "webhook".to_owned(),
                method: Method::Post(Body {
                    content_type: "application/json",
                    make: Box::new(move || bytes),
                }),
                url: url.to_owned(),
                headers: headers.to_vec(),
                on_answer: None,
            },
        );
    }

    /// Messages queued or being sent, all targets together.
    pub fn pending(&self) -> usize {
        lock(&self.targets)
            .values()
            .map(|target| target.pending.load(Ordering::SeqCst))
            .sum()
    }

    /// The failures so far, one line each with the URL redacted; they are not kept.
    pub fn take_failures(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.failures))
    }

    /// Closes the queues and waits, at most `wait` in all, for every target's messages to
    /// be sent; returns the failures and one line per target with messages left over.
    ///
    /// Threads still stuck on a target when the wait runs out are left to the process's
    /// exit.
    pub fn finish(self, wait: Duration) -> Vec<String> {
        // `Instant + Duration` panics on overflow; nobody waits a day for a webhook.
        let wait = wait.min(Duration::from_secs(86_400));
        let deadline = Instant::now() + wait;
        // Dropping the senders closes the queues: each thread ends once its queue is empty.
        let targets = std::mem::take(&mut *lock(&self.targets));
        let leftovers: Vec<(String, Arc<AtomicUsize>)> = targets
            .into_values()
            .map(|target| (target.shown_as, target.pending))
            .collect();
        let mut running = lock(&self.running.count);
        while *running > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            running = match self.running.changed.wait_timeout(running, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        drop(running);
        // Counted before the failures are taken: a message that fails in between is then
        // reported twice rather than not at all.
        let left_over: Vec<(String, usize)> = leftovers
            .into_iter()
            .map(|(shown_as, pending)| (shown_as, pending.load(Ordering::SeqCst)))
            .filter(|(_, count)| *count > 0)
            .collect();
        let mut lines = self.take_failures();
        for (shown_as, count) in left_over {
            let messages = if count == 1 { "message" } else { "messages" };
            lines.push(format!(
                "{count} {messages} to {shown_as} not delivered: gave up after {}",
                seconds(wait)
            ));
        }
        lines
    }

    /// Queues a request on the thread of `target`, starting the thread on first use.
    pub(crate) fn queue(&self, target: &str, request: Request) {
        let mut targets = lock(&self.targets);
        let entry = match targets.entry(target.to_owned()) {
            Entry::Occupied(running) => running.into_mut(),
            Entry::Vacant(new) => match self.start_thread(target) {
                Ok(started) => new.insert(started),
                Err(error) => {
                    self.fail(format!(
                        "{} {} not sent: cannot start a delivery thread: {error}",
                        request.what,
                        redact(&request.url)
                    ));
                    return;
                }
            },
        };
        entry.pending.fetch_add(1, Ordering::SeqCst);
        if let Err(SendError(request)) = entry.queue.send(request) {
            entry.pending.fetch_sub(1, Ordering::SeqCst);
            self.fail(format!(
                "{} {} not sent: its delivery thread has stopped",
                request.what,
                redact(&request.url)
            ));
        }
    }

    fn start_thread(&self, target: &str) -> std::io::Result<Target> {
        let (queue, requests) = mpsc::channel();
        let pending = Arc::new(AtomicUsize::new(0));
        *lock(&self.running.count) += 1;
        // Made before the spawn so that a failed spawn, which drops the closure, uncounts.
        let guard = RunningGuard(Arc::clone(&self.running));
        let thread = DeliveryThread {
            target: target.to_owned(),
            timeout: self.timeout,
            pending: Arc::clone(&pending),
            failures: Arc::clone(&self.failures),
        };
        thread::Builder::new()
            .name("notify".to_owned())
            .spawn(move || {
                let _guard = guard;
                thread.send_all(requests);
            })?;
        Ok(Target {
            queue,
            pending,
            shown_as: redact(target),
        })
    }

    fn fail(&self, line: String) {
        lock(&self.failures).push(line);
    }
}

/// What a delivery thread works with.
struct DeliveryThread {
    target: String,
    timeout: Duration,
    pending: Arc<AtomicUsize>,
    failures: Arc<Mutex<Vec<String>>>,
}

impl DeliveryThread {
    /// Sends each request in turn until the queue is closed and empty.
    fn send_all(self, requests: Receiver<Request>) {
        // Made on this thread, on first use: loading the CA bundle is not the caller's wait.
        let mut agent = None;
        for request in requests {
            let agent = agent.get_or_insert_with(|| agent_for(&self.target, self.timeout));
            let what = format!("{} {}", request.what, redact(&request.url));
            let outcome = match agent {
                Ok(agent) => deliver(agent, request, self.timeout),
                Err(why) => Err(why.clone()),
            };
            // The failure is recorded before the message stops counting as pending, so a
            // caller who saw `pending() == 0` also sees the failure.
            if let Err(why) = outcome {
                lock(&self.failures).push(format!("{what} failed: {why}"));
            }
            self.pending.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// A poisoned lock still holds good data here: every critical section is a push, a take or
/// a counter update.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests;
