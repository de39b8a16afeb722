//! Bookings that could never move on their own: a `downloading` booking whose job is gone (a
//! Redis that lost it) is sent to its node again.

use std::time::Duration;

use serde_json::json;
use workers::roles::Launch;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_downloading_booking_whose_job_is_gone_is_sent_again() {
    let mut env = TestEnv::new(Stack::Redis).await;
    env.set("SWEEP_INTERVAL", "1s");
    let server = FileServer::start().await.unwrap();
    server.put("v.flv", lesson_bytes(10_000));
    let queues = ["booking", "notify", "node-report"].map(String::from).to_vec();
    let app = env.spawn_with(Launch { web: true, migrate: true, sweeper: true, queues, ..Launch::default() }).await;
    let node = env.pairs["NODE_ID"].clone();
    let body = json!({"class_id": "c-gone", "record_id": 201, "video_url": server.url("v.flv"), "node": node});
    assert_eq!(app.post_booking(&body).await.status(), 202);
    app.wait_for_state("c-gone", "downloading").await;
    // The node's queue loses the job (a Redis without its data), before the node ever runs:
    // every key of that queue is gone (a script writes a job's record and its place in the
    // queue together, so a Redis loses both or neither).
    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let pending = format!("{{{}:download:{node}}}:pending", env.prefix);
    let keys: Vec<String> =
        redis::cmd("KEYS").arg(format!("{{{}:download:{node}}}:*", env.prefix)).query_async(&mut conn).await.unwrap();
    assert!(keys.contains(&pending), "the job was waiting at {pending}: {keys:?}");
    let _: i64 = redis::cmd("DEL").arg(&keys).query_async(&mut conn).await.unwrap();

    let _node = env.start("node", &["work", "--queues", "download,class-end"]);
    let ready = eventually("the booking to be ready", Duration::from_secs(40), || async {
        let booking = app.booking("c-gone").await?;
        (booking["state"] == "ready").then_some(booking)
    })
    .await;
    assert_eq!(ready["node"], node);
    app.stop().await;
}
