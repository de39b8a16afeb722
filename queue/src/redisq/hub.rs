//! One blocking wait for all the per-node queues a process works: a push host's download,
//! class-end and references queues share one connection and one `BLPOP` on their signal
//! lists, so a push host holds two Redis connections (this one and its commands'), not one
//! per queue. A queue that joins, or whose worker stops, restarts the wait without it: the
//! waiting connection is dropped, which ends its pop in Redis (a pop left blocked would take
//! the signals meant for the workers that come next). With no worker left the wait ends. A
//! popped signal wakes its queue's worker; a timeout or a failed connection wakes them all
//! (each looks, as after its own idle cap).

use std::{
    sync::{Arc, Mutex, Weak},
    time::Duration,
};

use redis::{AsyncConnectionConfig, Client, aio::MultiplexedConnection};
use tokio::sync::Notify;

/// How long to wait before connecting again when the connection cannot be opened or fails.
const RECONNECT: Duration = Duration::from_secs(5);

/// The shared wait of one process's per-node queues (one per `Queues`).
#[derive(Clone)]
pub struct WakeHub {
    client: Arc<Client>,
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
    /// A worker joined or left: the wait starts again.
    changed: Notify,
}

/// Each signal list with the worker it wakes, the longest the pop may block, and whether the
/// wait has started.
#[derive(Default)]
struct Waiting {
    /// Held weakly: a worker's wake stream holds its `Notify`, and leaves when dropped.
    signals: Vec<(String, Weak<Notify>)>,
    cap: Option<Duration>,
    started: bool,
}

/// Each waiting worker's signal list and its wake-up.
type Signals = Vec<(String, Arc<Notify>)>;

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The signals of the workers still there.
    fn present(&self) -> Signals {
        self.lock().signals.iter().filter_map(|(s, n)| Some((s.clone(), n.upgrade()?))).collect()
    }

    /// What the wait pops next; `None` when no worker is left, and then the wait is marked
    /// stopped under the same lock (a worker joining later starts a new one). Only the wait
    /// itself calls this, so one wait runs at a time.
    fn next_wait(&self) -> Option<(Signals, Duration)> {
        let mut waiting = self.lock();
        waiting.signals.retain(|(_, notify)| notify.strong_count() > 0);
        if waiting.signals.is_empty() {
            waiting.started = false;
            return None;
        }
        let signals = waiting.signals.iter().filter_map(|(s, n)| Some((s.clone(), n.upgrade()?))).collect();
        Some((signals, waiting.cap.unwrap_or(RECONNECT)))
    }

    fn wake(&self, signal: &str) {
        self.present().iter().filter(|(s, _)| s == signal).for_each(|(_, n)| n.notify_one());
    }

    fn wake_all(&self) {
        self.present().iter().for_each(|(_, n)| n.notify_one());
    }
}

/// A worker's place in the wait: notified when its signal pops; when dropped (the worker
/// stopped), the wait starts again without it.
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
    pub fn new(client: Client) -> Self {
        Self { client: Arc::new(client), shared: Arc::default() }
    }

    /// Adds `signal` to the wait (its pop blocking at most `cap`); what it returns is notified
    /// when the signal pops, when the wait times out, and when the connection fails.
    pub(super) fn join(&self, signal: String, cap: Duration) -> Joined {
        let notify = Arc::new(Notify::new());
        let start = {
            let mut waiting = self.shared.lock();
            waiting.signals.push((signal, Arc::downgrade(&notify)));
            waiting.cap = Some(waiting.cap.map_or(cap, |c| c.min(cap)));
            !std::mem::replace(&mut waiting.started, true)
        };
        if start {
            tokio::spawn(run(self.client.clone(), Arc::downgrade(&self.shared)));
        } else {
            self.shared.changed.notify_one();
        }
        Joined { notify, shared: Arc::downgrade(&self.shared) }
    }
}

/// The wait, for as long as a worker is in it.
async fn run(client: Arc<Client>, shared: Weak<Shared>) {
    let mut conn: Option<MultiplexedConnection> = None;
    loop {
        let Some(shared) = shared.upgrade() else { return };
        let changed = shared.changed.notified();
        let Some((signals, cap)) = shared.next_wait() else { return };
        if conn.is_none() {
            conn = connect(&client, cap).await;
            if conn.is_none() {
                shared.wake_all();
                tokio::time::sleep(RECONNECT.min(cap)).await;
                continue;
            }
        }
        let keys: Vec<String> = signals.into_iter().map(|(signal, _)| signal).collect();
        let pop = pop(conn.clone().expect("connected above"), keys, cap);
        tokio::select! {
            popped = pop => match popped {
                Ok(Some(signal)) => shared.wake(&signal),
                Ok(None) => shared.wake_all(),
                Err(err) => {
                    tracing::warn!(%err, "the per-node queues' wake-up connection failed; reconnecting");
                    conn = None;
                    shared.wake_all();
                    tokio::time::sleep(RECONNECT.min(cap)).await;
                }
            },
            // A worker joined or left: wait again with the workers there now, on a new
            // connection (dropping this one ends the pop in Redis).
            () = changed => conn = None,
        }
    }
}

async fn connect(client: &Client, cap: Duration) -> Option<MultiplexedConnection> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(5)))
        .set_response_timeout(Some(cap + Duration::from_secs(5)));
    match client.get_multiplexed_async_connection_with_config(&config).await {
        Ok(conn) => Some(conn),
        Err(err) => {
            tracing::warn!(%err, "cannot open the per-node queues' wake-up connection; polling");
            None
        }
    }
}

/// The signal popped, or `None` when `cap` passed first.
async fn pop(mut conn: MultiplexedConnection, keys: Vec<String>, cap: Duration) -> redis::RedisResult<Option<String>> {
    let popped: Option<(String, String)> =
        redis::cmd("BLPOP").arg(keys).arg(cap.as_secs_f64()).query_async(&mut conn).await?;
    Ok(popped.map(|(signal, _)| signal))
}
