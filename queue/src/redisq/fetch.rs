//! Fetching: up to a batch of jobs in one script call (`lua/fetch.lua`), which also says, when
//! it takes none, when something in the queue next becomes due. A fetch nothing asked for
//! (apalis fetches whenever the worker is polled, e.g. after each heartbeat) makes no call: not
//! woken by a signal, a due time or the idle cap (`wake.rs`), the last fetch took no job, and
//! nothing is due yet. A queue of short jobs (`QueueConfig::prefetch`) fetches its next batch
//! while the one before runs, so that Redis works while the worker does: apalis's `Persisted`
//! otherwise fetches only once its buffer is empty and the acknowledgements are written.

use std::sync::{LazyLock, atomic::Ordering};

use apalis_core::{
    task::{Task, builder::TaskBuilder, task_id::TaskId},
    worker::context::WorkerContext,
};
use redis::Script;

use crate::clock::now_ms;

use super::{error::RedisQueueError, keys::CHORE_LIMIT, persist::RedisPersistence};

static FETCH: LazyLock<Script> =
    LazyLock::new(|| Script::new(concat!(include_str!("lua/prelude.lua"), include_str!("lua/fetch.lua"))));

/// A worker recovers expired leases at most this often (ms): a busy worker fetches far more
/// often than that, and a lease is seconds long.
const CHORES_EVERY: u64 = 1000;
/// While Redis is away, a worker looks for it again this often (ms).
const OUTAGE_LOOK_EVERY: u64 = 1000;

impl RedisPersistence {
    pub(super) async fn next_batch(&mut self, worker: &WorkerContext) -> Result<Vec<Task<Vec<u8>>>, RedisQueueError> {
        if let Some(ahead) = self.state.take_ahead() {
            let jobs = ahead.await??;
            if !jobs.is_empty() {
                self.fetch_ahead(worker, jobs.len());
                return Ok(jobs);
            }
        }
        loop {
            if !self.state.should_fetch(now_ms()) {
                return Ok(Vec::new());
            }
            let jobs = match self.fetch(worker.name()).await {
                Ok(jobs) => {
                    self.state.away_since.store(0, Ordering::Relaxed);
                    jobs
                }
                Err(err) if err.is_outage() && !self.waited_out() => {
                    tracing::warn!(queue = self.config.queue, %err, "Redis is away; looking again shortly");
                    self.state.set_next_due(Some(now_ms() + OUTAGE_LOOK_EVERY));
                    return Ok(Vec::new());
                }
                Err(err) => return Err(err),
            };
            // Woken while the call was under way (by a push after the script ran, say): the
            // wake-up has been spent, so look again now.
            if !jobs.is_empty() || !self.state.is_asked() {
                self.fetch_ahead(worker, jobs.len());
                return Ok(jobs);
            }
        }
    }

    /// Whether Redis has been away for longer than this worker waits for it (from the first
    /// fetch that found it away).
    fn waited_out(&self) -> bool {
        let now = now_ms();
        let since = match self.state.away_since.compare_exchange(0, now, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => now,
            Err(since) => since,
        };
        now.saturating_sub(since) > self.config.redis_wait.as_millis() as u64
    }

    /// After a full batch, the next is fetched at once on a task of its own; the jobs it takes
    /// are held (their leases renewed) from then on, and handed back if the worker stops first.
    fn fetch_ahead(&self, worker: &WorkerContext, got: usize) {
        if !self.config.prefetch || got < self.config.batch {
            return;
        }
        let (mut persistence, name) = (self.clone(), worker.name().to_owned());
        self.state.set_ahead(tokio::spawn(async move { persistence.fetch(&name).await }));
    }

    /// At a stop: the acknowledgement under way is awaited, and the jobs fetched ahead and
    /// never handed to the worker go back to the queue.
    pub(super) async fn hand_back_ahead(&mut self, worker: &str) -> Result<(), RedisQueueError> {
        self.acknowledged().await?;
        let Some(ahead) = self.state.take_ahead() else { return Ok(()) };
        let jobs = ahead.await??;
        self.hand_back(worker, &jobs).await.map(drop)
    }

