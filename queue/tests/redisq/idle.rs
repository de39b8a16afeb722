//! Idle per-node workers, configured as the product configures them (`QueueKind::PerNode`: an
//! idle cap of ten minutes): they cost Redis next to nothing while idle, and still pick up on
//! time a delayed job, a retry, and the job of a worker that died.
//!
//! The bound: 10,000 idle nodes may cost Redis 1,000 commands/s in all. Each writes its status
//! every 30 s (333/s) and runs two per-node queues' workers, which leaves
//! (1,000 − 10,000 / 30) / 20,000 ≈ 0.033 commands/s per idle worker.

use std::time::{Duration, Instant};

use apalis_core::{backend::TaskSink, task::builder::TaskBuilder};
use vteacher_queue::{
    QueueKind,
    redisq::{PER_NODE_IDLE_CAP, QueueConfig},
};

use super::{
    costs::total_calls,
    harness::{Behaviour, QueueTest},
};
use testkit::{
    eventually,
    redis::{ForgetfulRedis, own_redis, redis_url},
};

/// Commands per second one idle per-node worker may cost (above).
const PER_WORKER: f64 = (1_000.0 - 10_000.0 / 30.0) / 20_000.0;
const WORKERS: usize = 20;

async fn per_node(url: &str, queue: &str) -> QueueTest {
    let mut q = QueueTest::on(url, queue).await;
    q.config = q.config.clone().of_kind(QueueKind::PerNode);
    q
}

fn unix_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

/// `WORKERS` idle workers, one queue each (`config` changed by `tune`), once every one of them
/// has looked once (one script call each) and settled.
async fn idle_workers(url: &str, tune: impl Fn(&mut QueueConfig)) -> Vec<QueueTest> {
    let mut queues = Vec::new();
    for i in 0..WORKERS {
        let mut q = per_node(url, &format!("download:node-{i}")).await;
        tune(&mut q.config);
        q.spawn_worker(4, Behaviour::Succeed);
        queues.push(q);
    }
    let client = redis::Client::open(url).unwrap();
    let conn = client.get_multiplexed_async_connection().await.unwrap();
    eventually("every worker to look once", Duration::from_secs(10), || async {
        let info: String = redis::cmd("INFO").arg("commandstats").query_async(&mut conn.clone()).await.ok()?;
        let line = info.lines().find(|l| l.starts_with("cmdstat_evalsha:"))?;
        let calls: usize = line.split("calls=").nth(1)?.split(',').next()?.parse().ok()?;
        (calls >= WORKERS).then_some(())
    })
    .await;
    queues
}

