//! Leases under a backlog: two workers running two jobs at once, each job longer than the
//! lease, and more jobs fetched than there are free slots (a fetched job waits in apalis's
//! buffer for a slot). Every lease a worker holds, running or waiting, must stay renewed, so
//! every job runs exactly once.

use std::time::Duration;

use super::harness::{Behaviour, QueueTest};
use testkit::eventually;

/// Tenths of a second each job runs, in the order pushed: pairs of a short and a long job, so
/// that each fetch of two leaves one job waiting seconds for the long one's slot, while the
/// other worker, its backlog gone, has a free slot and recovers any lease that lapses.
const JOBS: [u64; 10] = [40, 70, 41, 71, 42, 72, 43, 73, 44, 74];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_jobs_under_a_backlog_run_exactly_once() {
    let q = QueueTest::new().await;
    assert_eq!(q.config.lease, Duration::from_secs(3), "every job is longer than the lease");
    q.push(JOBS).await;
    q.spawn_worker(2, Behaviour::SleepTenths);
    q.spawn_worker(2, Behaviour::SleepTenths);
    eventually("every job to be done and no run left going", Duration::from_secs(60), || async {
        let counts = q.ours().counts().await.ok()?;
        let settled = counts.done == JOBS.len() as u64 && counts.pending + counts.running + counts.delayed == 0;
        (settled && q.runs.finished() == q.runs.total()).then_some(())
    })
    .await;
    let runs: Vec<(u64, usize)> = JOBS.iter().map(|&job| (job, q.runs.of(job).len())).collect();
    assert!(runs.iter().all(|&(_, n)| n == 1), "runs per job: {runs:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_lost_meanwhile_is_left_to_its_new_holder() {
    let q = QueueTest::new().await;
    q.push([1, 2]).await;
    q.spawn_worker(2, Behaviour::RecordAndHang);
    eventually("both jobs to run", Duration::from_secs(10), || async {
        (q.recorded_runs().await.len() == 2).then_some(())
    })
    .await;
    let (inflight, mut conn) = (q.config.key("inflight"), q.conn.clone());
    let leases: Vec<(String, u64)> =
        redis::cmd("ZRANGE").arg(&inflight).arg(0).arg(-1).arg("WITHSCORES").query_async(&mut conn).await.unwrap();
    let [(lost, _), (kept, kept_until)] = &leases[..] else { panic!("two leases: {leases:?}") };
    // As if the lease had lapsed, gone back, and been taken by another worker.
    let theirs = kept_until + 60_000;
    let _: () = redis::pipe()
        .hset(q.config.job_key(lost), "w", "another-worker")
        .zadd(&inflight, lost, theirs)
        .query_async(&mut conn)
        .await
        .unwrap();
    eventually("the kept lease to be renewed", Duration::from_secs(5), || async {
        let score: Option<u64> =
            redis::cmd("ZSCORE").arg(&inflight).arg(kept).query_async(&mut q.conn.clone()).await.ok()?;
        (score? > *kept_until).then_some(())
    })
    .await;
    let score: u64 = redis::cmd("ZSCORE").arg(&inflight).arg(lost).query_async(&mut conn).await.unwrap();
    assert_eq!(score, theirs, "the new holder's lease is untouched");
}
