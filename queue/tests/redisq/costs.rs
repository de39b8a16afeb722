//! Redis work per job does not grow with the backlog: commands per job, from the server's own
//! `INFO commandstats`, for a 1k and a 100k backlog (on a redis-server of the test's own, so
//! no other test's commands are counted).

use std::time::Duration;

use super::harness::{Behaviour, QueueTest};
use testkit::redis::own_redis;

pub(super) async fn total_calls(url: &str) -> u64 {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let info: String = redis::cmd("INFO").arg("commandstats").query_async(&mut conn).await.unwrap();
    info.lines()
        .filter(|l| l.starts_with("cmdstat_") && !l.starts_with("cmdstat_info") && !l.starts_with("cmdstat_config"))
        .filter_map(|l| l.split("calls=").nth(1)?.split(',').next()?.parse::<u64>().ok())
        .sum()
}

async fn reset(url: &str) {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("CONFIG").arg("RESETSTAT").query_async(&mut conn).await.unwrap();
}

/// Commands per job to push and drain `jobs` jobs.
async fn per_job(url: &str, jobs: u64) -> f64 {
    let q = QueueTest::on(url, &format!("backlog-{jobs}")).await;
    reset(url).await;
    q.push(0..jobs).await;
    q.spawn_worker(50, Behaviour::Succeed);
    q.wait_for_runs(jobs as usize, Duration::from_secs(240)).await;
    testkit::eventually("the last acks", Duration::from_secs(10), || async {
        (q.ours().counts().await.ok()?.done == jobs).then_some(())
    })
    .await;
    total_calls(url).await as f64 / jobs as f64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_per_job_do_not_grow_with_the_backlog() {
    let (_server, url) = own_redis().await;
    let small = per_job(&url, 1_000).await;
    let large = per_job(&url, 100_000).await;
    println!("commands per job: {small:.2} at a 1k backlog, {large:.2} at 100k");
    assert!((large / small - 1.0).abs() <= 0.10, "1k: {small:.2}, 100k: {large:.2}");
}
