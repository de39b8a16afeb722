//! 100,000 malformed messages through the bridge, published as fast as Redis takes them: every
//! one is refused and counted, no row of the state database or the node's index changes, and
//! the bridge still takes a good message afterwards.

use std::time::{Duration, Instant};

use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;
use shared::{
    db::{bookings, cache_refs, cache_videos, outbox, transcodes, unmatched_results},
    domain::{Booking, ClassEnd, TranscodeResult},
};

use super::messages::{Channel, Gen, malformed};
use crate::helpers::*;

const MESSAGES: usize = 100_000;
const PIPELINE: usize = 2_000;
/// Published but not yet counted, at most: keeps the subscriber well inside Redis's output
/// buffer limit for pub/sub clients.
const AHEAD: u64 = 20_000;

/// Every row a message could reach, as text.
pub(super) async fn snapshot(app: &TestApp) -> Vec<String> {
    let conn = &app.app.db.conn;
    let node = &app.node.as_ref().expect("the app runs the node").cache.conn;
    let mut rows: Vec<String> = Vec::new();
    rows.extend(bookings::Entity::find().all(conn).await.unwrap().iter().map(|r| format!("{r:?}")));
    rows.extend(transcodes::Entity::find().all(conn).await.unwrap().iter().map(|r| format!("{r:?}")));
    rows.extend(unmatched_results::Entity::find().all(conn).await.unwrap().iter().map(|r| format!("{r:?}")));
    rows.extend(outbox::Entity::find().all(conn).await.unwrap().iter().map(|r| format!("{r:?}")));
    rows.extend(cache_refs::Entity::find().all(node).await.unwrap().iter().map(|r| format!("{r:?}")));
    rows.extend(cache_videos::Entity::find().all(node).await.unwrap().iter().map(|r| format!("{r:?}")));
    rows.sort();
    rows
}

async fn rejected(app: &TestApp) -> u64 {
    app.metric("vteacher_bridge_rejected_total", "reason=").await
}

async fn a_flood_of_malformed_messages_changes_nothing(stack: Stack) {
    let env = TestEnv::new(stack).await;
    let server = FileServer::start().await.unwrap();
    server.put("ok.flv", lesson_bytes(1000));
    let app = env.spawn().await;
    env.bridge_subscribed().await;
    // A booking already there, which malformed messages name too.
    let good = |class_id: &str| json!({"class_id": class_id, "record_id": 1, "video_url": server.url("ok.flv")});
    env.publish_booking(&good("c-1").to_string()).await;
    app.wait_for_state("c-1", "ready").await;
    app.wait_for_result_sent("c-1").await;
    let before = snapshot(&app).await;

    let channels = |c: Channel| match c {
        Channel::Booking => &env.pairs["CHANNEL_BOOKING"],
        Channel::Transcode => &env.pairs["CHANNEL_TRANSCODE"],
        Channel::ClassEnd => &env.pairs["CHANNEL_CLASS_END"],
    };
    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let mut g = Gen::new(0x5EED);
    let started = Instant::now();
    for batch in 0..MESSAGES / PIPELINE {
        let mut pipe = redis::pipe();
        for i in batch * PIPELINE..(batch + 1) * PIPELINE {
            let (channel, payload) = malformed(i, &mut g);
            assert!(refused(channel, &payload), "message {i} is malformed: {}", String::from_utf8_lossy(&payload));
            pipe.cmd("PUBLISH").arg(channels(channel)).arg(payload).ignore();
        }
        let () = pipe.query_async(&mut conn).await.unwrap();
        let published = ((batch + 1) * PIPELINE) as u64;
        eventually("the bridge to keep up", Duration::from_secs(30), || async {
            (rejected(&app).await + AHEAD >= published).then_some(())
        })
        .await;
    }
    eventually("every malformed message to be counted", Duration::from_secs(30), || async {
        let n = rejected(&app).await;
        assert!(n <= MESSAGES as u64, "{n} rejections for {MESSAGES} messages");
        (n == MESSAGES as u64).then_some(())
    })
    .await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(60), "{MESSAGES} messages took {took:?}");
    tracing::info!(?took, "malformed messages all refused");

    assert_eq!(snapshot(&app).await, before, "no row changed");
    assert_eq!(bookings::Entity::find().count(&app.app.db.conn).await.unwrap(), 1);
    // Still serving: a good message is taken in as before.
    env.publish_booking(&good("c-2").to_string()).await;
    app.wait_for_state("c-2", "ready").await;
    let health = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert!(health.status().is_success());
    app.stop().await;
}

/// Whether the channel's parser refuses `payload` (a class end for a class never booked is
/// well formed: the bridge refuses it as not found).
fn refused(channel: Channel, payload: &[u8]) -> bool {
    match channel {
        Channel::Booking => Booking::from_json(payload).is_err(),
        Channel::Transcode => TranscodeResult::from_json(payload).is_err(),
        Channel::ClassEnd => {
            ClassEnd::from_json(payload).map_or(true, |end| end.class_id.as_str().starts_with("never-"))
        }
    }
}

on_stacks!(flood = a_flood_of_malformed_messages_changes_nothing; redis => Redis);
