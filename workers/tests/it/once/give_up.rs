//! A failure is recorded even when recording it fails at first: the state database is cut (a
//! TCP proxy the test controls, in front of PostgreSQL) while a node reports a download that
//! cannot succeed; the report waits for it, spending no attempt, and once it is back the
//! booking fails with the reason.

use std::time::Duration;

use serde_json::json;
use workers::roles::Launch;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_is_recorded_once_the_database_is_back() {
    let mut env = TestEnv::new(Stack::Fleet).await;
    let proxy = TcpProxy::start("127.0.0.1:5432".parse().unwrap()).await;
    let through = env.pairs["DATABASE_URL"].replace("127.0.0.1:5432", &proxy.addr.to_string());
    env.set("DATABASE_URL", through);
    let server = FileServer::start().await.unwrap();
    // The central side in this process; the node, a process of its own, starts later.
    let queues = ["booking", "notify", "node-report"].map(String::from).to_vec();
    let app = env.spawn_with(Launch { web: true, migrate: true, queues, ..Launch::default() }).await;
    let node = env.pairs["NODE_ID"].clone();
    let body = json!({"class_id": "c-lost", "record_id": 181, "video_url": server.url("missing.flv"), "node": node});
    assert_eq!(app.post_booking(&body).await.status(), 202);
    app.wait_for_state("c-lost", "downloading").await;

    proxy.cut();
    let _node = env.start_with("node", &["work", "--queues", "download,class-end"], &[("DATABASE_URL", None)]);
    // The node fails the download (404) and reports it; the report cannot be recorded: it waits
    // for the database without spending its attempts (JOB_ATTEMPTS=3, 200 ms backoff here).
    eventually("the report to wait for the database", Duration::from_secs(30), || async {
        let waits = app.metric_with("vteacher_job_waits_total", &["node-report", "the database"]).await;
        (server.requests() > 0 && waits >= 3).then_some(())
    })
    .await;
    let spent = app.metric_with("vteacher_jobs_total", &["node-report", "outcome=\"failed\""]).await;
    assert_eq!(spent, 0, "no attempt spent on the database being away");
    proxy.restore();

    let failed = app.wait_for_state("c-lost", "failed").await;
    assert!(failed["reason"].as_str().unwrap().contains("404"), "{failed}");
    app.stop().await;
}
