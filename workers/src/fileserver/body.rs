//! A response body as the file server sends it: in chunks, paced, and misbehaving as its
//! knobs say.

use std::{
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};

use bytes::Bytes;

use super::state::{CHUNK, Knobs, Shared};

/// `body` (which starts at byte `start` of its file) in chunks: paced to `knobs.rate`, cut
/// after `knobs.cut_once_after`, ended early at byte `knobs.truncate_at` of the file, and
/// stalled (until the server stops) at byte `knobs.stall_after` of the file.
pub(super) fn paced(
    body: Bytes,
    start: u64,
    knobs: Knobs,
    shared: Arc<Shared>,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send {
    let started = Instant::now();
    // Like `truncate_at`, `stall_after` counts from the file's start: a resumed answer stalls
    // at the same byte.
    let stalls_at = knobs.stall_after.map(|at| at.saturating_sub(start) as usize);
    let ends_at = knobs.truncate_at.map_or(body.len(), |at| at.saturating_sub(start).min(body.len() as u64) as usize);
    futures::stream::unfold(0usize, move |sent| {
        let body = body.clone();
        let knobs = knobs.clone();
        let shared = shared.clone();
        async move {
            if sent >= ends_at {
                if ends_at < body.len() {
                    // A moment before closing, so the headers go out as a real server's would.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                return None;
            }
            if knobs.cut_once_after.is_some_and(|cut| sent as u64 >= cut) {
                return Some((Err(std::io::Error::other("connection cut by the test server")), body.len()));
            }
            if stalls_at.is_some_and(|stall| sent >= stall) {
                shared.stop.cancelled().await;
                return None;
            }
            let mut end = (sent + CHUNK).min(ends_at);
            if let Some(cut) = knobs.cut_once_after {
                end = end.min(cut.max(sent as u64 + 1) as usize);
            }
            if let Some(stall) = stalls_at {
                end = end.min(stall);
            }
            if let Some(rate) = knobs.rate {
                let due = started + Duration::from_secs_f64(end as f64 / rate as f64);
                tokio::time::sleep_until(due.into()).await;
            }
            shared.bytes_sent.fetch_add((end - sent) as u64, Ordering::Relaxed);
            Some((Ok(body.slice(sent..end)), end))
        }
    })
}

/// `body` again and again, in chunks, paced to `knobs.rate`, until the server stops or the
/// client goes away.
pub(super) fn endless(
    body: Bytes,
    knobs: Knobs,
    shared: Arc<Shared>,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send {
    let (started, rate) = (Instant::now(), knobs.rate);
    futures::stream::unfold(0u64, move |sent| {
        let (body, shared) = (body.clone(), shared.clone());
        async move {
            if body.is_empty() || shared.stop.is_cancelled() {
                return None;
            }
            let at = (sent % body.len() as u64) as usize;
            let chunk = body.slice(at..(at + CHUNK).min(body.len()));
            let end = sent + chunk.len() as u64;
            if let Some(rate) = rate {
                tokio::time::sleep_until((started + Duration::from_secs_f64(end as f64 / rate as f64)).into()).await;
            }
            shared.bytes_sent.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            Some((Ok(chunk), end))
        }
    })
}
