//! A storm: 10,000 bookings over 1,000 videos on one node whose cache holds 300. Every booking
//! ends ready, no video is fetched while a class holds it (the file server's log against each
//! class's ready..end window), and the cache never holds more than its limit (checked all along).

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use futures::StreamExt;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use shared::{db::cache_videos, domain::VideoState};
use tokio::sync::{Semaphore, oneshot};

use super::{book, end};
use crate::helpers::*;

const BOOKINGS: usize = 10_000;
const VIDEOS: u64 = 1_000;
const CACHE: u64 = 300;
/// Classes on at once: well under the cache, so eviction can always make room.
const LIVE: usize = 64;

type Waiting = Arc<Mutex<HashMap<String, oneshot::Sender<Value>>>>;

/// Hands each published result to the class that waits for it.
async fn route_results(env: &TestEnv) -> Waiting {
    let waiting: Waiting = Arc::default();
    let channel = env.pairs["CHANNEL_RESULT"].clone();
    let mut messages = shared::tools::pubsub::subscribe(&redis_url(), &[channel]).await.unwrap();
    let routes = waiting.clone();
    tokio::spawn(async move {
        while let Some(message) = messages.next().await {
            let result: Value = serde_json::from_slice(&message.payload).unwrap();
            let class_id = result["class_id"].as_str().unwrap_or_default().to_owned();
            if let Some(tx) = routes.lock().unwrap().remove(&class_id) {
                let _ = tx.send(result);
            }
        }
    });
    waiting
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_bookings_over_a_thousand_videos_on_a_cache_of_three_hundred() {
    let mut env = TestEnv::new(Stack::Redis).await;
    env.set("MAX_VIDEO_NUM", CACHE.to_string()).set("DOWNLOAD_CONCURRENCY", "16");
    // The push host's index in a file of its own, as on a push host.
    let node_db = format!("sqlite://{}?mode=rwc", env.dir.path().join("node.db").display());
    env.set("NODE_DATABASE_URL", node_db);
    let server = Arc::new(FileServer::start().await.unwrap());
    for video in 0..VIDEOS {
        server.put(&format!("{video}.flv"), lesson_bytes(2_000 + video as usize));
    }
    let waiting = route_results(&env).await;
    let app = Arc::new(env.spawn().await);

    let over_limit = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let watch = tokio::spawn(watch_the_limit(app.clone(), over_limit.clone(), done.clone()));

    let mut rng = fastrand::Rng::with_seed(9);
    let slots = Arc::new(Semaphore::new(LIVE));
    let windows: Arc<Mutex<Vec<(u64, Instant, Instant)>>> = Arc::default();
    let mut classes = Vec::with_capacity(BOOKINGS);
    for n in 0..BOOKINGS {
        let video = rng.u64(0..VIDEOS);
        let permit = slots.clone().acquire_owned().await.unwrap();
        let (app, server, waiting, windows) = (app.clone(), server.clone(), waiting.clone(), windows.clone());
        classes.push(tokio::spawn(async move {
            let class_id = format!("s-{n}");
            let (tx, rx) = oneshot::channel();
            waiting.lock().unwrap().insert(class_id.clone(), tx);
            book(&app, &class_id, 10_000 + video as i64, &server.url(&format!("{video}.flv")), json!({})).await;
            let result = tokio::time::timeout(Duration::from_secs(60), rx).await.expect("a result").unwrap();
            assert_eq!(result["result"], "success", "{result}");
            let ready_seen = Instant::now();
            let ending = Instant::now();
            assert_eq!(end(&app, &class_id).await.0, 200);
            windows.lock().unwrap().push((video, ready_seen, ending));
            drop(permit);
        }));
    }
    for class in classes {
        class.await.unwrap();
    }
    done.store(true, Ordering::Relaxed);
    watch.await.unwrap();

    assert_eq!(over_limit.load(Ordering::Relaxed), 0, "the cache went over MAX_VIDEO_NUM");
    let log = server.request_log();
    let windows = windows.lock().unwrap();
    for (path, at) in &log {
        let video: u64 = path.trim_end_matches(".flv").parse().unwrap();
        let held = windows.iter().find(|(v, from, to)| *v == video && from < at && at < to);
        assert!(held.is_none(), "{path} was fetched at {at:?} while a class held it: {held:?}");
    }
    let fetched = server.requests_by_path();
    assert!(fetched.len() as u64 <= VIDEOS && log.len() >= fetched.len(), "{} fetches", log.len());
    eprintln!("storm: {BOOKINGS} bookings, {} fetches of {} videos", log.len(), fetched.len());
}

/// Counts every look at the index that finds more videos than the limit: those on disk, and
/// those whose download has its room reserved.
async fn watch_the_limit(app: Arc<TestApp>, over: Arc<AtomicU64>, done: Arc<AtomicBool>) {
    let node = app.node.clone().unwrap();
    while !done.load(Ordering::Relaxed) {
        let held = cache_videos::Entity::find()
            .filter(cache_videos::Column::Node.eq(node.id()))
            .filter(
                sea_orm::Condition::any().add(cache_videos::Column::State.eq(VideoState::Ready)).add(
                    sea_orm::Condition::all()
                        .add(cache_videos::Column::SizeBytes.gt(0))
                        .add(cache_videos::Column::State.eq(VideoState::Downloading)),
                ),
            )
            .count(&node.cache.conn)
            .await
            .unwrap();
        if held > CACHE {
            over.fetch_add(1, Ordering::Relaxed);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
