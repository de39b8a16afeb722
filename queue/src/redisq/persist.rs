//! The `Persistence` apalis drives for a worker: register (which starts the lease renewer,
//! `renew.rs`), heartbeat (the worker is alive), fetch a batch (`fetch.rs`), settle finished
//! runs in one call, push.

use std::{
    collections::HashMap,
    sync::{Arc, LazyLock, Mutex, atomic::Ordering},
};

use apalis_core::{
    backend::persistence::{Persistence, TaskEvent},
    task::{Task, status::Status},
    worker::context::WorkerContext,
};
use redis::{Script, aio::ConnectionManager};
use serde_json::Value;

use super::{
    error::RedisQueueError,
    keys::{PUSH_CHUNK, QueueConfig},
    renew,
    state::WorkerState,
};
use crate::{backoff::backoff_for, clock::now_ms};

static PUSH: LazyLock<Script> =
    LazyLock::new(|| Script::new(concat!(include_str!("lua/prelude.lua"), include_str!("lua/push.lua"))));
static ACK: LazyLock<Script> =
    LazyLock::new(|| Script::new(concat!(include_str!("lua/prelude.lua"), include_str!("lua/ack.lua"))));
static ALIVE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/alive.lua")));

/// A worker's acknowledgements forget expired finished jobs at most this often (ms).
const AGE_EVERY: u64 = 1000;
/// A process adds a queue it pushes to to the registry at most this often (ms): a Redis that
/// lost the registry has it back within that.
const REGISTER_EVERY: u64 = 60_000;

/// How many times an acknowledgement is tried again while Redis is away.
const SETTLE_TRIES: u32 = 4;

/// Errors kept in a job: enough to read, never a whole dump.
const ERROR_MAX: usize = 2000;

#[derive(Clone)]
pub(super) struct RedisPersistence {
    pub(super) conn: ConnectionManager,
    pub(super) config: QueueConfig,
    /// Shared with the lease renewer and the wake-up stream.
    pub(super) state: Arc<WorkerState>,
}

impl RedisPersistence {
    /// How far ahead a lease runs, in ms (the scripts add it to Redis's clock).
    pub(super) fn lease_ms(&self) -> u64 {
        self.config.lease_ahead().as_millis() as u64
    }

    pub(super) async fn settle(
        &mut self,
        worker: &str,
        runs: Vec<(String, &'static str, u32, u64, String)>,
    ) -> Result<(), RedisQueueError> {
        if runs.is_empty() {
            return Ok(());
        }
        let c = &self.config;
        let mut call = ACK.prepare_invoke();
        for key in ["pending", "inflight", "delayed", "done", "dead", "signal"] {
            call.key(c.key(key));
        }
        call.arg(c.prefix()).arg(worker).arg(c.retention.as_millis() as u64).arg(c.retention_count);
        call.arg(c.signal_is_channel()).arg(u8::from(self.age_due()));
        for (id, outcome, attempts, retry_at, error) in &runs {
            call.arg(id).arg(*outcome).arg(attempts).arg(retry_at).arg(error);
        }
        // Redis away: tried again a few times; then these runs are left to their leases, which
        // lapse, and the jobs run again (every handler is idempotent). The worker goes on.
        let mut tries = 0;
        loop {
            match call.invoke_async::<u64>(&mut self.conn).await.map_err(RedisQueueError::from) {
                Ok(_) => break,
                Err(err) if err.is_outage() && tries < SETTLE_TRIES => {
                    tries += 1;
                    tokio::time::sleep(crate::backoff::backoff(std::time::Duration::from_millis(200), tries)).await;
                }
                Err(err) if err.is_outage() => {
                    tracing::warn!(queue = c.queue, %err, runs = runs.len(), "acknowledgements lost with Redis: these jobs will run again");
                    break;
                }
                Err(err) => return Err(err),
            }
        }
        let mut held = self.state.held();
        for (id, ..) in &runs {
            held.remove(id);
        }
        Ok(())
    }

    /// Whether this acknowledgement applies the retention's age limit: at most once a second per
    /// worker (finished jobs' records expire by themselves; this forgets their ids).
    fn age_due(&self) -> bool {
        let now = now_ms();
        let last = self.state.aged_at.load(Ordering::Relaxed);
        now >= last + AGE_EVERY
            && self.state.aged_at.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
    }

    /// Puts fetched jobs the worker will not run back on the queue, no attempt used.
    pub(super) async fn hand_back(&mut self, worker: &str, tasks: &[Task<Vec<u8>>]) -> Result<u64, RedisQueueError> {
        let runs: Vec<_> =
            tasks.iter().filter_map(|t| t.task_id().map(|id| (id.to_string(), "back", 0, 0, String::new()))).collect();
        let count = runs.len() as u64;
        self.settle(worker, runs).await?;
        Ok(count)
    }

    /// Marks the worker alive on Redis's clock; workers silent for far longer than their
    /// heartbeat are dropped from the list.
    async fn mark_alive(&mut self, worker: &str) -> Result<(), RedisQueueError> {
        let gone_after = self.config.workers_gone_after().as_millis() as u64;
        let mut call = ALIVE.prepare_invoke();
        call.key(self.config.key("workers")).arg(worker).arg(gone_after);
        match call.invoke_async::<u64>(&mut self.conn).await.map_err(RedisQueueError::from) {
            // Marked alive at the next heartbeat, once Redis is back.
            Err(err) if err.is_outage() => Ok(()),
            other => other.map(drop),
        }
    }

    /// Waits for the acknowledgement under way, if any.
    pub(super) async fn acknowledged(&self) -> Result<(), RedisQueueError> {
        match self.state.take_acking() {
            Some(ack) => ack.await?,
            None => Ok(()),
        }
    }

    /// What becomes of a finished run, and in how many ms a retry is due.
    fn outcome(&self, status: &Status, attempt: usize, task_id: &str) -> (&'static str, u64) {
        let attempt = attempt as u32;
        match status {
            Status::Done => ("done", 0),
            Status::Killed => ("dead", 0),
            Status::Failed if attempt < self.config.max_attempts => {
                ("retry", backoff_for(self.config.backoff, attempt, task_id).as_millis() as u64)
            }
            Status::Failed => ("dead", 0),
            // A run handed back (shutdown) or deferred: back to the queue, no attempt used.
            _ => ("back", 0),
        }
    }
}

impl Persistence for RedisPersistence {
    type Compact = Vec<u8>;
    type Response = Value;
    type Error = RedisQueueError;