    async fn fetch(&mut self, worker: &str) -> Result<Vec<Task<Vec<u8>>>, RedisQueueError> {
        let c = &self.config;
        let mut call = FETCH.prepare_invoke();
        for key in ["pending", "inflight", "delayed", "signal", "workers"] {
            call.key(c.key(key));
        }
        let now = now_ms();
        let chores_due = now >= self.state.chores_at.load(Ordering::Relaxed) + CHORES_EVERY;
        if chores_due {
            self.state.chores_at.store(now, Ordering::Relaxed);
        }
        let limit = if chores_due { CHORE_LIMIT } else { 0 };
        call.arg(c.prefix()).arg(self.lease_ms()).arg(c.batch).arg(worker).arg(limit);
        // Idle workers that look only every few minutes must be told of a new lease to watch;
        // a shared queue's look every few seconds anyway.
        call.arg(u8::from(c.idle_cap() > c.renew_every())).arg(c.signal_is_channel());
        let reply: Vec<redis::Value> = call.invoke_async(&mut self.conn).await?;
        let Fetched { recovered, delayed, lease, redis_now, drained, jobs } = parse_fetch(reply)?;
        // Due times are on Redis's clock: as this process's, the same span from now.
        let local = |at: u64| now + at.saturating_sub(redis_now);
        let (delayed, lease) = (delayed.map(local), lease.map(local));
        if recovered > 0 {
            tracing::warn!(queue = c.queue, recovered, "jobs whose worker stopped renewing went back to the queue");
        }
        // A look that drained the queue needs no second look to find it empty: pushes after it
        // wake the worker, and what comes due later is told now.
        self.state.fetched(!drained);
        if drained {
            // A lease that runs out is recovered by the first fetch with chores after it.
            let recoverable = self.state.chores_at.load(Ordering::Relaxed) + CHORES_EVERY;
            self.state.set_next_due(delayed.into_iter().chain(lease.map(|at| at.max(recoverable))).min());
        }
        let mut held = self.state.held();
        Ok(jobs
            .into_iter()
            .map(|(id, payload, attempts, max)| {
                held.insert(id.clone());
                TaskBuilder::new(payload)
                    .task_id(TaskId::from_string(id))
                    .attempt(attempts as usize)
                    .max_attempts(max as usize)
                    .build()
            })
            .collect())
    }
}

struct Fetched {
    recovered: u64,
    /// When the first delayed job is due (ms), when the list drained.
    delayed: Option<u64>,
    /// The first lease deadline (ms), when the list drained.
    lease: Option<u64>,
    /// Redis's clock when it answered (ms): the two times above are on it.
    redis_now: u64,
    /// Fewer than a batch was taken: the pending list is empty.
    drained: bool,
    /// id, payload, attempts, max attempts.
    jobs: Vec<(String, Vec<u8>, u64, u64)>,
}

fn parse_fetch(reply: Vec<redis::Value>) -> Result<Fetched, RedisQueueError> {
    let bad = || RedisQueueError::BadReply("fetch".into());
    let mut values = reply.into_iter();
    let recovered: u64 = redis::from_redis_value(values.next().ok_or_else(bad)?)?;
    let mut time = || -> Result<Option<u64>, RedisQueueError> {
        // A score, as Redis prints it (a float's text).
        let score: Option<f64> = redis::from_redis_value(values.next().ok_or_else(bad)?)?;
        Ok(score.map(|ms| ms.max(0.0) as u64))
    };
    let (delayed, lease) = (time()?, time()?);
    let redis_now: u64 = redis::from_redis_value(values.next().ok_or_else(bad)?)?;
    let drained = redis::from_redis_value::<u8>(values.next().ok_or_else(bad)?)? == 1;
    let rest: Vec<redis::Value> = values.collect();
    let mut jobs = Vec::with_capacity(rest.len() / 4);
    for job in rest.chunks(4) {
        let [id, payload, attempts, max] = job else { return Err(bad()) };
        let attempts: Option<u64> = redis::from_redis_value(attempts.clone())?;
        let max: Option<u64> = redis::from_redis_value(max.clone())?;
        jobs.push((
            redis::from_redis_value(id.clone())?,
            redis::from_redis_value(payload.clone())?,
            attempts.unwrap_or(0),
            max.unwrap_or(u64::MAX),
        ));
    }
    Ok(Fetched { recovered, delayed, lease, redis_now, drained, jobs })
}
