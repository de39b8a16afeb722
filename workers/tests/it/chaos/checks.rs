//! What must hold once the chaos is over and the fleet has settled.

use std::{collections::HashMap, time::Duration};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use shared::{
    db::{cache_videos, outbox},
    domain::VideoState,
};

use super::workload::{Class, Workload};
use crate::helpers::*;

/// Waits until every booking is settled; returns them by class id.
pub(crate) async fn settled(workload: &Workload, classes: &[Class]) -> HashMap<String, Value> {
    let settled = std::sync::Mutex::new(HashMap::new());
    eventually("every booking to settle", Duration::from_secs(180), || async {
        for class in classes {
            if settled.lock().unwrap().contains_key(&class.class_id) {
                continue;
            }
            let booking = workload.get(&format!("/api/bookings/{}", class.class_id)).await?;
            if !["ready", "failed", "cancelled"].contains(&booking["state"].as_str()?) {
                return None;
            }
            settled.lock().unwrap().insert(class.class_id.clone(), booking);
        }
        Some(())
    })
    .await;
    settled.into_inner().unwrap()
}

/// Waits until every class has its result: a result is sent by a job of its own after the
/// booking settles, so it may still be on its way (retried after a kill) when the checks begin.
pub(crate) async fn results_arrived(classes: &[Class], results: &WebhookSink) -> Vec<Value> {
    eventually("every class's result to arrive", Duration::from_secs(60), || async {
        let received = results.received();
        let has = |class: &Class| received.iter().any(|r| r["class_id"] == class.class_id.as_str());
        classes.iter().all(has).then_some(received)
    })
    .await
}

/// Each class's outcome is what it should be, and its result was sent once (one result id; a
/// repeat with the same id is the one a crash may cause, and is counted).
pub(crate) fn outcomes_and_results(classes: &[Class], bookings: &HashMap<String, Value>, results: &[Value]) -> usize {
    let mut ids: HashMap<&str, Vec<&str>> = HashMap::new();
    for result in results {
        ids.entry(result["class_id"].as_str().unwrap_or_default())
            .or_default()
            .push(result["result_id"].as_str().unwrap_or_default());
    }
    let mut repeats = 0;
    for class in classes {
        let booking = &bookings[&class.class_id];
        let state = booking["state"].as_str().unwrap();
        let expected: &[&str] = if class.ended { &["ready", "cancelled"] } else { &["ready"] };
        assert!(expected.contains(&state), "{}: {booking}", class.class_id);
        let sent = ids.get(class.class_id.as_str()).cloned().unwrap_or_default();
        let mut distinct = sent.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 1, "{}: results {sent:?} for {booking}", class.class_id);
        repeats += sent.len() - 1;
    }
    repeats
}

/// A class still on holds its file, and the node counts exactly the classes still on.
pub(crate) async fn files_and_counts(node_db: &str, classes: &[Class], bookings: &HashMap<String, Value>) {
    let mut live: HashMap<String, i32> = HashMap::new();
    for class in classes.iter().filter(|c| !c.ended) {
        let path = bookings[&class.class_id]["video_path"].as_str().unwrap().to_owned();
        assert!(std::path::Path::new(&path).exists(), "{}: {path} is missing", class.class_id);
        *live.entry(path).or_default() += 1;
    }
    let index = sea_orm::Database::connect(node_db).await.unwrap();
    let expected: HashMap<String, i32> = live.iter().map(|(path, n)| (relative(path), *n)).collect();
    let counts = || async {
        let videos = cache_videos::Entity::find()
            .filter(cache_videos::Column::State.eq(VideoState::Ready))
            .all(&index)
            .await
            .unwrap();
        videos.iter().filter(|v| v.num_cite > 0).map(|v| (v.path.clone(), v.num_cite)).collect::<HashMap<_, _>>()
    };
    // Polled with a deadline; at the deadline the assertion names the paths that differ.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut counted = counts().await;
    while counted != expected && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        counted = counts().await;
    }
    let differ: Vec<_> = expected
        .keys()
        .chain(counted.keys())
        .filter(|path| counted.get(*path) != expected.get(*path))
        .map(|path| (path.clone(), counted.get(path).copied(), expected.get(path).copied()))
        .collect();
    assert!(differ.is_empty(), "the node's counts (counted, expected) differ from the classes still on: {differ:?}");
}

/// `…/video/301/301_480P.flv` → `301/301_480P.flv`.
fn relative(path: &str) -> String {
    path.split_once("/video/").map_or(path, |(_, rest)| rest).to_owned()
}

/// Nothing is left to send.
pub(crate) async fn outbox_empty(database_url: &str) {
    let db = sea_orm::Database::connect(database_url).await.unwrap();
    eventually("the outbox to be empty", Duration::from_secs(30), || async {
        outbox::Entity::find().all(&db).await.ok()?.is_empty().then_some(())
    })
    .await;
}

/// Every job of every queue is in exactly one place: pending, in flight, delayed, done or dead.
pub(crate) async fn every_job_in_one_place(redis_url: &str, prefix: &str) {
    let client = redis::Client::open(redis_url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let queues: Vec<String> =
        redis::cmd("SMEMBERS").arg(format!("{prefix}:queues")).query_async(&mut conn).await.unwrap();
    assert!(queues.len() >= 6, "queues: {queues:?}");
    for queue in queues {
        let key = |name: &str| format!("{{{queue}}}:{name}");
        let mut places: HashMap<String, Vec<&str>> = HashMap::new();
        let pending: Vec<String> =
            redis::cmd("LRANGE").arg(key("pending")).arg(0).arg(-1).query_async(&mut conn).await.unwrap();
        for id in pending {
            places.entry(id).or_default().push("pending");
        }
        for set in ["inflight", "delayed", "done", "dead"] {
            let ids: Vec<String> =
                redis::cmd("ZRANGE").arg(key(set)).arg(0).arg(-1).query_async(&mut conn).await.unwrap();
            for id in ids {
                places.entry(id).or_default().push(set);
            }
        }
        for (id, found) in &places {
            assert_eq!(found.len(), 1, "job {id} of {queue} is in {found:?}");
        }
        // A job not finished is somewhere: none is in no place at all.
        let mut cursor = 0u64;
        loop {
            let (next, hashes): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(format!("{{{queue}}}:j:*"))
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut conn)
                .await
                .unwrap();
            for hash in hashes {
                let state: Option<String> =
                    redis::cmd("HGET").arg(&hash).arg("s").query_async(&mut conn).await.unwrap();
                let id = hash.rsplit(":j:").next().unwrap_or_default();
                let finished = matches!(state.as_deref(), Some("done" | "dead"));
                assert!(finished || places.contains_key(id), "job {id} of {queue} ({state:?}) is in no place: lost");
            }
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
    }
}
