//! `vteacher-bench queue`: how fast one worker drains a backlog of no-op jobs pushed before it
//! starts — vteacher's own Redis queue against BullMQ (and apalis-redis 1.0.0 with the
//! `compare-apalis-redis` feature), each from an empty queue on the same redis-server of the
//! benchmark's own. The time runs from the worker's start until Redis shows every job done.

use std::time::Instant;

use anyhow::anyhow;
use apalis::prelude::WorkerBuilderExt;
use apalis_core::{
    backend::{TaskSink, ext::BackendExt},
    worker::builder::WorkerBuilder,
};
use tokio_util::sync::CancellationToken;
use vteacher_queue::{
    FETCH_AHEAD_JOBS, fetch_batch,
    redisq::{QueueConfig, RedisQueue},
};

use crate::{
    own_redis::{OwnRedis, Window},
    queue_bullmq::BullMq,
    queue_drain::{Fetching, Outcome, Progress, Run, drain, finish, noop, stopped},
    queue_plan::{Step, plan},
    queue_report::report,
};
use workers::progress::Bars;

/// vteacher's queue: `workers` apalis workers in this process (1 but for the `--split`
/// experiment) sharing `concurrency`.
async fn ours(
    redis: &mut OwnRedis,
    backlog: u64,
    concurrency: usize,
    fetching: Fetching,
    workers: usize,
) -> anyhow::Result<Run> {
    redis.flush().await?;
    let (batch, prefetch) = match fetching {
        Fetching::Ahead => (fetch_batch(concurrency, true), true),
        Fetching::Batch(batch) => (batch, false),
    };
    // Every finished job kept (QUEUE_RETENTION_COUNT would trim them): the clock stops when
    // Redis counts the whole backlog done.
    let config =
        QueueConfig { batch, prefetch, retention_count: u64::MAX, ..QueueConfig::new("bench", "bench:queues") };
    let mut queue = RedisQueue::<u64>::new(redis.manager().await?, config);
    queue.push_bulk((0..backlog).collect()).await.map_err(|e| anyhow!("pushing the backlog: {e}"))?;
    let progress = Progress::new(backlog);
    let stop = CancellationToken::new();
    let mut all = Vec::new();
    for w in 0..workers {
        let backend = queue.clone();
        let wake = backend.wake_stream(redis.client.clone());
        let worker = WorkerBuilder::new(format!("bench-ours-{concurrency}-{w}"))
            .backend(backend.poll_with_stream(wake))
            .data(progress.clone())
            .concurrency(concurrency / workers)
            .build(noop);
        let until = stop.clone();
        all.push(worker.run_with_ctx(move |ctx| stopped(until.clone(), ctx)));
    }
    let window = Window::start(redis, Some(std::process::id())).await?;
    let started = Instant::now();
    let mut handle = tokio::spawn(async move { futures::future::try_join_all(all).await.map(drop) });
    let queue_ref = &queue;
    let outcome =
        drain(&progress, backlog, &mut handle, started, || async move { Ok(queue_ref.counts().await?.done) }).await;
    let usage = window.finish(redis).await?;
    finish(stop, handle).await;
    let who = match (workers, fetching) {
        (1, Fetching::Ahead) => format!("ours, short jobs (product: batch c+{FETCH_AHEAD_JOBS}, fetch ahead)"),
        (1, Fetching::Batch(b)) if b == concurrency => "ours, long jobs (product: batch = c)".to_owned(),
        (1, Fetching::Batch(b)) => format!("ours, batch = {b}, no fetch ahead"),
        (n, _) => format!("ours, {n} workers × c/{n}, batch = c/{n}"),
    };
    Ok(Run { who, backlog, concurrency, outcome, usage })
}

pub(super) async fn run(
    backlog: u64,
    concurrency: &[usize],
    min_batch: usize,
    small_backlog: u64,
    split: usize,
) -> anyhow::Result<()> {
    let bullmq = BullMq::install().await?;
    let mut redis = OwnRedis::start().await?;
    let (redis_version, cpus) = (redis.version().await?, std::thread::available_parallelism().map_or(0, |n| n.get()));
    println!(
        "backlog {backlog} no-op jobs; one worker; redis-server {redis_version} of our own on port {}; {cpus} cores; BullMQ {}",
        redis.port, bullmq.version
    );
    let steps = plan(backlog, concurrency, min_batch, small_backlog, split);
    let bars = Bars::new();
    let bar = bars.steps(steps.len() as u64, "bench queue");
    let mut runs = Vec::new();
    for step in steps {
        let run = run_step(step, &mut redis, &bullmq).await?;
        bars.line(match &run.outcome {
            Outcome::Drained(took) => format!(
                "  {:<40} c={:<3} {:>9.0} jobs/s in {:.3}s",
                run.who,
                run.concurrency,
                run.jobs_per_sec().unwrap_or(0.0),
                took.as_secs_f64()
            ),
            Outcome::Failed(why) => format!("  {:<40} c={:<3} FAILED: {why}", run.who, run.concurrency),
        });
        bar.inc(1);
        bar.set_message(format!("last: {} c={}", run.who, run.concurrency));
        runs.push(run);
    }
    bar.finish_and_clear();
    redis.stop().await;
    report(&runs);
    Ok(())
}

/// Runs one step of the plan on the benchmark's own redis-server.
async fn run_step(step: Step, redis: &mut OwnRedis, bullmq: &BullMq) -> anyhow::Result<Run> {
    match step {
        Step::Ours { backlog, concurrency, fetching, workers } => {
            ours(redis, backlog, concurrency, fetching, workers).await
        }
        Step::BullMq { backlog, concurrency, keep } => bullmq.run(redis, backlog, concurrency, keep).await,
        #[cfg(feature = "compare-apalis-redis")]
        Step::Apalis { backlog, concurrency } => crate::queue_apalis::drain(redis, backlog, concurrency).await,
        #[cfg(not(feature = "compare-apalis-redis"))]
        Step::Apalis { .. } => Err(anyhow!("comparing apalis-redis needs the compare-apalis-redis feature")),
    }
}
