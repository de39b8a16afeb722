//! A push host's download backlog longer than the lost-work window (30 downloads one at a
//! time): the sweeper's resend of orders it heard nothing of never makes a second job for a
//! booking, so no download slot is held by a duplicate.

use std::{collections::HashSet, time::Duration};

use serde_json::json;
use shared::jobs::DownloadJob;

use super::FACTOR;
use crate::{cache::book, helpers::*};

const BOOKINGS: i64 = 30;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_longer_than_the_lost_work_window_runs_one_job_per_booking() {
    let mut env = TestEnv::at_default_timers(Stack::Redis, FACTOR).await;
    env.set("DOWNLOAD_CONCURRENCY", "1");
    let settings = env.settings();
    let server = FileServer::start().await.unwrap();
    // 1.5 s each at the default DOWNLOAD_RATE: the backlog lasts 45 s, the window is 30 s.
    for record in 1..=BOOKINGS {
        server.put(&format!("{record}.flv"), lesson_bytes(1_500_000 + record as usize));
    }
    let app = env.spawn().await;
    let node = settings.node_id.to_string();
    for record in 1..=BOOKINGS {
        book(&app, &format!("c-{record}"), 300 + record, &server.url(&format!("{record}.flv")), json!({})).await;
    }

    let queues = app.app.queues.clone();
    // Sampled while the backlog drains: what waits never holds two orders of one booking.
    let deadline = std::time::Instant::now() + Duration::from_secs(180);
    let mut all_ready = false;
    while !all_ready {
        assert!(std::time::Instant::now() < deadline, "the backlog did not drain in 180 s");
        let waiting = queues.waiting::<DownloadJob>(Some(&node)).await.unwrap();
        let classes: HashSet<String> = waiting.iter().map(|job| job.0.class_id.to_string()).collect();
        assert_eq!(classes.len(), waiting.len(), "a booking has two download jobs waiting: {waiting:?}");
        all_ready = every_ready(&app).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let depths = queues.depths().await.unwrap();
    assert_eq!(depths["download"]["done"], BOOKINGS as u64, "download jobs run: {depths:?}");
    for (path, count) in server.requests_by_path() {
        assert_eq!(count, 1, "{path} fetched {count} times");
    }
    app.stop().await;
}

/// Whether every booking is ready (panics on one that failed).
async fn every_ready(app: &TestApp) -> bool {
    for record in 1..=BOOKINGS {
        let booking = app.booking(&format!("c-{record}")).await.expect("booked");
        assert_ne!(booking["state"], "failed", "{booking}");
        if booking["state"] != "ready" {
            return false;
        }
    }
    true
}
