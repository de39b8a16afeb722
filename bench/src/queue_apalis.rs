//! apalis-redis 1.0.0 as the product configured it before vteacher had its own queue (only
//! with the `compare-apalis-redis` feature): a ConnectionManager with a 10 s response timeout,
//! `Config::default().queue(..).emit_events(false).heartbeat_interval(lease / 3)
//! .missed_heartbeats(3).batch_size(concurrency)`, polled every 200 ms.

use std::time::{Duration, Instant};

use anyhow::anyhow;
use apalis::prelude::WorkerBuilderExt;
use apalis_core::{
    backend::{TaskSink, ext::BackendExt},
    worker::builder::WorkerBuilder,
};
use apalis_redis::{Config, RedisStorage};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::{
    idle_window::measure,
    own_redis::{OwnRedis, Usage, Window},
    queue_drain::{Progress, Run, drain as wait_drained, finish, noop, stopped},
};

/// The product's former polling interval and lease (QUEUE_LEASE's default).
const POLL: Duration = Duration::from_millis(200);
const LEASE: Duration = Duration::from_secs(30);

fn storage(conn: redis::aio::ConnectionManager, queue: &str, batch: usize) -> RedisStorage<u64> {
    let config = Config::default()
        .queue(queue)
        .emit_events(false)
        .heartbeat_interval(LEASE / 3)
        .missed_heartbeats(3)
        .batch_size(batch.max(1));
    RedisStorage::new(conn).with_config(config)
}

/// One drain of `backlog` jobs by a worker with `concurrency`.
pub(super) async fn drain(redis: &mut OwnRedis, backlog: u64, concurrency: usize) -> anyhow::Result<Run> {
    redis.flush().await?;
    let mut storage = storage(redis.manager().await?, "bench", concurrency);
    let jobs: Vec<u64> = (0..backlog).collect();
    for chunk in jobs.chunks(1000) {
        storage.push_bulk(chunk.to_vec()).await.map_err(|e| anyhow!("pushing the backlog: {e}"))?;
    }
    let progress = Progress::new(backlog);
    let worker = WorkerBuilder::new(format!("bench-apalis-{concurrency}"))
        .backend(storage.clone().poll_with_interval(POLL))
        .data(progress.clone())
        .concurrency(concurrency)
        .build(noop);
    let stop = CancellationToken::new();
    let window = Window::start(redis, Some(std::process::id())).await?;
    let started = Instant::now();
    let until = stop.clone();
    let mut handle = tokio::spawn(worker.run_with_ctx(move |ctx| stopped(until.clone(), ctx)));
    let (done_set, conn) = (storage.get_config().done_jobs_set(), storage.get_connection().clone());
    let done = || {
        let (key, mut conn) = (done_set.clone(), conn.clone());
        async move { Ok(redis::cmd("SCARD").arg(key).query_async::<u64>(&mut conn).await?) }
    };
    let outcome = wait_drained(&progress, backlog, &mut handle, started, done).await;
    let usage = window.finish(redis).await?;
    finish(stop, handle).await;
    Ok(Run { who: "apalis-redis 1.0.0".to_owned(), backlog, concurrency, outcome, usage })
}

/// `workers` idle apalis-redis workers, one queue each, measured for `seconds`.
pub(super) async fn idle(redis: &mut OwnRedis, workers: usize, seconds: u64) -> anyhow::Result<Usage> {
    redis.flush().await?;
    let conn = redis.manager().await?;
    let stop = CancellationToken::new();
    let mut running = JoinSet::new();
    let progress = Progress::new(0);
    for i in 0..workers {
        let worker = WorkerBuilder::new(format!("idle-apalis-{i}"))
            .backend(storage(conn.clone(), &format!("bench-idle-{i}"), 1).poll_with_interval(POLL))
            .data(progress.clone())
            .concurrency(1)
            .build(noop);
        let until = stop.clone();
        running.spawn(worker.run_with_ctx(move |ctx| stopped(until.clone(), ctx)));
    }
    measure(redis, "apalis-redis", running, stop, seconds).await
}
