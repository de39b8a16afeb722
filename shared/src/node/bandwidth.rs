//! `NODE_BANDWIDTH`: one budget for all the downloads of a node process, beside each
//! download's own `DOWNLOAD_RATE`. A single dispatcher grants bytes at the node's rate; when
//! several downloads wait, the one whose class starts soonest is served first, so it finishes
//! first. Every `STARVE_EVERY`-th grant goes to the download that has waited longest instead,
//! so that a later class's connection keeps moving (a source may drop a connection nobody reads).
//! A download pays for a chunk after it arrived, as `Throttle` does, except its first
//! `PREPAID_BYTES`, paid before its first read: otherwise every download starting would take a
//! chunk the budget never saw.

use std::{cmp::Ordering, collections::BinaryHeap, time::Duration};

use tokio::{
    sync::{mpsc, oneshot},
    time::Instant,
};

use crate::config::Rate;

/// Idle time banks at most this much: a window of ≥ 5 s is off by < 1% at 1m.
const BURST_BYTES: u64 = 32 * 1024;
/// One grant in this many goes to the longest waiting download, whatever its class.
const STARVE_EVERY: u64 = 16;
/// Paid before a download's first read: about the first chunk a source sends.
const PREPAID_BYTES: u64 = 64 * 1024;

/// The node's shared budget; cheap to clone. `unlimited` grants at once.
#[derive(Clone, Default)]
pub struct Bandwidth {
    requests: Option<mpsc::UnboundedSender<Request>>,
}

/// A download's place in the budget: the lower `priority` (its class's start, Unix seconds),
/// the sooner it is served.
#[derive(Clone, Copy)]
pub struct Share<'a> {
    pub bandwidth: &'a Bandwidth,
    pub priority: i64,
}

impl Share<'_> {
    /// A download with no class start is served after every dated one.
    pub const UNDATED: i64 = i64::MAX;
}

/// One download's payments to the budget (none without a share).
pub struct Pacer<'a> {
    share: Option<Share<'a>>,
    credit: u64,
}

impl<'a> Pacer<'a> {
    pub fn new(share: Option<Share<'a>>) -> Self {
        Self { share, credit: 0 }
    }

    /// Before the first read: pays for the first chunk ahead.
    pub async fn prepay(&mut self) {
        if let Some(share) = self.share.filter(|s| s.bandwidth.is_capped()) {
            share.bandwidth.take(share.priority, PREPAID_BYTES as usize).await;
            self.credit = PREPAID_BYTES;
        }
    }

    /// After a chunk of `bytes` arrived: waits until the budget has room for it.
    pub async fn take(&mut self, bytes: usize) {
        let Some(share) = self.share else { return };
        let owed = (bytes as u64).saturating_sub(self.credit);
        self.credit = self.credit.saturating_sub(bytes as u64);
        if owed > 0 {
            share.bandwidth.take(share.priority, owed as usize).await;
        }
    }
}

struct Request {
    priority: i64,
    seq: u64,
    bytes: u64,
    granted: oneshot::Sender<()>,
}

impl Bandwidth {
    /// The budget at `rate`; spawns its dispatcher on the current runtime when capped.
    pub fn new(rate: Rate) -> Self {
        let Some(bytes_per_sec) = rate.bytes_per_sec() else { return Self::default() };
        let (requests, inbox) = mpsc::unbounded_channel();
        tokio::spawn(dispatch(bytes_per_sec.max(1), inbox));
        Self { requests: Some(requests) }
    }

    pub fn is_capped(&self) -> bool {
        self.requests.is_some()
    }

    /// Waits until `bytes` more may be taken by a download of `priority`.
    pub async fn take(&self, priority: i64, bytes: usize) {
        let Some(requests) = &self.requests else { return };
        let (granted, wait) = oneshot::channel();
        let request = Request { priority, seq: 0, bytes: bytes as u64, granted };
        if requests.send(request).is_ok() {
            // The dispatcher only ends when every sender is gone; a closed grant means the
            // same, and then there is no budget left to keep.
            let _ = wait.await;
        }
    }
}

