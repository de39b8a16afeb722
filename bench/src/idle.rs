//! `vteacher-bench idle`: what N idle per-node workers cost Redis. Each worker runs a job of
//! `QueueKind::PerNode` on a node of its own, started as the product starts them
//! (`Queues::connect`, `Workers::spawn`, concurrency `DOWNLOAD_CONCURRENCY`, the default
//! `QUEUE_LEASE`), and nothing is ever pushed. After a warm-up (every worker registered and
//! waiting), Redis's CPU time (`INFO cpu`) and commands (`INFO commandstats`) are measured over
//! the window. An idle per-node worker looks on its own only once per idle cap (ten minutes),
//! which a window of a minute does not see; so the same workers are measured again with the
//! cap cut to `SHORT_CAP`, which gives the cost of one such look, and the two make the
//! projection for a fleet. apalis-redis 1.0.0 is measured too when built with
//! `compare-apalis-redis`.

use std::time::Duration;

use apalis::prelude::WorkerBuilderExt;
use apalis_core::{backend::ext::BackendExt, worker::builder::WorkerBuilder};
use serde::{Deserialize, Serialize};
use shared::{config::Settings, domain::NodeId};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::{
    idle_window::{WARM_UP, measure},
    own_redis::{OwnRedis, Usage},
    queue_drain::{Progress, noop, stopped},
};
use vteacher_queue::{
    Job, JobError, QueueKind, Queues, Workers,
    redisq::{PER_NODE_IDLE_CAP, QueueConfig, RedisQueue},
};

/// The idle cap of the second measure: several looks per worker in the window.
const SHORT_CAP: Duration = Duration::from_secs(5);
/// Nodes in the fleet the projection is for, per-node queues per node (`download`, and
/// `class-end` to come), and how often a node writes its status (`NODE_HEARTBEAT`).
const FLEET: f64 = 10_000.0;
const QUEUES_PER_NODE: f64 = 2.0;
const STATUS_EVERY: f64 = 30.0;

/// A per-node job that is never pushed.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct IdleJob;

impl Job for IdleJob {
    const QUEUE: &'static str = "bench-idle";
    const KIND: QueueKind = QueueKind::PerNode;
    type Context = ();

    async fn run(&self, _ctx: &()) -> Result<(), JobError> {
        Ok(())
    }

    fn span(&self) -> tracing::Span {
        tracing::info_span!("bench-idle")
    }
}

/// `workers` idle per-node workers as the product runs them: one `Queues` (one shared
/// connection) and each worker's own wake-up connection for its blocking pop.
async fn ours(redis: &mut OwnRedis, workers: usize, seconds: u64) -> anyhow::Result<Usage> {
    redis.flush().await?;
    let settings = Settings { redis_url: Some(redis.url()), queue_prefix: "bench".into(), ..Settings::default() };
    let queues = Queues::connect(&shared::app::queue_settings(&settings), None).await?;
    // As many at once as the product's download workers.
    let concurrency = (shared::jobs::find("download")?.concurrency)(&settings);
    let stop = CancellationToken::new();
    let mut fleet = Workers::new(stop.clone());
    for i in 0..workers {
        let node: NodeId = format!("node-{i}").parse()?;
        fleet.spawn::<IdleJob>(&queues, (), Some(node.as_str()), concurrency);
    }
    let mut running = JoinSet::new();
    running.spawn(fleet.run(Duration::from_secs(5)));
    measure(redis, "ours, per-node", running, stop, seconds).await
}

