//! A push host downloads its lesson from an https origin as it would from a CDN: nginx over
//! TLS, its certificate signed by a certificate authority the node trusts through
//! `SSL_CERT_FILE` (as one added to the host's store would be). It runs the shipped TLS path
//! end to end: rustls with the ring provider the process installs, the host's roots, resuming
//! by Range.

use std::time::Duration;

use serde_json::json;
use workers::roles::Launch;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_host_downloads_from_an_https_origin_it_trusts() {
    let env = TestEnv::new(Stack::Redis).await;
    let lesson = lesson_bytes(300_000);
    let origin = TlsOrigin::start(&[("5151.flv", &lesson)]).await;
    let queues = ["booking", "notify", "node-report"].map(String::from).to_vec();
    let app = env.spawn_with(Launch { web: true, migrate: true, queues, ..Launch::default() }).await;
    let ca = origin.ca_file().display().to_string();
    let node = env.start_with("node", &["work", "--queues", "download,class-end"], &[("SSL_CERT_FILE", Some(ca))]);

    let body = json!({"class_id": "c-https", "record_id": 5151, "video_url": origin.url("5151.flv"),
                      "node": env.pairs["NODE_ID"]});
    assert_eq!(app.post_booking(&body).await.status(), 202);
    let settled = eventually("the https booking to settle", Duration::from_secs(40), || async {
        let booking = app.booking("c-https").await?;
        matches!(booking["state"].as_str(), Some("ready" | "failed")).then_some(booking)
    })
    .await;
    assert_eq!(settled["state"], "ready", "{settled}\nnode log:\n{}", node.output());
    let on_disk = std::fs::read(env.video_root().join("5151/5151.flv")).expect("the lesson is on the node");
    assert!(on_disk == lesson, "the node holds the origin's bytes ({} of {})", on_disk.len(), lesson.len());
    let requests = origin.requests();
    assert!(
        requests.iter().any(|r| r.contains("GET /5151.flv") && r.contains("vteacher/")),
        "nginx served the node over TLS: {requests:?}"
    );
    app.stop().await;
}
