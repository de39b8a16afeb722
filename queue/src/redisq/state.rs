//! What one worker's persistence (driven by apalis), its lease renewer and its wake-up stream
//! share (each worker its own).

use std::{
    collections::HashSet,
    sync::{
        Mutex, MutexGuard,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

use apalis_core::task::Task;
use tokio::{sync::Notify, task::JoinHandle};

use super::error::RedisQueueError;

/// A fetch made ahead, while the batch before it runs.
pub(super) type Ahead = JoinHandle<Result<Vec<Task<Vec<u8>>>, RedisQueueError>>;
/// An acknowledgement under way on a call of its own.
pub(super) type Acking = JoinHandle<Result<(), RedisQueueError>>;

/// `next_due` when nothing in the queue is due at any time.
const NEVER: u64 = u64::MAX;

pub(super) struct WorkerState {
    /// The jobs this worker holds, fetched and not yet settled: running, or waiting in apalis's
    /// buffer for a free slot. The renewer renews their leases.
    held: Mutex<HashSet<String>>,
    /// When this worker last did the fetch chores (ms).
    pub chores_at: AtomicU64,
    /// When this worker's acknowledgement last applied the retention's age limit (ms).
    pub aged_at: AtomicU64,
    /// Since when Redis has been away for this worker's fetches (ms; 0: it is not).
    pub away_since: AtomicU64,
    /// Whether the renewer has been started (once per worker).
    renewer: AtomicBool,
    /// When something in the queue next becomes due (ms), as the last fetch that took no job
    /// saw it: a delayed job or retry, or a lease that runs out.
    next_due: AtomicU64,
    /// The wake-up stream asked for a fetch (a signal, a due time, the idle cap) that has not
    /// been made yet. True at the start: the first fetch looks.
    asked: AtomicBool,
    /// The last fetch took a full batch: the next one looks again.
    had_jobs: AtomicBool,
    /// `next_due` changed: the wake-up stream re-arms its timer.
    pub due_changed: Notify,
    /// The next batch, fetched while this one runs (`QueueConfig::prefetch`).
    ahead: Mutex<Option<Ahead>>,
    /// The last batch of acknowledgements, while it is written (`QueueConfig::prefetch`).
    acking: Mutex<Option<Acking>>,
}

impl Default for WorkerState {
    fn default() -> Self {
        Self {
            held: Mutex::default(),
            chores_at: AtomicU64::new(0),
            aged_at: AtomicU64::new(0),
            away_since: AtomicU64::new(0),
            renewer: AtomicBool::new(false),
            next_due: AtomicU64::new(NEVER),
            asked: AtomicBool::new(true),
            had_jobs: AtomicBool::new(false),
            due_changed: Notify::new(),
            ahead: Mutex::default(),
            acking: Mutex::default(),
        }
    }
}

impl WorkerState {
    pub(super) fn held(&self) -> MutexGuard<'_, HashSet<String>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// True the first time only: the caller starts the renewer.
    pub(super) fn start_renewer(&self) -> bool {
        !self.renewer.swap(true, Ordering::SeqCst)
    }

    pub(super) fn set_ahead(&self, fetch: Ahead) {
        *self.ahead.lock().unwrap_or_else(|e| e.into_inner()) = Some(fetch);
    }

    pub(super) fn take_ahead(&self) -> Option<Ahead> {
        self.ahead.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    pub(super) fn set_acking(&self, ack: Acking) {
        *self.acking.lock().unwrap_or_else(|e| e.into_inner()) = Some(ack);
    }

    pub(super) fn take_acking(&self) -> Option<Acking> {
        self.acking.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    pub(super) fn ask(&self) {
        self.asked.store(true, Ordering::SeqCst);
    }

    pub(super) fn is_asked(&self) -> bool {
        self.asked.load(Ordering::SeqCst)
    }

    /// Whether a fetch at `now` should go to Redis: something asked for it, the last fetch took
    /// jobs, or something is due. Takes the ask.
    pub(super) fn should_fetch(&self, now: u64) -> bool {
        let asked = self.asked.swap(false, Ordering::SeqCst);
        asked || self.had_jobs.load(Ordering::SeqCst) || self.next_due.load(Ordering::SeqCst) <= now
    }

    /// The last look took a full batch: more may wait, so the next looks at once.
    pub(super) fn fetched(&self, more_may_wait: bool) {
        self.had_jobs.store(more_may_wait, Ordering::SeqCst);
    }

    pub(super) fn next_due(&self) -> Option<u64> {
        Some(self.next_due.load(Ordering::SeqCst)).filter(|&due| due != NEVER)
    }

    pub(super) fn set_next_due(&self, due: Option<u64>) {
        let due = due.unwrap_or(NEVER);
        if self.next_due.swap(due, Ordering::SeqCst) != due {
            self.due_changed.notify_one();
        }
    }
}
