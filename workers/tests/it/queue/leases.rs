//! Leases under a backlog: two workers running two jobs at once, each job longer than the
//! lease, and more jobs fetched than there are free slots (a fetched job waits in apalis's
//! buffer for a slot). Every lease a worker holds, running or waiting, must stay renewed, so
//! every job runs exactly once.

use std::time::Duration;

use super::harness::{Behaviour, Kind, QueueTest};
use crate::helpers::eventually;

/// Tenths of a second each job runs, in the order pushed: pairs of a short and a long job, so
/// that each fetch of two leaves one job waiting seconds for the long one's slot, while the
/// other worker, its backlog gone, has a free slot and recovers any lease that lapses.
const JOBS: [u64; 10] = [40, 70, 41, 71, 42, 72, 43, 73, 44, 74];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_jobs_under_a_backlog_run_exactly_once() {
    let q = QueueTest::new(Kind::Ours).await;
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