async fn dispatch(bytes_per_sec: u64, mut inbox: mpsc::UnboundedReceiver<Request>) {
    let burst = nanos(BURST_BYTES, bytes_per_sec);
    let mut queue = Waiting::default();
    let mut next_free = Instant::now();
    loop {
        if queue.is_empty() {
            match inbox.recv().await {
                Some(request) => queue.push(request),
                None => return,
            }
        }
        let now = Instant::now();
        next_free = next_free.max(now.checked_sub(burst).unwrap_or(now));
        if next_free > now {
            tokio::time::sleep_until(next_free).await;
        }
        // Whoever asked while we waited competes for this grant too. The grant opens the
        // slot (the download granted writes and asks again while it runs, so the soonest class
        // is back in the queue when the next slot is chosen); the chunk it pays for has already
        // arrived, so the bytes through by any instant exceed the rate by at most one chunk.
        while let Ok(request) = inbox.try_recv() {
            queue.push(request);
        }
        let Some(request) = queue.pop() else { continue };
        if request.granted.is_closed() {
            continue; // its download stopped (cancelled, failed): nothing was taken
        }
        next_free += nanos(request.bytes, bytes_per_sec);
        let _ = request.granted.send(());
    }
}

fn nanos(bytes: u64, bytes_per_sec: u64) -> Duration {
    Duration::from_nanos((u128::from(bytes) * 1_000_000_000 / u128::from(bytes_per_sec)) as u64)
}

/// The waiting requests: soonest class first, with a turn now and then for the oldest.
#[derive(Default)]
struct Waiting {
    by_priority: BinaryHeap<ByPriority>,
    next_seq: u64,
    grants: u64,
}

impl Waiting {
    fn is_empty(&self) -> bool {
        self.by_priority.is_empty()
    }

    fn push(&mut self, mut request: Request) {
        request.seq = self.next_seq;
        self.next_seq += 1;
        self.by_priority.push(ByPriority(request));
    }

    fn pop(&mut self) -> Option<Request> {
        self.grants += 1;
        if self.grants.is_multiple_of(STARVE_EVERY) && self.by_priority.len() > 1 {
            let mut all = std::mem::take(&mut self.by_priority).into_vec();
            let oldest = (0..all.len()).min_by_key(|&i| all[i].0.seq)?;
            let request = all.swap_remove(oldest).0;
            self.by_priority = all.into();
            return Some(request);
        }
        self.by_priority.pop().map(|entry| entry.0)
    }
}

/// Max-heap order reversed: the lowest (priority, seq) on top.
struct ByPriority(Request);

impl Ord for ByPriority {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.0.priority, other.0.seq).cmp(&(self.0.priority, self.0.seq))
    }
}

impl PartialOrd for ByPriority {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ByPriority {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ByPriority {}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(priority: i64) -> (Request, oneshot::Receiver<()>) {
        let (granted, wait) = oneshot::channel();
        (Request { priority, seq: 0, bytes: 1, granted }, wait)
    }

    #[test]
    fn the_soonest_class_is_served_first_and_the_oldest_now_and_then() {
        let mut queue = Waiting::default();
        let mut receivers = Vec::new();
        let (late, rx) = request(300);
        queue.push(late);
        receivers.push(rx);
        for _ in 0..STARVE_EVERY {
            let (soon, rx) = request(100);
            queue.push(soon);
            receivers.push(rx);
        }
        let order: Vec<i64> = (0..STARVE_EVERY).map(|_| queue.pop().unwrap().priority).collect();
        let late_turn = order.iter().position(|&p| p == 300).expect("the late class gets a turn");
        assert_eq!(late_turn as u64, STARVE_EVERY - 1, "{order:?}");
        assert!(order[..late_turn].iter().all(|&p| p == 100), "{order:?}");
    }
}