    async fn register(&mut self, worker: &WorkerContext) -> Result<(), RedisQueueError> {
        self.mark_alive(worker.name()).await?;
        redis::cmd("SADD").arg(&self.config.registry).arg(&self.config.queue).query_async::<()>(&mut self.conn).await?;
        if self.state.start_renewer() {
            let state = Arc::downgrade(&self.state);
            renew::spawn(self.conn.clone(), self.config.clone(), state, worker.name().to_owned());
        }
        Ok(())
    }

    /// Marks the worker alive. Leases are the renewer's (`renew.rs`): this runs only from the
    /// worker's poll loop, never while fetched jobs wait in apalis's buffer.
    async fn heartbeat(&mut self, worker: &WorkerContext) -> Result<(), RedisQueueError> {
        self.mark_alive(worker.name()).await
    }

    async fn fetch_next(&mut self, worker: &WorkerContext) -> Result<Vec<Task<Vec<u8>>>, RedisQueueError> {
        self.next_batch(worker).await
    }

    async fn reenqueue_abandoned(
        &mut self,
        tasks: Vec<Task<Vec<u8>>>,
        worker: &WorkerContext,
    ) -> Result<u64, RedisQueueError> {
        self.hand_back(worker.name(), &tasks).await
    }

    async fn handle_events(
        &mut self,
        events: Vec<TaskEvent<Value>>,
        worker: &WorkerContext,
    ) -> Result<(), RedisQueueError> {
        let runs = events
            .into_iter()
            .filter_map(|event| match event {
                TaskEvent::Complete(result) => Some(result),
                _ => None,
            })
            .map(|result| {
                let id = result.task_id.to_string();
                let (outcome, retry_at) = self.outcome(&result.status, result.attempt, &id);
                let error: String = result.result.err().unwrap_or_default().chars().take(ERROR_MAX).collect();
                (id, outcome, result.attempt as u32, retry_at, error)
            })
            .collect();
        if !self.config.prefetch {
            return self.settle(worker.name(), runs).await;
        }
        // A queue of short jobs acknowledges on a call of its own, so that the worker runs the
        // next batch meanwhile; one at a time, and a failure surfaces at the next.
        self.acknowledged().await?;
        let (mut persistence, name) = (self.clone(), worker.name().to_owned());
        self.state.set_acking(tokio::spawn(async move { persistence.settle(&name, runs).await }));
        Ok(())
    }

    async fn push_tasks(&mut self, tasks: Vec<Task<Vec<u8>>>) -> Result<(), RedisQueueError> {
        let c = self.config.clone();
        let now_s = now_ms() / 1000;
        for chunk in tasks.chunks(PUSH_CHUNK) {
            let mut call = PUSH.prepare_invoke();
            for key in ["pending", "delayed", "signal"] {
                call.key(c.key(key));
            }
            call.arg(c.prefix()).arg(&c.queue).arg(c.retention.as_millis() as u64).arg(c.signal_is_channel());
            for task in chunk {
                let id = task.task_id().map_or_else(|| uuid::Uuid::new_v4().simple().to_string(), |id| id.to_string());
                // apalis says when (unix seconds, by this process's clock); Redis is told how
                // long from now, and keeps the time on its own clock.
                let delay_ms = task.run_at().map_or(0, |secs| secs.saturating_sub(now_s) * 1000);
                let max = task.max_attempts().map_or(c.max_attempts, |m| m as u32);
                call.arg(id).arg(&task.args).arg(max).arg(delay_ms).arg(task.idempotency_key().unwrap_or(""));
            }
            let _: u64 = call.invoke_async(&mut self.conn).await?;
        }
        self.register_pushed().await
    }
}

/// When this process last added each queue to its registry (ms): registry, then queue name.
static REGISTERED: LazyLock<Mutex<HashMap<String, HashMap<String, u64>>>> = LazyLock::new(Mutex::default);

fn registered() -> std::sync::MutexGuard<'static, HashMap<String, HashMap<String, u64>>> {
    REGISTERED.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl RedisPersistence {
    /// Adds the queue pushed to to the registry, unless this process did within
    /// `REGISTER_EVERY`: a command per queue and minute, not per push.
    async fn register_pushed(&mut self) -> Result<(), RedisQueueError> {
        let c = &self.config;
        let now = now_ms();
        // Looked up by reference: a push allocates nothing here but once a minute.
        let last = registered().get(&c.registry).and_then(|queues| queues.get(&c.queue).copied());
        if last.is_some_and(|last| now < last + REGISTER_EVERY) {
            return Ok(());
        }
        registered().entry(c.registry.clone()).or_default().insert(c.queue.clone(), now);
        let added = redis::cmd("SADD").arg(&c.registry).arg(&c.queue).query_async::<()>(&mut self.conn).await;
        if let Err(err) = added {
            // The jobs are pushed; the next push registers the queue.
            tracing::debug!(queue = c.queue, %err, "queue not registered now");
            registered().get_mut(&c.registry).map(|queues| queues.remove(&c.queue));
        }
        Ok(())
    }
}