/// The same workers with the idle cap cut to `SHORT_CAP` (apalis workers on `RedisQueue`s
/// configured as `Queues` does, but for the cap), to measure what one idle look costs.
async fn short_cap(redis: &mut OwnRedis, workers: usize, seconds: u64) -> anyhow::Result<Usage> {
    redis.flush().await?;
    let conn = redis.manager().await?;
    let (stop, progress, batch) =
        (CancellationToken::new(), Progress::new(0), Settings::default().download_concurrency);
    let mut running = JoinSet::new();
    for i in 0..workers {
        let config =
            QueueConfig::new(&format!("bench:bench-idle:node-{i}"), "bench:queues").of_kind(QueueKind::PerNode);
        let queue = RedisQueue::<u64>::new(conn.clone(), QueueConfig { batch, idle_cap: Some(SHORT_CAP), ..config });
        let wake = queue.wake_stream(redis.client.clone());
        let worker = WorkerBuilder::new(format!("idle-short-{i}"))
            .backend(queue.poll_with_stream(wake))
            .data(progress.clone())
            .concurrency(batch)
            .build(noop);
        let until = stop.clone();
        running.spawn(worker.run_with_ctx(move |ctx| stopped(until.clone(), ctx)));
    }
    measure(redis, &format!("ours, idle cap {SHORT_CAP:?}"), running, stop, seconds).await
}

fn print(who: &str, workers: usize, u: &Usage) {
    println!(
        "| {who} | {workers} | {:.1} s | {:.3} s ({:.2}% of a core) | {:.1} | {:.4} | {:.1} | {:.3} s | {} |",
        u.wall,
        u.redis_cpu,
        100.0 * u.redis_cpu / u.wall,
        u.total_calls() as f64 / u.wall,
        per_worker(u, workers),
        u.script_calls() as f64 / u.wall,
        u.worker_cpu,
        u.top(5),
    );
}

/// Commands per second per worker.
fn per_worker(u: &Usage, workers: usize) -> f64 {
    if workers == 0 { 0.0 } else { u.total_calls() as f64 / u.wall / workers as f64 }
}

pub(super) async fn run(workers: usize, seconds: u64) -> anyhow::Result<()> {
    let mut redis = OwnRedis::start().await?;
    let version = redis.version().await?;
    println!(
        "{workers} idle per-node workers, one node each, {seconds} s measured after {WARM_UP:?} of warm-up; \
         redis-server {version} of our own on port {}",
        redis.port
    );
    let alone =
        measure(&mut redis, "redis-server alone", JoinSet::<()>::new(), CancellationToken::new(), seconds).await?;
    let ours = ours(&mut redis, workers, seconds).await?;
    let short = short_cap(&mut redis, workers, seconds).await?;
    #[cfg(feature = "compare-apalis-redis")]
    let theirs = crate::queue_apalis::idle(&mut redis, workers, seconds).await?;
    redis.stop().await;
    println!(
        "\n| contender | workers | window | Redis CPU | commands/s | per worker | script calls/s | vteacher CPU \
         | busiest commands |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    print("none (redis-server alone)", 0, &alone);
    print(&format!("ours, per-node (idle cap {PER_NODE_IDLE_CAP:?})"), workers, &ours);
    print(&format!("ours, per-node, idle cap cut to {SHORT_CAP:?}"), workers, &short);
    #[cfg(feature = "compare-apalis-redis")]
    print("apalis-redis 1.0.0 (polled every 200 ms)", workers, &theirs);

    // Each worker looks once per cap; between looks it costs what the first window measured.
    let per_look = per_worker(&short, workers) * SHORT_CAP.as_secs_f64();
    let steady = per_worker(&ours, workers) + per_look / PER_NODE_IDLE_CAP.as_secs_f64();
    let fleet = FLEET * (QUEUES_PER_NODE * steady + 1.0 / STATUS_EVERY);
    println!(
        "\nOne idle look (idle cap passed) costs {per_look:.1} commands; between looks a worker costs \
         {:.4} commands/s. An idle per-node worker: {steady:.4} commands/s in the steady state.",
        per_worker(&ours, workers)
    );
    println!(
        "Projection, {FLEET:.0} idle nodes × {QUEUES_PER_NODE:.0} per-node queues + one status write per \
         {STATUS_EVERY:.0} s per node: {fleet:.0} Redis commands/s (the goal: ≤ 1,000)."
    );
    Ok(())
}
