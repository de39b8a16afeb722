//! Results sent are recorded many to a commit (`booking::sent_marks`): once `flush` returns,
//! every class marked is recorded sent and its claim is let go; a result recorded before keeps
//! the time it was first recorded; a class never marked stays unsent (the sweeper's to send).

use sea_orm::ActiveValue::Set;
use serde_json::json;
use shared::{
    booking::{sent_marks::SentMarks, store, take_in},
    db::Database,
    domain::{Booking, BookingState, ClassId},
};

async fn settled(db: &Database, class: &str) -> ClassId {
    let booking =
        Booking::from_value(json!({"class_id": class, "record_id": 4, "video_url": "http://127.0.0.1:9/a.flv"}));
    take_in(db, booking.unwrap()).await.unwrap();
    let class_id: ClassId = class.parse().unwrap();
    let moved = store::transition(&db.conn, &class_id, &[BookingState::Queued], |row| {
        row.state = Set(BookingState::Ready);
        store::claim_in_settling(row);
    })
    .await
    .unwrap();
    assert!(moved, "{class} ready, its send claimed");
    class_id
}

async fn row(db: &Database, class_id: &ClassId) -> shared::db::bookings::Model {
    store::find(&db.conn, class_id).await.unwrap().unwrap()
}

#[tokio::test]
async fn results_marked_sent_are_recorded_together_once_flushed() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = super::sqlite_state(dir.path()).await;
    let mut sent = Vec::new();
    for i in 0..5 {
        sent.push(settled(&db, &format!("c-sent-{i}")).await);
    }
    let earlier = settled(&db, "c-earlier").await;
    store::results_sent(&db.conn, std::slice::from_ref(&earlier)).await.unwrap();
    let first_time = row(&db, &earlier).await.notified_at.expect("recorded sent");
    let unsent = settled(&db, "c-unsent").await;

    let marks = SentMarks::start(db.conn.clone());
    for class_id in [&earlier].into_iter().chain(&sent) {
        marks.sent(class_id.clone());
    }
    marks.flush().await;

    for class_id in &sent {
        let row = row(&db, class_id).await;
        assert!(row.notified_at.is_some() && row.notifying_until.is_none(), "{class_id} recorded sent: {row:?}");
    }
    assert_eq!(row(&db, &earlier).await.notified_at, Some(first_time), "recorded once, at its first send");
    let unsent = row(&db, &unsent).await;
    assert!(unsent.notified_at.is_none() && unsent.notifying_until.is_some(), "never marked: still claimed, unsent");
}