/// Commands per second per worker over `window`.
async fn measure(url: &str, window: Duration) -> f64 {
    let before = total_calls(url).await;
    tokio::time::sleep(window).await;
    (total_calls(url).await - before) as f64 / window.as_secs_f64() / WORKERS as f64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_per_node_workers_cost_next_to_nothing_and_run_a_delayed_job_on_time() {
    let (_server, url) = own_redis().await;
    let queues = idle_workers(&url, |_| {}).await;
    let rate = measure(&url, Duration::from_secs(20)).await;
    println!("{WORKERS} idle per-node workers: {rate:.4} commands/s each (bound {PER_WORKER:.4})");
    assert!(rate <= PER_WORKER, "{rate:.4} commands/s per idle worker");

    // A job due in 2-3 s (whole seconds: the task's run_at), pushed to a sleeping worker.
    let q = &queues[0];
    let due_ms = (unix_ms() / 1000 + 3) * 1000;
    let due = Instant::now() + Duration::from_millis(due_ms - unix_ms());
    q.ours().push_task(TaskBuilder::new(7u64).run_at_timestamp(due_ms / 1000).build()).await.unwrap();
    q.wait_for_runs(1, Duration::from_secs(10)).await;
    let ran = q.runs.of(7)[0].0;
    println!("the delayed job ran {:?} after it was due", ran.saturating_duration_since(due));
    assert!(ran + Duration::from_millis(50) >= due, "ran {:?} before it was due", due - ran);
    assert!(ran <= due + Duration::from_secs(1), "ran {:?} after it was due", ran - due);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_idle_look_costs_a_few_commands() {
    // The same workers looking every second instead of every ten minutes: what one look costs.
    let (_server, url) = own_redis().await;
    let cap = Duration::from_secs(1);
    let _queues = idle_workers(&url, |config| config.idle_cap = Some(cap)).await;
    let per_look = measure(&url, Duration::from_secs(10)).await * cap.as_secs_f64();
    let steady = per_look / PER_NODE_IDLE_CAP.as_secs_f64();
    println!("one idle look: {per_look:.1} commands; with the per-node cap, {steady:.4} commands/s per worker");
    // The fetch script and what it runs (8, Redis's TIME among them), apalis's heartbeat as a
    // script on Redis's clock (4: the script, TIME, ZADD, ZREMRANGEBYSCORE); a per-node queue's
    // wake-up is a message on the process's connection, no command.
    assert!(per_look <= 14.0, "{per_look:.1} commands per look");
    assert!(steady <= PER_WORKER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_worker_takes_over_the_job_of_one_that_died_within_a_lease() {
    let q = per_node(&redis_url(), &format!("vt-qtest-{}:download:node-1", uuid::Uuid::new_v4().simple())).await;
    let workers = [q.spawn_worker(1, Behaviour::RecordAndHang), q.spawn_worker(1, Behaviour::RecordAndHang)];
    let mut conn = q.conn.clone();
    eventually("both workers to register", Duration::from_secs(10), || async {
        let n: usize = redis::cmd("ZCARD").arg(q.config.key("workers")).query_async(&mut conn.clone()).await.ok()?;
        (n == 2).then_some(())
    })
    .await;
    q.push([7]).await;
    eventually("a worker to take the job", Duration::from_secs(10), || async {
        (q.recorded_runs().await.len() == 1).then_some(())
    })
    .await;
    let id: Vec<String> =
        redis::cmd("ZRANGE").arg(q.config.key("inflight")).arg(0).arg(0).query_async(&mut conn).await.unwrap();
    let holder: String =
        redis::cmd("HGET").arg(q.config.job_key(&id[0])).arg("w").query_async(&mut conn).await.unwrap();
    let (_, died) = workers.iter().find(|(name, _)| *name == holder).expect("one of ours holds it");
    died.abort();
    let died_at = Instant::now();
    eventually("the other worker to run it", Duration::from_secs(10), || async {
        (q.recorded_runs().await.len() == 2).then_some(())
    })
    .await;
    // Its lease (3 s) runs out at most 2 s after its last renewal; the idle worker, told of the
    // lease when it was taken, looks then (its chores at most once a second).
    assert!(died_at.elapsed() <= Duration::from_secs(4), "taken over after {:?}", died_at.elapsed());
    assert_eq!(q.recorded_runs().await, [(7, 1), (7, 1)], "the death used no attempt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_on_a_per_node_queue_come_at_their_backoff() {
    let q = per_node(&redis_url(), &format!("vt-qtest-{}:download:node-1", uuid::Uuid::new_v4().simple())).await;
    q.push([1]).await;
    q.spawn_worker(1, Behaviour::Fail);
    eventually("the job to be dead", Duration::from_secs(20), || async {
        (q.ours().counts().await.ok()?.dead == 1).then_some(())
    })
    .await;
    let runs = q.runs.of(1);
    assert_eq!(runs.len(), 4, "max_attempts runs");
    // 200 ms, 400 ms, 800 ms, each ±20%, however long the idle cap.
    for (i, pair) in runs.windows(2).enumerate() {
        let (gap, want) = (pair[1].0 - pair[0].0, Duration::from_millis(200 << i));
        assert!(gap >= want.mul_f64(0.8) && gap <= want.mul_f64(1.2) + Duration::from_millis(500), "gap {i}: {gap:?}");
    }
}

/// A per-node worker hears its queue on its process's one connection (pub/sub), and a message
/// sent while that connection is down is lost: a Redis that restarts must not leave the worker
/// deaf until its ten-minute idle cap. Its channel is subscribed again, and a job pushed before
/// that, or after, runs at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_per_node_worker_hears_its_queue_again_after_redis_restarts() {
    let mut redis = ForgetfulRedis::start().await;
    let q = per_node(&redis.url(), "download:node-1").await;
    q.spawn_worker(1, Behaviour::Succeed);
    q.push([1]).await;
    q.wait_for_runs(1, Duration::from_secs(10)).await;

    redis.restart_empty().await;
    eventually("a push to the restarted Redis", Duration::from_secs(30), || async {
        q.ours().push_bulk(vec![2u64]).await.ok()
    })
    .await;
    q.wait_for_runs(2, Duration::from_secs(30)).await;
    let client = redis::Client::open(redis.url()).unwrap();
    let conn = client.get_multiplexed_async_connection().await.unwrap();
    let signal = q.config.key("signal");
    eventually("the worker's channel subscribed again", Duration::from_secs(30), || async {
        let counts: Vec<(String, u64)> =
            redis::cmd("PUBSUB").arg("NUMSUB").arg(&signal).query_async(&mut conn.clone()).await.ok()?;
        (counts.first()?.1 == 1).then_some(())
    })
    .await;
    q.push([3]).await;
    q.wait_for_runs(3, Duration::from_secs(10)).await;
    assert_eq!((q.runs.of(2).len(), q.runs.of(3).len()), (1, 1), "each job pushed after the restart ran once");
}
