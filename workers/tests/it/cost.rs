//! What a listed booking costs the central stores in a storm (issue 22, item 4): at most 4
//! PostgreSQL commits per booking, and Redis commands held where they are now (the 30
//! is not reached: docs/design/queues.md "What a booking costs"), counted by the servers themselves
//! (`pg_stat_database` of the test's own database, `INFO commandstats` of a redis-server of
//! its own, commands run inside scripts included) over the whole storm: the fleet as the
//! Procfile runs it (web, booking, sweeper, push hosts), at the default settings.

use std::{collections::BTreeMap, time::Duration};

use futures::{StreamExt, stream};
use nix::sys::signal::Signal;
use sea_orm::sqlx::{Connection, Row, postgres::PgConnection};
use serde_json::json;

use crate::helpers::*;

const HOSTS: usize = 3;
const VIDEOS: usize = 30;
/// Ten bookings per video, as the fleet bench's storm.
const BOOKINGS: usize = 300;
const MOST_COMMITS: f64 = 4.0;
/// Not the goal of 30: a guard on what three jobs per booking cost now (60.2 measured
/// when it was set; 93.9 with four jobs before), so that a change adding commands per booking
/// shows.
const MOST_COMMANDS: f64 = 64.0;

/// Calls per Redis command since the last `CONFIG RESETSTAT`.
async fn redis_calls(redis: &mut redis::aio::MultiplexedConnection) -> BTreeMap<String, u64> {
    let info: String = redis::cmd("INFO").arg("commandstats").query_async(redis).await.unwrap();
    info.lines()
        .filter_map(|line| {
            let (name, rest) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = rest.strip_prefix("calls=")?.split(',').next()?.parse().ok()?;
            Some((name.to_owned(), calls))
        })
        .collect()
}

/// The server's committed transactions in database `name` (read from another database).
async fn commits(server: &str, name: &str) -> i64 {
    let mut admin = PgConnection::connect(&format!("{server}/postgres")).await.unwrap();
    let sql = "SELECT xact_commit FROM pg_stat_database WHERE datname = $1";
    sea_orm::sqlx::query(sql).bind(name).fetch_one(&mut admin).await.unwrap().get(0)
}

/// Waits until no session is open on database `name`: a backend's statistics are flushed by
/// the time it has gone.
async fn no_sessions(server: &str, name: &str) {
    eventually(&format!("no session on {name}"), Duration::from_secs(30), || async {
        let mut admin = PgConnection::connect(&format!("{server}/postgres")).await.ok()?;
        let sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = $1";
        let open: i64 = sea_orm::sqlx::query(sql).bind(name).fetch_one(&mut admin).await.ok()?.get(0);
        (open == 0).then_some(())
    })
    .await;
}

async fn stop(mut process: Process) {
    process.signal(Signal::SIGTERM);
    assert!(process.exit_status(Duration::from_secs(60)).await.success(), "{}", process.output());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_booking_costs_at_most_4_commits_and_a_bounded_number_of_redis_commands() {
    let (_redis, redis_url) = own_redis().await;
    let mut env = TestEnv::at_default_timers(Stack::Fleet, 1).await;
    let hook = WebhookSink::start().await;
    env.set("REDIS_URL", redis_url.clone()).set("RESULT_WEBHOOK_URL", hook.url.clone());
    let (server, db_name) = env.postgres().expect("a fleet has its database");
    let files = FileServer::start().await.unwrap();
    files.put("lesson.flv", lesson_bytes(32 * 1024));

    assert!(env.command(&["migrate"]).output().await.unwrap().status.success(), "migrated");
    let web = env.start("web", &["web"]);
    let base = format!("http://{}", web.web_addr().await);
    let booking = env.start("booking", &["work", "--queues", "booking,transcode-result,notify,node-report"]);
    let sweeper = env.start("sweeper", &["sweeper"]);
    let _hosts: Vec<Node> = (0..HOSTS).map(|i| env.start_node(&format!("h{i}"), &[])).collect();
    let http = shared::tools::http::bare();
    eventually(&format!("{HOSTS} live push hosts"), Duration::from_secs(60), || async {
        let nodes: serde_json::Value = http.get(format!("{base}/api/nodes")).send().await.ok()?.json().await.ok()?;
        (nodes.as_array()?.iter().filter(|n| n["live"] == true).count() == HOSTS).then_some(())
    })
    .await;

    let mut redis = redis::Client::open(redis_url).unwrap().get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("CONFIG").arg("RESETSTAT").query_async(&mut redis).await.unwrap();
    let commits_before = commits(&server, &db_name).await;

    stream::iter(0..BOOKINGS)
        .for_each_concurrent(16, |i| {
            let (http, base, url) = (&http, &base, files.url("lesson.flv"));
            async move {
                let body = json!({"class_id": format!("cost-{i}"), "record_id": 7_000 + i % VIDEOS, "video_url": url});
                let posted = http.post(format!("{base}/api/bookings")).json(&body).send().await.unwrap();
                assert_eq!(posted.status(), 202, "booking {i} taken in");
            }
        })
        .await;
    eventually("every booking's result", Duration::from_secs(300), || async {
        let settled: std::collections::HashSet<_> = hook.received().iter().map(|r| r["class_id"].clone()).collect();
        (settled.len() == BOOKINGS).then_some(())
    })
    .await;
    let calls = redis_calls(&mut redis).await;
    for process in [web, booking, sweeper] {
        stop(process).await;
    }
    no_sessions(&server, &db_name).await;
    let committed = commits(&server, &db_name).await - commits_before;

    let results: Vec<_> = hook.received().iter().map(|r| r["result"].as_str().unwrap_or("").to_owned()).collect();
    assert!(results.iter().all(|r| r == "success"), "every booking ready: {results:?}");
    let commands: u64 = calls.values().sum::<u64>().saturating_sub(calls.get("info").copied().unwrap_or(0));
    let (per_commit, per_command) = (committed as f64 / BOOKINGS as f64, commands as f64 / BOOKINGS as f64);
    let mut top: Vec<_> = calls.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1));
    tracing::info!(per_commit, per_command, ?top, "what a booking cost");
    assert!(per_commit <= MOST_COMMITS, "{per_commit:.2} PostgreSQL commits per booking ({committed} in all)");
    assert!(per_command <= MOST_COMMANDS, "{per_command:.1} Redis commands per booking; by command: {top:?}");
}
