//! The push host's cache (docs/design/push-hosts.md): class ends from every source, eviction, the
//! start-up scan, one download per video, the node directory and placement across nodes.

mod bandwidth;
mod class_end;
mod eviction;
mod fleet;
mod fleet_storm;
mod nodes;
mod scan;
mod storm;

use std::time::Duration;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use shared::db::cache_videos;

use crate::helpers::*;

/// Books `class_id` onto record `record` at 480P, listed at `url`.
pub(crate) async fn book(app: &TestApp, class_id: &str, record: i64, url: &str, extra: Value) -> Value {
    let mut body = json!({"class_id": class_id, "record_id": record, "video_resolution": "480P",
        "video_url_list": {"480P": url}});
    if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
        body.extend(extra);
    }
    let response = app.post_booking(&body).await;
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap_or_default());
    response.json().await.unwrap()
}

/// `POST /api/classes/{class_id}/end`: the status and the body.
pub(crate) async fn end(app: &TestApp, class_id: &str) -> (u16, Value) {
    let response = app.http.post(app.url(&format!("/api/classes/{class_id}/end"))).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The path of record `record` at 480P below VIDEO_ROOT (no institution).
pub(crate) fn path_of(record: i64) -> String {
    format!("{record}/{record}_480P.flv")
}

/// The video's row in the app's own node index.
pub(crate) async fn video(app: &TestApp, path: &str) -> Option<cache_videos::Model> {
    let node = app.node.as_ref().expect("the app runs a node");
    cache_videos::Entity::find()
        .filter(cache_videos::Column::Node.eq(node.id()))
        .filter(cache_videos::Column::Path.eq(path))
        .one(&node.cache.conn)
        .await
        .unwrap()
}

/// Waits until the video at `path` is referenced by `count` classes.
pub(crate) async fn cited(app: &TestApp, path: &str, count: i32) {
    eventually(&format!("{path} to be referenced {count} time(s)"), Duration::from_secs(20), || async {
        (video(app, path).await?.num_cite == count).then_some(())
    })
    .await;
}
