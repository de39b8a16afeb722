//! Fetching ahead (a queue of short jobs, `Job::FETCH_AHEAD`): a batch larger than the
//! concurrency, and the next batch fetched while one runs. Every job still runs once, and a
//! worker that stops hands back what it fetched ahead at once, not a lease later.

use std::time::Duration;

use vteacher_queue::FETCH_AHEAD_JOBS;

use super::harness::{Behaviour, QueueTest};
use testkit::eventually;

async fn fetching_ahead() -> QueueTest {
    let mut q = QueueTest::new().await;
    q.config.prefetch = true;
    q
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_fetching_ahead_run_every_job_once() {
    const JOBS: u64 = 3_000;
    let q = fetching_ahead().await;
    q.push(0..JOBS).await;
    for _ in 0..3 {
        q.spawn_worker(5, Behaviour::Sleep(Duration::from_millis(1)));
    }
    eventually("every job done", Duration::from_secs(60), || async {
        let counts = q.ours().counts().await.ok()?;
        (counts.done == JOBS).then_some(())
    })
    .await;
    assert_eq!(q.runs.total(), JOBS as usize, "ran {} times in all", q.runs.total());
    assert_eq!(q.runs.jobs_run_more_than_once(), 0);
    let counts = q.ours().counts().await.unwrap();
    assert_eq!((counts.pending, counts.running), (0, 0), "{counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_worker_hands_back_the_batch_it_fetched_ahead() {
    const JOBS: u64 = 1_000;
    let q = fetching_ahead().await;
    q.push(0..JOBS).await;
    q.spawn_worker(1, Behaviour::Sleep(Duration::from_millis(300)));
    let batch = 1 + FETCH_AHEAD_JOBS as u64;
    eventually("a batch running and the next fetched ahead", Duration::from_secs(20), || async {
        let counts = q.ours().counts().await.ok()?;
        (counts.pending == JOBS - 2 * batch).then_some(())
    })
    .await;
    q.stop_workers();
    // Nothing else looks at this queue: a job still leased to the stopped worker would stay
    // "running" until another worker recovered it.
    let counts = eventually("the stopped worker's jobs to be back", Duration::from_secs(10), || async {
        let counts = q.ours().counts().await.ok()?;
        (counts.running == 0).then_some(counts)
    })
    .await;
    assert_eq!(counts.pending + counts.done, JOBS, "{counts:?}");
    assert!(counts.done <= 2, "only the job running at the stop finished: {counts:?}");
}
