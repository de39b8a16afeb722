//! NODE_BANDWIDTH: downloads running at once share the node's budget, and the class that
//! starts soonest gets it first, so its video is ready first. (The rate achieved is a
//! benchmark's figure, `vteacher-bench bandwidth`; this checks the order only.)

use std::{cell::RefCell, time::Duration};

use serde_json::json;

use super::book;
use crate::helpers::*;

const LESSON: usize = 192 * 1024;

#[tokio::test]
async fn the_class_that_starts_soonest_is_ready_first() {
    let mut env = TestEnv::new(Stack::Embedded).await;
    env.set("NODE_BANDWIDTH", "128k").set("DOWNLOAD_RATE", "0").set("DOWNLOAD_CONCURRENCY", "3");
    let server = FileServer::start().await.unwrap();
    let now = shared::db::now_ms() / 1000;
    // Booked latest-start first: arrival order cannot explain the order they become ready.
    let classes = [("late", 81, 3_600), ("middle", 82, 2_400), ("soonest", 83, 1_200)];
    for (name, _, _) in classes {
        server.put(&format!("{name}.flv"), lesson_bytes(LESSON));
    }
    let app = env.spawn().await;
    for (name, record, starts_in) in classes {
        book(&app, name, record, &server.url(&format!("{name}.flv")), json!({"class_start_at": now + starts_in})).await;
    }
    let ready = RefCell::new(Vec::new());
    eventually("all three classes to be ready", Duration::from_secs(30), || async {
        for (name, _, _) in classes {
            let state = app.booking(name).await?["state"].clone();
            let mut ready = ready.borrow_mut();
            if state == "ready" && !ready.contains(&name) {
                ready.push(name);
            }
        }
        (ready.borrow().len() == classes.len()).then_some(())
    })
    .await;
    assert_eq!(ready.into_inner(), ["soonest", "middle", "late"]);
    app.stop().await;
}
