//! PostgreSQL unreachable for 90 s during a storm, at the default JOB_ATTEMPTS and JOB_BACKOFF:
//! the API answers 503 with Retry-After at once, bookings published meanwhile are all taken in
//! once it is back, downloads under way end ready, and no booking fails because of it.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::FACTOR;
use crate::{cache::book, helpers::*};

const AWAY: Duration = Duration::from_secs(90);
const EVERY: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ninety_seconds_without_postgresql_lose_nothing_and_fail_nothing() {
    let proxy = TcpProxy::start("127.0.0.1:5432".parse().unwrap()).await;
    let server = FileServer::start().await.unwrap();
    let mut env = TestEnv::at_default_timers(Stack::Fleet, FACTOR).await;
    let direct = env.pairs["DATABASE_URL"].clone();
    env.set("DATABASE_URL", direct.replace("127.0.0.1:5432", &proxy.addr.to_string()));
    let app = env.spawn_with(workers::roles::Launch { bridge: true, ..central() }).await;
    let _host = env.start_node("a", &[]);
    live_nodes(&app, 1).await;
    env.bridge_subscribed().await;

    // Downloads under way when it goes.
    // ~10 s each, in chunks well inside DOWNLOAD_IDLE_TIMEOUT.
    server.set_knobs(Knobs { rate: Some(200_000), ..Knobs::default() });
    let mut classes = Vec::new();
    for record in 501..=504 {
        let name = format!("{record}.flv");
        server.put(&name, lesson_bytes(2_000_000 + record as usize));
        book(&app, &format!("c-{record}"), record, &server.url(&name), json!({})).await;
        classes.push(format!("c-{record}"));
    }
    for class_id in &classes {
        app.wait_for_state(class_id, "downloading").await;
    }

    proxy.cut();
    let cut = Instant::now();
    let mut refused = Vec::new();
    let mut n = 0;
    while cut.elapsed() < AWAY {
        n += 1;
        let (by_api, by_channel) = (600 + n, 700 + n);
        for record in [by_api, by_channel] {
            server.put(&format!("{record}.flv"), lesson_bytes(50_000 + record as usize));
        }
        env.publish_booking(&legacy(by_channel, &server).to_string()).await;
        classes.push(format!("c-{by_channel}"));
        let asked = Instant::now();
        let response = app.post_booking(&new_booking(by_api, &server)).await;
        let answered_in = asked.elapsed();
        assert_eq!(response.status(), 503, "while the database is away");
        assert!(response.headers().contains_key("retry-after"), "503 says when to come back");
        assert!(answered_in < Duration::from_secs(3), "answered in {answered_in:?}");
        refused.push(by_api);
        tokio::time::sleep(EVERY).await;
    }
    proxy.restore();
    server.set_knobs(Knobs::default());

    // The web app tries again, as Retry-After told it.
    for record in refused {
        let body = new_booking(record, &server);
        let accepted = eventually("the API to take bookings again", Duration::from_secs(30), || async {
            (app.post_booking(&body).await.status() == 202).then_some(())
        });
        accepted.await;
        classes.push(format!("c-{record}"));
    }
    for class_id in &classes {
        eventually(&format!("{class_id} ready"), Duration::from_secs(120), || async {
            let booking = app.booking(class_id).await?;
            assert_ne!(booking["state"], "failed", "failed because PostgreSQL was away: {booking}");
            (booking["state"] == "ready").then_some(())
        })
        .await;
    }
    for ((path, agent), count) in server.requests_by_path_and_agent() {
        assert_eq!(count, 1, "{agent} fetched {path} {count} times");
    }
    app.stop().await;
}

/// A booking as the legacy pub/sub channel carries it.
fn legacy(record: i64, server: &FileServer) -> Value {
    json!({"class_id": format!("c-{record}"), "record_id": record, "video_url": server.url(&format!("{record}.flv"))})
}

fn new_booking(record: i64, server: &FileServer) -> Value {
    let url = server.url(&format!("{record}.flv"));
    json!({"class_id": format!("c-{record}"), "record_id": record, "video_resolution": "480P",
        "video_url_list": {"480P": url}})
}
