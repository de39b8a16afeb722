//! The sweeper's safety net: work whose job was lost to a crash between a commit and the
//! enqueue after it is found and queued again.

use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::json;
use shared::{
    booking::store,
    db::now_ms,
    domain::{Booking, BookingState},
};

use crate::helpers::*;

/// A booking stored ten minutes ago whose job never reached its queue.
async fn lost_booking(app: &TestApp, class_id: &str, url: &str, state: BookingState) {
    let booking = Booking::from_value(json!({"class_id": class_id, "record_id": 5, "video_url": url})).unwrap();
    let mut row = store::new_row(&booking);
    let long_ago = now_ms() - 10 * 60 * 1000;
    row.state = Set(state);
    row.updated_at = Set(long_ago);
    row.created_at = Set(long_ago);
    if state == BookingState::Ready {
        row.node = Set(Some("node-x".into()));
        row.video_path = Set(Some("/home/video/5/5.flv".into()));
    }
    row.insert(&app.app.db.conn).await.unwrap();
}

async fn lost_jobs_are_queued_again(stack: Stack) {
    let mut env = TestEnv::new(stack).await;
    let hook = WebhookSink::start().await;
    env.set("RESULT_WEBHOOK_URL", hook.url.clone()).set("SWEEP_INTERVAL", "200ms");
    let server = FileServer::start().await.unwrap();
    server.put("5.flv", lesson_bytes(1000));
    let app = env.spawn().await;

    lost_booking(&app, "c-lost", &server.url("5.flv"), BookingState::Queued).await;
    lost_booking(&app, "c-unsent", &server.url("5.flv"), BookingState::Ready).await;
    app.wait_for_state("c-lost", "ready").await;
    assert_eq!(hook.result_of("c-lost").await["result"], "success");
    let unsent = hook.result_of("c-unsent").await;
    assert_eq!(
        (unsent["result"].as_str(), unsent["video_path"].as_str()),
        (Some("success"), Some("/home/video/5/5.flv"))
    );
    app.stop().await;
}

every_stack!(lost_jobs_are_queued_again);
