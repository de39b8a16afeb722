//! A push host's Redis connections (issue 22, item 3): its commands, its heartbeat and the
//! wait of all its per-node queues (download, class-end, references) on one, where a
//! connection per queue would take one Redis client per queue per push host.

use std::time::Duration;

use serde_json::json;

use crate::helpers::*;

fn redis_port(url: &str) -> u16 {
    url.rsplit(':').next().and_then(|p| p.trim_end_matches('/').parse().ok()).unwrap_or(6379)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_host_holds_one_redis_connection() {
    let env = TestEnv::new(Stack::Redis).await;
    let server = FileServer::start().await.unwrap();
    server.put("lesson.flv", lesson_bytes(64 * 1024));
    let app = env.spawn_with(central()).await;
    let node = env.start_node("h1", &[]);
    live_nodes(&app, 1).await;
    // A download done: every per-node worker has looked and waits again.
    let body = json!({"class_id": "c-conn", "record_id": 77, "video_url": server.url("lesson.flv"), "node": node.id});
    assert_eq!(app.post_booking(&body).await.status(), 202);
    app.wait_for_state("c-conn", "ready").await;

    let port = redis_port(&env.pairs["REDIS_URL"]);
    let pid = node.process.child.id().expect("the node runs");
    let held = || testkit::sockets::tcp_remote_ports(pid).into_iter().filter(|p| *p == port).count();
    eventually("the push host to hold one Redis connection", Duration::from_secs(20), || async {
        let count = held();
        tracing::info!(count, "the push host's Redis connections");
        (count == 1).then_some(())
    })
    .await;
    // And it still hears its queues on it: a second download, pushed while it idles.
    let body = json!({"class_id": "c-conn-2", "record_id": 78, "video_url": server.url("lesson.flv"), "node": node.id});
    assert_eq!(app.post_booking(&body).await.status(), 202);
    app.wait_for_state("c-conn-2", "ready").await;
    assert_eq!(held(), 1, "the push host's Redis connections after a second download");
    app.stop().await;
}
