//! One blocking wait for all the per-node queues a process works: a push host's download,
//! class-end and references queues share one connection and one `BLPOP` on their signal
//! lists, so a push host holds two Redis connections (this one and its commands'), not one
//! per queue. A queue that joins restarts the wait with it: the waiting connection is dropped,
//! which ends its pop in Redis. A popped signal wakes its queue's worker; a timeout or a failed
//! connection wakes them all (each looks, as after its own idle cap).

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
        f.debug_struct("WakeHub").field("signals", &self.shared.signals().0.len()).finish()
    }
}

#[derive(Default)]
struct Shared {
    waiting: Mutex<Waiting>,
    joined: Notify,
}

/// Each signal list with the worker it wakes, the longest the pop may block, and whether the
/// wait has started.
#[derive(Default)]
struct Waiting {
    signals: Vec<(String, Arc<Notify>)>,
    cap: Option<Duration>,
    started: bool,
}

impl Shared {
    fn signals(&self) -> (Vec<(String, Arc<Notify>)>, Duration) {
        let waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        (waiting.signals.clone(), waiting.cap.unwrap_or(RECONNECT))
    }

    fn wake(&self, signal: &str) {
        self.signals().0.iter().filter(|(s, _)| s == signal).for_each(|(_, n)| n.notify_one());
    }

    fn wake_all(&self) {
        self.signals().0.iter().for_each(|(_, n)| n.notify_one());
    }
}

impl WakeHub {
    pub fn new(client: Client) -> Self {
        Self { client: Arc::new(client), shared: Arc::default() }
    }

    /// Adds `signal` to the wait (its pop blocking at most `cap`); what it returns is notified
    /// when the signal pops, when the wait times out, and when the connection fails.
    pub(super) fn join(&self, signal: String, cap: Duration) -> Arc<Notify> {
        let notify = Arc::new(Notify::new());
        let start = {
            let mut waiting = self.shared.waiting.lock().unwrap_or_else(|e| e.into_inner());
            waiting.signals.push((signal, notify.clone()));
            waiting.cap = Some(waiting.cap.map_or(cap, |c| c.min(cap)));
            !std::mem::replace(&mut waiting.started, true)
        };
        if start {
            tokio::spawn(run(self.client.clone(), Arc::downgrade(&self.shared)));
        } else {
            self.shared.joined.notify_one();
        }
        notify
    }
}

/// The wait, for as long as a queue holds the hub.
async fn run(client: Arc<Client>, shared: Weak<Shared>) {
    let mut conn: Option<MultiplexedConnection> = None;
    loop {
        let Some(shared) = shared.upgrade() else { return };
        let (signals, cap) = shared.signals();
        let joined = shared.joined.notified();
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
            // A queue joined: wait again with it, on a new connection (dropping this one ends
            // the pop in Redis).
            () = joined => conn = None,
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
