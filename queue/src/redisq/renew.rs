//! The lease renewer: a task of each worker's own that renews, every third of a lease, the
//! lease of every job the worker holds, running or fetched and waiting for a slot. It cannot be
//! apalis's heartbeat: `Persisted` heart-beats only from the worker's poll loop, and skips it
//! while fetched jobs wait in its buffer, so under a backlog the leases of running jobs lapsed
//! and other workers ran them again. It keeps renewing through a graceful drain: apalis keeps
//! the worker's backend until the running jobs have ended and the waiting ones are handed back,
//! so a drain of any length keeps its leases (`SHUTDOWN_TIMEOUT` needs no bound on Redis). The
//! task ends once the worker's backend is dropped (it holds the shared state only weakly): a
//! worker aborted at `SHUTDOWN_TIMEOUT` leaves leases that lapse within two thirds of a lease.

use std::sync::{LazyLock, Weak};

use redis::{Script, aio::ConnectionManager};

use super::{error::RedisQueueError, keys::QueueConfig, state::WorkerState};

static RENEW: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/renew.lua")));

/// Starts `worker`'s renewer. A lease it lost meanwhile (put back, perhaps taken by another) is
/// left untouched and no longer renewed.
pub(super) fn spawn(mut conn: ConnectionManager, config: QueueConfig, state: Weak<WorkerState>, worker: String) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(config.renew_every());
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        every.tick().await;
        loop {
            every.tick().await;
            let Some(held) = state.upgrade().map(|s| s.held().iter().cloned().collect::<Vec<_>>()) else { break };
            if held.is_empty() {
                continue;
            }
            match renew(&mut conn, &config, &worker, &held).await {
                Ok(lost) if !lost.is_empty() => {
                    let Some(state) = state.upgrade() else { break };
                    let mut held = state.held();
                    // Settled meanwhile (acknowledged) is not lost.
                    let lost: Vec<String> = lost.into_iter().filter(|id| held.remove(id)).collect();
                    if !lost.is_empty() {
                        tracing::warn!(queue = config.queue, worker, ?lost, "leases lost: these jobs may run again");
                    }
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(queue = config.queue, worker, %err, "could not renew leases; retrying"),
            }
        }
        tracing::debug!(queue = config.queue, worker, "lease renewer stopped");
    });
}

async fn renew(
    conn: &mut ConnectionManager,
    config: &QueueConfig,
    worker: &str,
    held: &[String],
) -> Result<Vec<String>, RedisQueueError> {
    let mut call = RENEW.prepare_invoke();
    call.key(config.key("inflight")).key(config.key("workers"));
    call.arg(config.prefix()).arg(worker).arg(config.lease_ahead().as_millis() as u64);
    for id in held {
        call.arg(id);
    }
    Ok(call.invoke_async(conn).await?)
}
