//! No script unpacks an unbounded list (Lua's `unpack` fails above ~8k values, after the script
//! has already written): a re-drive of 20k dead jobs, and a fetch and hand-back of a batch
//! larger than that, lose no job. On a redis-server of each test's own.

use std::{
    collections::HashSet,
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use apalis::prelude::WorkerBuilderExt;
use apalis_core::{backend::ext::BackendExt, error::BoxDynError, worker::builder::WorkerBuilder};
use tokio_util::sync::CancellationToken;
use vteacher_queue::redisq::RedisQueue;

use super::harness::{Behaviour, QueueTest};
use testkit::{eventually, redis::own_redis};

const DEAD: u64 = 20_000;

/// Every job of `q` is in exactly one place, and there are `total` of them.
async fn each_job_in_one_place(q: &QueueTest, total: u64) -> vteacher_queue::redisq::Counts {
    let counts = q.ours().counts().await.unwrap();
    let sum = counts.pending + counts.running + counts.delayed + counts.done + counts.dead;
    assert_eq!(sum, total, "none lost: {counts:?}");
    let pending: Vec<String> = redis::cmd("LRANGE")
        .arg(q.config.key("pending"))
        .arg(0)
        .arg(-1)
        .query_async(&mut q.conn.clone())
        .await
        .unwrap();
    assert_eq!(pending.iter().collect::<HashSet<_>>().len(), pending.len(), "no job pending twice");
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redrive_of_20k_dead_jobs_puts_every_one_back() {
    let (_server, url) = own_redis().await;
    let q = QueueTest::on(&url, "many-dead").await;
    q.push(0..DEAD).await;
    let (_, worker) = q.spawn_worker(50, Behaviour::Abort);
    eventually("every job to be dead", Duration::from_secs(120), || async {
        (q.ours().counts().await.ok()?.dead == DEAD).then_some(())
    })
    .await;
    worker.abort();

    // Half by id (more ids than one unpack takes)...
    let ids: Vec<String> = q.ours().dead(DEAD as usize / 2).await.unwrap().into_iter().map(|d| d.id).collect();
    assert_eq!(q.ours().redrive(&ids, 0).await.unwrap(), DEAD / 2);
    // ...and the rest with a limit of 0: every dead job (what `vteacher queue redrive --limit 0` asks).
    assert_eq!(q.ours().redrive(&[], 0).await.unwrap(), DEAD / 2);

    let counts = each_job_in_one_place(&q, DEAD).await;
    assert_eq!((counts.pending, counts.dead), (DEAD, 0), "{counts:?}");
    assert!(q.ours().dead(0).await.unwrap().is_empty(), "no dead job is left");
}

/// Set once the worker runs its first job: the batch has reached the worker.
static STARTED: AtomicBool = AtomicBool::new(false);

async fn slow(_job: u64) -> Result<(), BoxDynError> {
    STARTED.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok(())
}

/// A fetch of more jobs than one unpack takes, all but one waiting for the worker's only
/// slot, then a stop: the waiting ones are handed back, none lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_beyond_unpacks_limit_is_fetched_and_handed_back_whole() {
    const JOBS: u64 = 9_000;
    let (_server, url) = own_redis().await;
    let q = QueueTest::on(&url, "big-batch").await;
    q.push(0..JOBS).await;
    let mut config = q.config.clone();
    config.batch = JOBS as usize;
    let queue = RedisQueue::<u64>::new(q.conn.clone(), config);
    let wake = queue.wake_stream(redis::Client::open(url.as_str()).unwrap());
    let stop = CancellationToken::new();
    let until = {
        let stop = stop.clone();
        move |ctx: apalis_core::worker::context::WorkerContext| {
            let stop = stop.clone();
            async move {
                stop.cancelled().await;
                ctx.stop()
            }
        }
    };
    let worker =
        WorkerBuilder::new("big-batch-worker").backend(queue.poll_with_stream(wake)).concurrency(1).build(slow);
    let run = tokio::spawn(worker.run_with_ctx(until));

    eventually("the whole batch to be fetched and a job started", Duration::from_secs(30), || async {
        let counts = q.ours().counts().await.ok()?;
        (counts.pending == 0 && STARTED.load(Ordering::SeqCst)).then_some(())
    })
    .await;
    stop.cancel();
    let stopped = tokio::time::timeout(Duration::from_secs(30), run).await.expect("the worker stops").unwrap();
    assert!(stopped.is_ok(), "{stopped:?}");
    let counts = each_job_in_one_place(&q, JOBS).await;
    let (unsettled, done) = (counts.running + counts.delayed + counts.dead, counts.done);
    assert_eq!(unsettled, 0, "every fetched job settled or handed back: {counts:?}");
    assert!(done >= 1 && counts.pending >= JOBS - 10, "one ran, the waiting ones went back: {counts:?}");
}
