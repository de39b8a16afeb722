//! What a running download tells the cache, and what the cache may answer: its size once the
//! source says it (reserved, evicting to make room, or refused when nothing can be evicted),
//! and its progress every few seconds (the claim renewed, the expected finish published for
//! each waiting class, and the download abandoned once no class needs the video any more).

use std::{
    sync::{
        Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use futures::{FutureExt, future::BoxFuture};

use super::{claim, reserve::Evicted, store};
use crate::{
    db::now_ms,
    domain::{ClassId, DownloadOrder, DownloadProgress},
    node::{DownloadError, NodeServices, Watch, cache::claim::Claim, cache::reserve::RoomError},
};

/// How often a running download looks at the cache (and renews its claim: well inside its
/// lease).
const TICK: Duration = Duration::from_secs(2);

struct Tick {
    at: Instant,
    bytes: u64,
}

pub(super) struct Watcher<'a> {
    node: &'a NodeServices,
    order: &'a DownloadOrder,
    path: &'a str,
    claim: Mutex<Claim>,
    evicted: Mutex<Vec<Evicted>>,
    tick: Mutex<Tick>,
    /// Counted in the node's `downloads_at_risk` while a waiting class would start before it ends.
    at_risk: AtomicBool,
}

impl Drop for Watcher<'_> {
    fn drop(&mut self) {
        self.node.gauges.downloads_active.fetch_sub(1, Ordering::Relaxed);
        self.set_at_risk(false);
    }
}

impl<'a> Watcher<'a> {
    pub(super) fn new(node: &'a NodeServices, order: &'a DownloadOrder, path: &'a str, claim: Claim) -> Self {
        Self {
            node,
            order,
            path,
            claim: Mutex::new(claim),
            evicted: Mutex::new(Vec::new()),
            tick: Mutex::new(Tick { at: Instant::now(), bytes: 0 }),
            at_risk: AtomicBool::new(false),
        }
        .counted()
    }

    fn counted(self) -> Self {
        self.node.gauges.downloads_active.fetch_add(1, Ordering::Relaxed);
        self
    }

    fn set_at_risk(&self, now: bool) {
        if self.at_risk.swap(now, Ordering::Relaxed) != now {
            let risky = &self.node.gauges.downloads_at_risk;
            if now {
                risky.fetch_add(1, Ordering::Relaxed)
            } else {
                risky.fetch_sub(1, Ordering::Relaxed)
            };
        }
    }

    pub(super) fn evicted(&self) -> Vec<Evicted> {
        std::mem::take(&mut *self.evicted.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The bytes reserved for the download so far.
    pub(super) fn reserved(&self) -> u64 {
        self.claim().reserved
    }

    fn claim(&self) -> Claim {
        self.claim.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    async fn reserve(&self, total: Option<u64>) -> Result<(), DownloadError> {
        let total = total.ok_or_else(|| DownloadError::NoLength(self.order.url.redacted()))?;
        let mut claim = self.claim();
        let evicted = self.node.room().reserve(&mut claim, total).await.map_err(|e| match e {
            RoomError::Full(full) => DownloadError::CacheFull(full.to_string()),
            RoomError::Db(db) => DownloadError::Index(db.to_string()),
            RoomError::Held => DownloadError::Index(RoomError::Held.to_string()),
        });
        *self.claim.lock().unwrap_or_else(|e| e.into_inner()) = claim;
        self.evicted.lock().unwrap_or_else(|e| e.into_inner()).extend(evicted?);
        Ok(())
    }

    async fn look(&self, bytes: u64, total: u64) -> Result<(), DownloadError> {
        let rate = {
            let mut tick = self.tick.lock().unwrap_or_else(|e| e.into_inner());
            let elapsed = tick.at.elapsed();
            if elapsed < TICK {
                return Ok(());
            }
            let rate = (bytes.saturating_sub(tick.bytes) as f64 / elapsed.as_secs_f64()) as u64;
            *tick = Tick { at: Instant::now(), bytes };
            rate
        };
        let conn = &self.node.cache.conn;
        let index = |e: sea_orm::DbErr| DownloadError::Index(e.to_string());
        if !claim::renew(conn, &self.claim()).await.map_err(index)? {
            return Err(DownloadError::Index(format!("the claim on {} was taken over", self.path)));
        }
        let waiting = store::pending_refs(conn, self.node.id(), self.path).await.map_err(index)?;
        if waiting.is_empty() {
            return Err(DownloadError::Abandoned);
        }
        let now = now_ms();
        let expected = (rate > 0).then(|| now + ((total.saturating_sub(bytes)) * 1000 / rate) as i64);
        let mut any_at_risk = false;
        for class in waiting {
            let at_risk = matches!((expected, class.class_start_at), (Some(e), Some(start)) if e > start * 1000);
            any_at_risk |= at_risk;
            let progress = DownloadProgress {
                node: self.node.settings.node_id.clone(),
                bytes,
                total,
                rate,
                expected_ready_at: expected,
                at_risk,
                updated_at: now,
                retry: None,
            };
            self.node.directory.set_progress(&ClassId::stored(class.class_id.clone()), &progress).await;
        }
        self.set_at_risk(any_at_risk);
        Ok(())
    }
}

impl Watch for Watcher<'_> {
    fn started(&self, total: Option<u64>) -> BoxFuture<'_, Result<(), DownloadError>> {
        self.reserve(total).boxed()
    }

    fn progress(&self, bytes: u64, total: u64) -> BoxFuture<'_, Result<(), DownloadError>> {
        self.look(bytes, total).boxed()
    }
}
