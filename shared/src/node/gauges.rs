//! Counts a node process keeps between heartbeats (its status reports them).

use std::sync::atomic::{AtomicU64, Ordering};

/// Counts a node process keeps between heartbeats.
#[derive(Debug, Default)]
pub struct Gauges {
    pub downloads_active: AtomicU64,
    pub downloads_at_risk: AtomicU64,
    pub unknown_files: AtomicU64,
    /// Bytes fetched by finished downloads since the process started, and the time they took.
    pub downloaded_bytes: AtomicU64,
    pub download_millis: AtomicU64,
}

impl Gauges {
    /// A download finished: `bytes` fetched (not counting what a `.part` already held) in `took`.
    pub fn downloaded(&self, bytes: u64, took: std::time::Duration) {
        self.downloaded_bytes.fetch_add(bytes, Ordering::Relaxed);
        self.download_millis.fetch_add(took.as_millis() as u64, Ordering::Relaxed);
    }
}
