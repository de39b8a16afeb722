//! A worker killed with SIGKILL in the middle of a job: the job runs again within the lease,
//! and the crash uses no attempt. The worker to kill is this test binary itself, run again
//! as the ignored test `queue::child::worker`.

use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};

use super::harness::{Behaviour, Kind, QueueTest};
use crate::helpers::{eventually, redis_url};

const QUEUE: &str = "VT_QTEST_QUEUE";
const KIND: &str = "VT_QTEST_KIND";

/// Not a test of its own: the process the kill tests start and kill.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "started by the kill tests as a worker process"]
async fn worker() {
    let queue = std::env::var(QUEUE).expect("run by a kill test");
    let kind = if std::env::var(KIND).as_deref() == Ok("ours") { Kind::Ours } else { Kind::ApalisRedis };
    let q = QueueTest::on(kind, &redis_url(), &queue).await;
    q.spawn_worker(1, Behaviour::RecordAndHang);
    std::future::pending::<()>().await;
}

async fn a_killed_worker_s_job_runs_again_without_using_an_attempt(kind: Kind) {
    let q = QueueTest::new(kind).await;
    q.push([42]).await;
    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "queue::child::worker", "--ignored", "--nocapture"])
        .env(QUEUE, &q.queue)
        .env(KIND, if kind == Kind::Ours { "ours" } else { "apalis-redis" })
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    eventually("the child to take the job", Duration::from_secs(20), || async {
        (!q.recorded_runs().await.is_empty()).then_some(())
    })
    .await;
    kill(nix::unistd::Pid::from_raw(child.id().unwrap() as i32), Signal::SIGKILL).unwrap();
    child.wait().await.unwrap();
    let killed_at = Instant::now();

    q.spawn_worker(1, Behaviour::Succeed);
    q.wait_for_runs(1, Duration::from_secs(30)).await;
    let back_after = killed_at.elapsed();
    let [(job, first_attempt)] = q.recorded_runs().await[..] else { panic!("one run in the child") };
    let (_, second_attempt) = q.runs.of(42)[0];
    assert_eq!(job, 42);
    assert_eq!(second_attempt, first_attempt, "the crash used no attempt");
    // The lease is 3 s (apalis-redis: a 1 s heartbeat, 3 missed).
    assert!(back_after <= Duration::from_secs(6), "back after {back_after:?}");
}

mod killed {
    use super::*;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ours() {
        a_killed_worker_s_job_runs_again_without_using_an_attempt(Kind::Ours).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn apalis_redis() {
        a_killed_worker_s_job_runs_again_without_using_an_attempt(Kind::ApalisRedis).await
    }
}
