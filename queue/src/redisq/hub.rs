//! One wait for all the per-node queues a process works, on the process's one Redis
//! connection. A per-node queue's signal is a pub/sub channel: the scripts PUBLISH it where a
//! shared queue's would push a token (`{Q}:signal`), and the process's commands' connection
//! (RESP3: replies and pushed messages on one connection, `backend.rs`) is subscribed to the
//! channels of the per-node queues it works. A message wakes its queue's worker. So a push
//! host holds one Redis connection, whatever the number of its queues.
//!
//! A message published while nobody listens is lost, where a token would have waited: so a
//! worker is woken once its channel is subscribed (it looks for what came before), every
//! worker is woken when the connection drops (each looks, as after its idle cap) and again
//! once it is back and every channel subscribed again. The idle cap wakes them all as well, a
//! safety net. A worker that stops leaves: its channel is unsubscribed; with no worker left
//! the wait ends.

use std::{
    collections::BTreeSet,
    sync::{
        Arc, Mutex, Weak,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use redis::{FromRedisValue, PushInfo, PushKind, aio::ConnectionManager};
use tokio::sync::{Notify, OnceCell};

/// How long to wait before subscribing again when Redis refused or could not be reached.
const RETRY: Duration = Duration::from_secs(5);

/// The shared wait of one process's per-node queues (one per `Queues`).
#[derive(Clone)]
pub struct WakeHub {
    /// Set once the connection it waits on is open (`connected`).
    conn: Arc<OnceCell<ConnectionManager>>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for WakeHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WakeHub").field("signals", &self.shared.present().len()).finish()
    }
}

#[derive(Default)]
struct Shared {
    waiting: Mutex<Waiting>,
    /// A worker joined or left, or the connection came back: the subscriptions are redone.
    changed: Notify,
    /// The connection dropped: every channel must be subscribed again.
    lost: AtomicBool,
}

/// Each signal with the worker it wakes, the longest a worker may wait, and whether the wait
/// has started.
#[derive(Default)]
struct Waiting {
    /// Held weakly: a worker's wake stream holds its `Notify`, and leaves when dropped.
    signals: Vec<(String, Weak<Notify>)>,
    cap: Option<Duration>,
    started: bool,
}

/// Each waiting worker's signal and its wake-up.
type Signals = Vec<(String, Arc<Notify>)>;

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The signals of the workers still there.
    fn present(&self) -> Signals {
        self.lock().signals.iter().filter_map(|(s, n)| Some((s.clone(), n.upgrade()?))).collect()
    }

    /// The channels to be subscribed to and the idle cap; `None` when no worker is left, and
    /// then the wait is marked stopped under the same lock (a worker joining later starts a
    /// new one). Only the wait itself calls this, so one wait runs at a time.
    fn next_wait(&self) -> Option<(BTreeSet<String>, Duration)> {
        let mut waiting = self.lock();
        waiting.signals.retain(|(_, notify)| notify.strong_count() > 0);
        if waiting.signals.is_empty() {
            waiting.started = false;
            return None;
        }
        let channels = waiting.signals.iter().map(|(s, _)| s.clone()).collect();
        Some((channels, waiting.cap.unwrap_or(RETRY)))
    }

    fn wake(&self, signal: &str) {
        self.present().iter().filter(|(s, _)| s == signal).for_each(|(_, n)| n.notify_one());
    }

    fn wake_all(&self) {
        self.present().iter().for_each(|(_, n)| n.notify_one());
    }

    /// What the connection pushed: a message wakes its channel's worker; a dropped connection
    /// wakes them all and has every channel subscribed again.
    fn pushed(&self, push: PushInfo) {
        match push.kind {
            PushKind::Message => {
                if let Some(channel) = push.data.first().and_then(|v| String::from_redis_value(v.clone()).ok()) {
                    self.wake(&channel);
                }
            }
            PushKind::Disconnection => {
                self.lost.store(true, Ordering::SeqCst);
                self.wake_all();
                self.changed.notify_one();
            }
            _ => {}
        }
    }
}

