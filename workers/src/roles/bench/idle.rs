//! `vteacher bench idle`: what N idle workers cost Redis. Each worker has a queue of its own,
//! as each node's per-node queue does in the fleet, and nothing is ever pushed. After a
//! warm-up (every worker registered and waiting), Redis's CPU time (`INFO cpu`) and commands
//! (`INFO commandstats`) are measured over the window, with apalis-redis 1.0.0's for
//! comparison when built with `compare-apalis-redis`.

use std::time::Duration;

use apalis::prelude::WorkerBuilderExt;
use apalis_core::{backend::ext::BackendExt, error::WorkerError, worker::builder::WorkerBuilder};
use shared::queue::redisq::{QueueConfig, RedisQueue, wake_on_signal};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::{
    own_redis::{OwnRedis, Usage, Window},
    queue::{Progress, noop, stopped},
};

/// Long enough for every worker to register, look once and settle into its wait.
const WARM_UP: Duration = Duration::from_secs(5);

/// Lets the running workers idle for `seconds` and measures Redis meanwhile, then stops them.
pub(super) async fn measure(
    redis: &mut OwnRedis,
    who: &str,
    mut running: JoinSet<Result<(), WorkerError>>,
    stop: CancellationToken,
    seconds: u64,
) -> anyhow::Result<Usage> {
    tokio::time::sleep(WARM_UP).await;
    let clients = redis.info("clients").await?;
    let connected = clients.lines().find_map(|l| l.strip_prefix("connected_clients:")).unwrap_or("?").trim().to_owned();
    let window = Window::start(redis, Some(std::process::id())).await?;
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let usage = window.finish(redis).await?;
    let died = running.try_join_next().is_some();
    stop.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(15), async { while running.join_next().await.is_some() {} }).await;
    running.abort_all();
    println!(
        "  {who}: {connected} Redis clients while idle{}",
        if died { "; SOME WORKERS STOPPED during the window" } else { "" }
    );
    Ok(usage)
}

/// `workers` idle workers of ours, one queue each, on one shared connection (as the product's
/// `Queues`) plus each worker's own wake-up connection for its blocking pop.
async fn ours(redis: &mut OwnRedis, workers: usize, seconds: u64) -> anyhow::Result<Usage> {
    redis.flush().await?;
    let conn = redis.manager().await?;
    let stop = CancellationToken::new();
    let mut running = JoinSet::new();
    let progress = Progress::new(0);
    for i in 0..workers {
        let config = QueueConfig { batch: 1, ..QueueConfig::new(&format!("bench-idle-{i}"), "bench:queues") };
        let queue = RedisQueue::<u64>::new(conn.clone(), config.clone());
        let wake = wake_on_signal(redis.client.clone(), config.key("signal"), config.idle_wait());
        let worker = WorkerBuilder::new(format!("idle-ours-{i}"))
            .backend(queue.poll_with_stream(wake))
            .data(progress.clone())
            .concurrency(1)
            .build(noop);
        let until = stop.clone();
        running.spawn(worker.run_with_ctx(move |ctx| stopped(until.clone(), ctx)));
    }
    measure(redis, "ours", running, stop, seconds).await
}

fn print(who: &str, workers: usize, u: &Usage) {
    println!(
        "| {who} | {workers} | {:.1} s | {:.3} s ({:.2}% of a core) | {:.0} | {:.1} | {:.3} s | {} |",
        u.wall,
        u.redis_cpu,
        100.0 * u.redis_cpu / u.wall,
        u.total_calls() as f64 / u.wall,
        u.script_calls() as f64 / u.wall,
        u.worker_cpu,
        u.top(5),
    );
}

pub(super) async fn run(workers: usize, seconds: u64) -> anyhow::Result<()> {
    let mut redis = OwnRedis::start().await?;
    let version = redis.version().await?;
    println!(
        "{workers} idle workers, one queue each, {seconds} s measured after {WARM_UP:?} of warm-up; redis-server {version} of our own on port {}",
        redis.port
    );
    let lease = QueueConfig::new("x", "x").lease;
    let alone = measure(&mut redis, "redis-server alone", JoinSet::new(), CancellationToken::new(), seconds).await?;
    let ours = ours(&mut redis, workers, seconds).await?;
    #[cfg(feature = "compare-apalis-redis")]
    let theirs = super::queue_apalis::idle(&mut redis, workers, seconds).await?;
    redis.stop().await;
    println!(
        "\n| contender | workers | window | Redis CPU | commands/s | script calls/s | vteacher CPU | busiest commands |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    print("none (redis-server alone)", 0, &alone);
    print(&format!("ours (lease {lease:?}: blocking pop ≤ 5 s)"), workers, &ours);
    #[cfg(feature = "compare-apalis-redis")]
    {
        print("apalis-redis 1.0.0 (polled every 200 ms)", workers, &theirs);
        // What the workers add to what the server costs alone.
        let added = |u: &Usage| u.redis_cpu / u.wall - alone.redis_cpu / alone.wall;
        if added(&ours) > 0.0 {
            println!("\nRedis CPU added by the workers, apalis-redis / ours: {:.1}×", added(&theirs) / added(&ours));
        }
    }
    Ok(())
}
