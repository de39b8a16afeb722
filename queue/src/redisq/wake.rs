//! How an idle worker waits: a blocking pop on its queue's signal list, on a connection of its
//! own, and a timer of its own for when something in the queue next becomes due (a delayed job
//! or a retry, a lease that runs out), as the worker's last fetch found it. Whatever ends the
//! wait asks the worker's next fetch to go to Redis (`fetch.rs`); between wake-ups a worker
//! costs Redis nothing.
//!
//! Every event that makes work ready or due sooner pushes the signal (a push, delayed or not; a
//! retry scheduled; a job handed back; a batch that left more waiting; on a queue whose idle
//! workers look only every few minutes, a lease taken where there was none), so a sleeping
//! worker wakes and looks again. The signal is one token: one sleeping worker learns of it (the
//! one that has waited longest); the others learn at their next look. The pop's timeout is the idle cap
//! (`QueueConfig::idle_cap`: 0.5-5 s on a shared queue, ten minutes on a per-node one), after
//! which the worker looks anyway. The due time is kept by a local timer rather than by the
//! pop's timeout because a pop's timeout is fixed when it is sent: a due time learned while it
//! blocks (from the very fetch its wake-up caused) re-arms the timer, and the pop stays.
//!
//! A per-node queue's worker does not pop on a connection of its own: the process's per-node
//! queues share one pop (`hub.rs`), which notifies the worker whose signal it took, and each
//! worker keeps its own timer.

use std::{future::Future, pin::Pin, sync::Arc, time::Duration};

use futures::Stream;
use redis::{AsyncConnectionConfig, Client, aio::MultiplexedConnection};
use tokio::{sync::Notify, time::Instant};

use super::{
    hub::{Joined, WakeHub},
    state::WorkerState,
};
use crate::clock::now_ms;

/// The shortest wait for a due time, so that a due time that does not move cannot spin.
const MIN_WAIT: Duration = Duration::from_millis(50);
/// How long to wait before connecting again when the wake-up connection cannot be opened.
const RECONNECT: Duration = Duration::from_secs(5);

type Pop = Pin<Box<dyn Future<Output = bool> + Send>>;

/// What the worker waits on besides its timer.
enum Signal {
    /// A blocking pop of its own, on a connection of its own.
    Own(Box<OwnPop>),
    /// The process's shared wait of its per-node queues (`hub.rs`).
    Shared(Joined),
}

struct OwnPop {
    client: Client,
    signal: String,
    conn: Option<MultiplexedConnection>,
}

struct Waiter {
    source: Signal,
    cap: Duration,
    state: Arc<WorkerState>,
    /// The blocking pop in flight; it stays across wake-ups by the timer.
    pop: Option<Pop>,
    timer_fired: Instant,
}

/// Yields whenever the worker should look for work, having asked its next fetch to look.
pub(super) fn wake_stream(
    client: Client,
    signal: String,
    cap: Duration,
    state: Arc<WorkerState>,
) -> impl Stream<Item = ()> + Send + Unpin {
    let source = Signal::Own(Box::new(OwnPop { client, signal, conn: None }));
    stream_of(Waiter { source, cap, state, pop: None, timer_fired: Instant::now() })
}

/// The same, waiting on `hub`'s shared pop instead of a connection of its own.
pub(super) fn shared_wake_stream(
    hub: &WakeHub,
    signal: String,
    cap: Duration,
    state: Arc<WorkerState>,
) -> impl Stream<Item = ()> + Send + Unpin + use<> {
    let source = Signal::Shared(hub.join(signal, cap));
    stream_of(Waiter { source, cap, state, pop: None, timer_fired: Instant::now() })
}

fn stream_of(waiter: Waiter) -> impl Stream<Item = ()> + Send + Unpin {
    Box::pin(futures::stream::unfold(waiter, |mut waiter| async move {
        waiter.wait().await;
        waiter.state.ask();
        Some(((), waiter))
    }))
}

impl Waiter {
    async fn wait(&mut self) {
        loop {
            if self.pop.is_none() {
                self.pop = match &self.source {
                    Signal::Shared(joined) => {
                        let notify: Arc<Notify> = joined.notify.clone();
                        Some(Box::pin(async move {
                            notify.notified().await;
                            true
                        }))
                    }
                    Signal::Own(own) => {
                        let signal = own.signal.clone();
                        let Some(conn) = self.connection().await else {
                            tokio::time::sleep(self.cap.min(RECONNECT)).await;
                            return;
                        };
                        Some(Box::pin(pop(conn, signal, self.cap)))
                    }
                };
            }
            let changed = self.state.due_changed.notified();
            let due = self.state.next_due().map(|at| {
                let wait = Duration::from_millis(at.saturating_sub(now_ms()));
                (Instant::now() + wait).max(self.timer_fired + MIN_WAIT)
            });
            let timer = async move {
                match due {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                connection_ok = self.pop.as_mut().expect("set above") => {
                    self.pop = None;
                    if let (false, Signal::Own(own)) = (connection_ok, &mut self.source) {
                        own.conn = None;
                    }
                    return;
                }
                () = timer => {
                    self.timer_fired = Instant::now();
                    return;
                }
                () = changed => {}
            }
        }
    }

    async fn connection(&mut self) -> Option<MultiplexedConnection> {
        let Signal::Own(own) = &mut self.source else { return None };
        if own.conn.is_none() {
            let config = AsyncConnectionConfig::new()
                .set_connection_timeout(Some(Duration::from_secs(5)))
                .set_response_timeout(Some(self.cap + Duration::from_secs(5)));
            match own.client.get_multiplexed_async_connection_with_config(&config).await {
                Ok(opened) => own.conn = Some(opened),
                Err(err) => tracing::warn!(%err, "cannot open the wake-up connection; polling"),
            }
        }
        own.conn.clone()
    }
}

/// Blocks until a token is popped or `cap` passes; false if the connection failed.
async fn pop(mut conn: MultiplexedConnection, signal: String, cap: Duration) -> bool {
    let popped: Result<Option<(String, String)>, _> =
        redis::cmd("BLPOP").arg(&signal).arg(cap.as_secs_f64()).query_async(&mut conn).await;
    popped.is_ok()
}