/// A worker's place in the wait: notified when its channel hears; when dropped (the worker
/// stopped), its channel is left.
pub(super) struct Joined {
    pub notify: Arc<Notify>,
    shared: Weak<Shared>,
}

impl Drop for Joined {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.upgrade() {
            shared.changed.notify_one();
        }
    }
}

impl WakeHub {
    /// A hub, and what the connection it will wait on must hand its pushed messages to
    /// (`ConnectionManagerConfig::set_push_sender`); then `connected`.
    pub fn new() -> (Self, impl Fn(PushInfo) -> Result<(), std::convert::Infallible> + Send + Sync + 'static) {
        let shared: Arc<Shared> = Arc::default();
        let weak = Arc::downgrade(&shared);
        let sender = move |push: PushInfo| {
            if let Some(shared) = weak.upgrade() {
                shared.pushed(push);
            }
            Ok(())
        };
        (Self { conn: Arc::default(), shared }, sender)
    }

    /// The connection (RESP3) whose pushes the hub hears.
    pub fn connected(&self, conn: ConnectionManager) {
        let _ = self.conn.set(conn);
    }

    /// Adds `signal` to the wait (a worker waiting at most `cap`); what it returns is notified
    /// when its channel hears, once it is subscribed, when the connection drops and comes back,
    /// and every `cap`.
    pub(super) fn join(&self, signal: String, cap: Duration) -> Joined {
        let notify = Arc::new(Notify::new());
        let start = {
            let mut waiting = self.shared.lock();
            waiting.signals.push((signal, Arc::downgrade(&notify)));
            waiting.cap = Some(waiting.cap.map_or(cap, |c| c.min(cap)));
            !std::mem::replace(&mut waiting.started, true)
        };
        match (start, self.conn.get()) {
            (true, Some(conn)) => drop(tokio::spawn(run(conn.clone(), Arc::downgrade(&self.shared)))),
            (true, None) => {
                tracing::error!("the per-node queues' wait has no connection; its workers look every idle cap")
            }
            (false, _) => self.shared.changed.notify_one(),
        }
        Joined { notify, shared: Arc::downgrade(&self.shared) }
    }
}

/// The wait, for as long as a worker is in it: keeps the connection subscribed to the channels
/// of the workers there, and wakes them all every idle cap.
async fn run(mut conn: ConnectionManager, shared: Weak<Shared>) {
    let mut subscribed: BTreeSet<String> = BTreeSet::new();
    loop {
        let Some(shared) = shared.upgrade() else { return };
        let changed = shared.changed.notified();
        let Some((wanted, cap)) = shared.next_wait() else {
            let _ = conn.unsubscribe(subscribed.iter().collect::<Vec<_>>()).await;
            return;
        };
        if shared.lost.swap(false, Ordering::SeqCst) {
            subscribed.clear();
        }
        let fresh: Vec<String> = wanted.difference(&subscribed).cloned().collect();
        if !fresh.is_empty() {
            if let Err(err) = conn.subscribe(&fresh).await {
                tracing::warn!(%err, "cannot subscribe to the per-node queues' signals; trying again");
                shared.lost.store(true, Ordering::SeqCst);
                shared.wake_all();
                tokio::time::sleep(RETRY.min(cap)).await;
                continue;
            }
            // What was pushed before the subscription was heard by nobody: look now.
            fresh.iter().for_each(|signal| shared.wake(signal));
            subscribed.extend(fresh);
        }
        let gone: Vec<String> = subscribed.difference(&wanted).cloned().collect();
        if !gone.is_empty() && conn.unsubscribe(&gone).await.is_ok() {
            subscribed.retain(|channel| !gone.contains(channel));
        }
        tokio::select! {
            () = tokio::time::sleep(cap) => shared.wake_all(),
            () = changed => {}
        }
    }
}
