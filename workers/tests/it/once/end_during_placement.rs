//! A class that ends while its booking is being placed on a node: the end must see the
//! placement and tell that node to let the class go. Found by the chaos test: the end read the
//! booking before the placement committed (no node yet), cancelled it after, and sent no class
//! end; the node then counted the class on its video for good (never evictable).

use std::time::Duration;

use sea_orm::{ActiveValue::Set, ConnectionTrait, Statement, TransactionTrait};
use serde_json::json;
use shared::{
    booking::{class_end, store, take_in},
    db::Database,
    domain::{Booking, BookingState, ClassId, Effect},
};

use crate::helpers::*;

#[tokio::test]
async fn a_class_ending_while_it_is_placed_releases_it_on_the_node() {
    let env = TestEnv::new(Stack::Fleet).await;
    let db = Database::connect(&env.pairs["DATABASE_URL"], std::time::Duration::from_secs(5)).await.unwrap();
    shared::app::migrate(&db).await.unwrap();
    let booking =
        Booking::from_value(json!({"class_id": "c-race", "record_id": 9, "video_url": "http://127.0.0.1:9/a.flv"}));
    take_in(&db, booking.unwrap()).await.unwrap();
    let class: ClassId = "c-race".parse().unwrap();

    // The booking job places the class on node-a; its transaction is not committed yet.
    let placing = db.conn.begin().await.unwrap();
    let moved = store::transition(&placing, &class, &[BookingState::Queued], |row| {
        row.state = Set(BookingState::Downloading);
        row.node = Set(Some("node-a".into()));
    })
    .await
    .unwrap();
    assert!(moved);

    // Meanwhile the class ends; the end waits on the placement's row lock.
    let ending = tokio::spawn({
        let db = db.clone();
        let class = class.clone();
        async move { class_end::end(&db, &class).await }
    });
    eventually("the class end to wait on the placement", Duration::from_secs(10), || async {
        let waiting = db
            .conn
            .query_one_raw(Statement::from_string(
                db.conn.get_database_backend(),
                "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
            ))
            .await
            .ok()??;
        (waiting.try_get::<i64>("", "n").ok()? > 0).then_some(())
    })
    .await;
    placing.commit().await.unwrap();

    let class_end::Ended::Now { booking, effects } = ending.await.unwrap().unwrap() else {
        panic!("the class ends now");
    };
    assert_eq!(booking.state, BookingState::Cancelled, "not ready when it ended");
    let released_on: Vec<String> = effects
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::EndClass { node, .. } => Some(node.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(released_on, ["node-a"], "the node it was placed on lets it go: {:?}", effects.effects);
}
