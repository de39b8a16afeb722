//! Item 8: two deliveries of one booking at once (two booking workers) both read "no node".
//! Recording the node is a compare-and-set on the booking: the second, which by then sees the
//! first's node gone and chooses another, places nothing, and the booking stays where it was
//! placed.

use serde_json::json;
use shared::{
    booking::{dispatch, store, take_in},
    config::Settings,
    db::now_ms,
    directory::Directory,
    domain::{Booking, ClassId, Effect, NodeStatus, SourceUrl},
};

const GIB: u64 = 1 << 30;

fn status(node: &str, room: u64) -> NodeStatus {
    NodeStatus::empty(node.parse().unwrap(), now_ms(), room, u64::MAX / 2)
}

fn placed_on(effect: &Option<Effect>) -> Option<String> {
    match effect {
        Some(Effect::Download { node, .. }) => Some(node.to_string()),
        _ => None,
    }
}

#[tokio::test]
async fn two_deliveries_at_once_place_a_booking_on_one_node() {
    let dir = tempfile::tempdir().unwrap();
    let (db, url) = super::sqlite_state(dir.path()).await;
    let settings = Settings::from_pairs([("DATABASE_URL", url.as_str())]).unwrap();
    let source: SourceUrl = "http://127.0.0.1:9/lesson.flv".parse().unwrap();
    let booking =
        Booking::from_value(json!({"class_id": "c-cas", "record_id": 8, "video_url": source.to_string()})).unwrap();
    take_in(&db, booking).await.unwrap();
    let class: ClassId = "c-cas".parse().unwrap();
    let (first_worker, second_worker) = (Directory::database(db.conn.clone()), Directory::database(db.conn.clone()));
    let live_for = settings.node_live_for();
    first_worker.beat(&status("node-a", 50 * GIB), live_for).await.unwrap();
    first_worker.beat(&status("node-b", 50 * GIB), live_for).await.unwrap();

    // Both deliveries read the booking before either placed it.
    let first = dispatch::pending(&db.conn, &class).await.unwrap().expect("waits for its decision");
    let second = dispatch::pending(&db.conn, &class).await.unwrap().expect("waits for its decision");
    let placed = dispatch::to_node(&db.conn, &first_worker, &settings, &first, source.clone()).await.unwrap();
    let first_node = placed_on(&placed).expect("placed on a node");

    // By the time the second looks, the first's node has gone quiet: it would choose the other.
    let mut gone = status(&first_node, 50 * GIB);
    gone.seen_at -= 2 * live_for.as_millis() as i64;
    second_worker.beat(&gone, live_for).await.unwrap();
    let again = dispatch::to_node(&db.conn, &second_worker, &settings, &second, source).await.unwrap();
    assert_eq!(placed_on(&again), None, "the second delivery places nothing: {again:?}");
    let row = store::find(&db.conn, &"c-cas".parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(row.node, Some(first_node), "the booking stays where it was placed");
}
