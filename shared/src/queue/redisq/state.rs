//! What one worker's persistence (driven by apalis) and its lease renewer (a task of its own)
//! share.

use std::{
    collections::HashSet,
    sync::{
        Mutex, MutexGuard,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

#[derive(Default)]
pub(super) struct WorkerState {
    /// The jobs this worker holds, fetched and not yet settled: running, or waiting in apalis's
    /// buffer for a free slot. The renewer renews their leases.
    held: Mutex<HashSet<String>>,
    /// When this worker last did the fetch chores (ms).
    pub chores_at: AtomicU64,
    /// Whether the renewer has been started (once per worker).
    renewer: AtomicBool,
}

impl WorkerState {
    pub fn held(&self) -> MutexGuard<'_, HashSet<String>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// True the first time only: the caller starts the renewer.
    pub fn start_renewer(&self) -> bool {
        !self.renewer.swap(true, Ordering::SeqCst)
    }
}
