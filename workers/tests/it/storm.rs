//! A morning storm on an empty fleet (issue 22): 2,000 bookings over 200 videos on 20 empty
//! push hosts (each its own `node` process, at the default settings), placed by two booking
//! processes at once. The busiest host takes at most 1.5 times the mean number of videos, and
//! no video goes to two hosts: as the bookings say, and as the hosts themselves report.

use std::{collections::HashMap, time::Duration};

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::json;
use workers::roles::Launch;

use crate::helpers::*;

const HOSTS: usize = 20;
const VIDEOS: usize = 200;
const BOOKINGS: usize = 2_000;

async fn counts(db: &DatabaseConnection, sql: &str) -> HashMap<String, i64> {
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    rows.iter().map(|r| (r.try_get::<String>("", "k").unwrap(), r.try_get::<i64>("", "n").unwrap())).collect()
}

async fn ready_bookings(db: &DatabaseConnection) -> i64 {
    let sql = "SELECT state AS k, count(*) AS n FROM bookings GROUP BY state";
    counts(db, sql).await.get("ready").copied().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_on_an_empty_fleet_spreads_its_videos_and_puts_each_on_one_host() {
    let env = TestEnv::new(Stack::Fleet).await;
    let server = FileServer::start().await.unwrap();
    server.put("lesson.flv", lesson_bytes(32 * 1024));
    let app = env.spawn_with(Launch { web: true, migrate: true, ..Launch::default() }).await;
    let _hosts: Vec<Node> = (0..HOSTS).map(|i| env.start_node(&format!("h{i:02}"), &[])).collect();
    live_nodes(&app, HOSTS).await;

    // The storm waits on the booking queue before either booking process starts.
    for i in 0..BOOKINGS {
        let body = json!({"class_id": format!("storm-{i}"), "record_id": 5_000 + i % VIDEOS,
            "video_url": server.url("lesson.flv")});
        assert_eq!(app.post_booking(&body).await.status(), 202);
    }
    let queues = "booking,node-report,notify,transcode-result";
    let _booking: Vec<Process> =
        (0..2).map(|i| env.start(&format!("booking-{i}"), &["work", "--queues", queues])).collect();

    let db = sea_orm::Database::connect(env.pairs["DATABASE_URL"].as_str()).await.unwrap();
    eventually("every booking of the storm to be ready", Duration::from_secs(600), || async {
        (ready_bookings(&db).await == BOOKINGS as i64).then_some(())
    })
    .await;

    let hosts_per_video =
        counts(&db, "SELECT record_id::text AS k, count(DISTINCT node) AS n FROM bookings GROUP BY record_id").await;
    assert_eq!(hosts_per_video.len(), VIDEOS);
    let on_two: Vec<_> = hosts_per_video.iter().filter(|(_, n)| **n > 1).collect();
    assert!(on_two.is_empty(), "videos whose bookings went to two hosts: {on_two:?}");
    let holders = counts(&db, "SELECT path AS k, count(*) AS n FROM node_holdings GROUP BY path").await;
    let held_twice: Vec<_> = holders.iter().filter(|(_, n)| **n > 1).collect();
    assert!(held_twice.is_empty(), "videos two hosts report holding: {held_twice:?}");

    let videos_per_host =
        counts(&db, "SELECT node AS k, count(DISTINCT record_id) AS n FROM bookings GROUP BY node").await;
    let mean = VIDEOS as f64 / HOSTS as f64;
    let busiest = videos_per_host.values().copied().max().unwrap();
    assert!(
        busiest as f64 <= 1.5 * mean,
        "the busiest host took {busiest} videos, the mean is {mean}: {videos_per_host:?}"
    );
    assert_eq!(videos_per_host.len(), HOSTS, "every host took some: {videos_per_host:?}");
}
