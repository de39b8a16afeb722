//! What both Redis backends should do, run against both.

use std::time::Duration;

use super::harness::{Behaviour, Kind, QueueTest};

async fn every_job_runs_exactly_once(kind: Kind) {
    let q = QueueTest::new(kind).await;
    q.push(0..2000).await;
    for _ in 0..3 {
        q.spawn_worker(10, Behaviour::Succeed);
    }
    q.wait_for_runs(2000, Duration::from_secs(60)).await;
    for job in [0, 999, 1999] {
        assert_eq!(q.runs.of(job).len(), 1, "job {job}");
    }
    assert_eq!(q.runs.jobs_run_more_than_once(), 0);
    if kind == Kind::Ours {
        let counts = q.ours().counts().await.unwrap();
        assert_eq!((counts.done, counts.pending, counts.running), (2000, 0, 0));
    }
}

async fn a_long_job_with_a_live_worker_is_not_run_twice(kind: Kind) {
    // The lease (ours) and the orphan window (apalis-redis) are 3 s; the job takes 7 s.
    let q = QueueTest::new(kind).await;
    q.push([7]).await;
    q.spawn_worker(1, Behaviour::Sleep(Duration::from_secs(7)));
    q.spawn_worker(1, Behaviour::Sleep(Duration::from_secs(7)));
    q.wait_for_runs(1, Duration::from_secs(10)).await;
    // A second run would have started once the lease ran out, long before the first ended.
    crate::helpers::eventually("the long job to finish", Duration::from_secs(20), || async {
        (q.runs.finished() == 1).then_some(())
    })
    .await;
    assert_eq!(q.runs.of(7).len(), 1, "run twice");
    if kind == Kind::Ours {
        assert_eq!(q.ours().counts().await.unwrap().done, 1);
    }
}

macro_rules! both {
    ($($name:ident),*) => {$(
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn ours() { super::$name(Kind::Ours).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn apalis_redis() { super::$name(Kind::ApalisRedis).await }
        }
    )*};
}

both!(every_job_runs_exactly_once, a_long_job_with_a_live_worker_is_not_run_twice);
