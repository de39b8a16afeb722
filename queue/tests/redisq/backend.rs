//! What vteacher's backend does that apalis-redis 1.0.0 does not: a 100k backlog, attempts and
//! backoff as configured, an abort and the dead set, retention that spares retries, an
//! idempotency key.

use std::time::Duration;

use apalis_core::{backend::TaskSink, task::builder::TaskBuilder};

use super::harness::{Behaviour, QueueTest};
use testkit::eventually;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100k_backlog_drains_completely() {
    let q = QueueTest::new().await;
    q.push(0..100_000).await;
    assert_eq!(q.ours().counts().await.unwrap().pending, 100_000);
    for _ in 0..2 {
        q.spawn_worker(50, Behaviour::Succeed);
    }
    q.wait_for_runs(100_000, Duration::from_secs(240)).await;
    assert_eq!(q.runs.jobs_run_more_than_once(), 0);
    eventually("every job to be settled", Duration::from_secs(10), || async {
        let counts = q.ours().counts().await.ok()?;
        (counts.done == 100_000 && counts.pending == 0 && counts.running == 0).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempts_and_backoff_are_as_configured() {
    let q = QueueTest::new().await;
    q.push([1]).await;
    q.spawn_worker(1, Behaviour::Fail);
    eventually("the job to be dead", Duration::from_secs(20), || async {
        (q.ours().counts().await.ok()?.dead == 1).then_some(())
    })
    .await;
    let runs = q.runs.of(1);
    assert_eq!(runs.len(), 4, "max_attempts runs");
    assert_eq!(runs.iter().map(|(_, a)| *a).collect::<Vec<_>>(), [1, 2, 3, 4]);
    // 200 ms, 400 ms, 800 ms, each ±20%.
    for (i, pair) in runs.windows(2).enumerate() {
        let gap = pair[1].0 - pair[0].0;
        let want = Duration::from_millis(200 << i);
        assert!(gap >= want.mul_f64(0.8) && gap <= want.mul_f64(1.2) + Duration::from_millis(500), "gap {i}: {gap:?}");
    }
    let dead = q.ours().dead(10).await.unwrap();
    assert_eq!((dead.len(), dead[0].attempts), (1, 4));
    assert!(dead[0].error.contains("always fails"), "{}", dead[0].error);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abort_skips_the_retries_and_the_dead_can_be_redriven() {
    let q = QueueTest::new().await;
    q.push([5]).await;
    q.spawn_worker(1, Behaviour::Abort);
    eventually("the job to be dead", Duration::from_secs(10), || async {
        (q.ours().counts().await.ok()?.dead == 1).then_some(())
    })
    .await;
    assert_eq!(q.runs.of(5).len(), 1, "no retry after an abort");
    let dead = q.ours().dead(10).await.unwrap();
    assert_eq!(dead[0].payload, 5);

    assert_eq!(q.ours().redrive(&[dead[0].id.clone()], 10).await.unwrap(), 1);
    q.wait_for_runs(2, Duration::from_secs(10)).await;
    assert_eq!(q.runs.of(5)[1].1, 1, "re-driven with fresh attempts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_drops_finished_jobs_but_never_one_awaiting_its_retry() {
    let mut q = QueueTest::new().await;
    q.config.retention = Duration::from_secs(1);
    q.config.backoff = Duration::from_secs(4);
    q.push([1]).await;
    q.spawn_worker(1, Behaviour::Fail);
    q.wait_for_runs(1, Duration::from_secs(10)).await;
    // Job 2 finishes; its record expires after the 1 s retention.
    let ok = QueueTest::on(&testkit::redis::redis_url(), &format!("{}-ok", q.queue)).await;
    let mut ok = ok;
    ok.config.retention = Duration::from_secs(1);
    ok.push([2]).await;
    ok.spawn_worker(1, Behaviour::Succeed);
    ok.wait_for_runs(1, Duration::from_secs(10)).await;
    let mut conn = q.conn.clone();
    eventually("the finished job to expire", Duration::from_secs(10), || async {
        let finished: Vec<String> =
            redis::cmd("KEYS").arg(format!("{}:j:*", ok.config.prefix())).query_async(&mut conn.clone()).await.ok()?;
        finished.is_empty().then_some(())
    })
    .await;
    // Job 1 waits 4 s for its retry, well past the retention: it is still there, and runs.
    let waiting: Vec<String> =
        redis::cmd("KEYS").arg(format!("{}:j:*", q.config.prefix())).query_async(&mut conn).await.unwrap();
    assert_eq!(waiting.len(), 1, "the job awaiting its retry is kept");
    q.wait_for_runs(2, Duration::from_secs(10)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_admits_one_job() {
    let q = QueueTest::new().await;
    let mut queue = q.ours();
    for _ in 0..3 {
        queue.push_task(TaskBuilder::new(9u64).idempotency_key("transcode:6666:240P").build()).await.unwrap();
    }
    assert_eq!(queue.counts().await.unwrap().pending, 1);
}
