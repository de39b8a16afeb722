//! A worker killed with SIGKILL in the middle of a job: the job runs again within the lease,
//! and the crash uses no attempt. The worker to kill is this test binary itself, run again
//! as the ignored test `child::worker`.

use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};

use super::harness::{Behaviour, QueueTest};
use testkit::{eventually, redis::redis_url};

const QUEUE: &str = "VT_QTEST_QUEUE";

/// Not a test of its own: the process the kill tests start and kill.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "started by the kill tests as a worker process"]
async fn worker() {
    let queue = std::env::var(QUEUE).expect("run by a kill test");
    let q = QueueTest::on(&redis_url(), &queue).await;
    q.spawn_worker(1, Behaviour::RecordAndHang);
    std::future::pending::<()>().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_s_job_runs_again_without_using_an_attempt() {
    let q = QueueTest::new().await;
    q.push([42]).await;
    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child::worker", "--ignored", "--nocapture"])
        .env(QUEUE, &q.queue)
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
    // The lease is 3 s.
    assert!(back_after <= Duration::from_secs(6), "back after {back_after:?}");
}
