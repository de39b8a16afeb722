//! What the file server keeps: its files, its knobs, and what it counted.

use std::{
    collections::HashMap,
    sync::{Mutex, atomic::AtomicU64},
    time::Instant,
};

use bytes::Bytes;
use tokio_util::sync::CancellationToken;

/// What the server sends per body chunk.
pub const CHUNK: usize = 64 * 1024;

#[derive(Debug, Clone, Default)]
pub struct Knobs {
    /// Send at most this many bytes per second.
    pub rate: Option<u64>,
    /// Cut the next response's connection after this many body bytes (once).
    pub cut_once_after: Option<u64>,
    /// Answer every request with the whole file, as servers without Range support do.
    pub ignore_range: bool,
    /// Answer the next this-many requests with `fail_status` (a flaky or broken origin).
    pub fail_next: u32,
    pub fail_status: u16,
    /// Send nothing from this byte of the file on, the connection held open (a stalled source).
    pub stall_after: Option<u64>,
    /// The file ends at this byte for every response, though the headers announce all of it:
    /// the connection closes early (a truncated source).
    pub truncate_at: Option<u64>,
    /// Send no Content-Length (the body is chunked).
    pub no_length: bool,
    /// A `206` carries this many bytes more than its Content-Range says.
    pub overlong_by: u64,
    /// The file is sent over and over, chunked (no Content-Length) and without end, paced by
    /// `rate`: an endless source.
    pub endless: bool,
}

pub(super) struct Served {
    pub(super) bytes: Bytes,
    pub(super) etag: String,
}

#[derive(Default)]
pub(super) struct Shared {
    pub(super) files: Mutex<HashMap<String, Served>>,
    pub(super) redirects: Mutex<HashMap<String, String>>,
    pub(super) knobs: Mutex<Knobs>,
    pub(super) requests: AtomicU64,
    pub(super) requests_by_path: Mutex<HashMap<String, u64>>,
    pub(super) requests_by_agent: Mutex<HashMap<(String, String), u64>>,
    pub(super) request_log: Mutex<Vec<(String, Instant)>>,
    pub(super) range_starts: Mutex<Vec<Option<u64>>>,
    pub(super) request_times: Mutex<Vec<Instant>>,
    pub(super) bytes_sent: AtomicU64,
    pub(super) versions: AtomicU64,
    /// Cancelled when the server stops: ends the stalled responses.
    pub(super) stop: CancellationToken,
}
