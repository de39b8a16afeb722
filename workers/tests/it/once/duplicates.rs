//! A class submitted again while its booking waits (the web app retries; two bridges hear one
//! message): one download, one result, and the result carries a stable `result_id`.

use std::time::Duration;

use serde_json::json;
use shared::jobs::{BookingJob, DownloadJob, NodeReportJob, NotifyJob};

use crate::helpers::*;

async fn a_class_submitted_six_times_gets_one_download_and_one_result(stack: Stack) {
    let mut env = TestEnv::new(stack).await;
    let sink = WebhookSink::start().await;
    env.set("RESULT_WEBHOOK_URL", sink.url.clone());
    let server = FileServer::start().await.unwrap();
    server.put("v.flv", lesson_bytes(300_000));
    server.set_knobs(Knobs { rate: Some(200_000), ..Knobs::default() });
    let app = env.spawn().await;
    let body = json!({"class_id": "c-twice", "record_id": 171, "video_url": server.url("v.flv")});
    // Three at once (two bridges hearing one message), then three while it downloads.
    let at_once = futures::future::join_all((0..3).map(|_| app.post_booking(&body))).await;
    assert!(at_once.iter().all(|r| r.status() == 202 || r.status() == 200));
    app.wait_for_state("c-twice", "downloading").await;
    for _ in 0..3 {
        assert_eq!(app.post_booking(&body).await.status(), 200, "already booked");
    }
    app.wait_for_state("c-twice", "ready").await;
    let result = sink.result_of("c-twice").await;
    let result_id = result["result_id"].as_str().expect("a result_id").to_owned();
    assert!(result_id.starts_with("c-twice"), "{result}");
    // Any further result would come from a job still queued: wait for the queues to empty.
    let queues = &app.app.queues;
    let node = app.node.as_ref().unwrap().settings.node_id.clone();
    eventually("the queues to be idle", Duration::from_secs(10), || async {
        let idle = queues.waiting::<BookingJob>(None).await.ok()?.is_empty()
            && queues.waiting::<DownloadJob>(Some(node.as_str())).await.ok()?.is_empty()
            && queues.waiting::<NodeReportJob>(None).await.ok()?.is_empty()
            && queues.waiting::<NotifyJob>(None).await.ok()?.is_empty();
        idle.then_some(())
    })
    .await;
    assert_eq!(server.requests_for("v.flv"), 1, "one download");
    let results: Vec<_> = sink.received().into_iter().filter(|r| r["class_id"] == "c-twice").collect();
    assert_eq!(results.len(), 1, "one result: {results:?}");
    app.stop().await;
}

every_stack!(a_class_submitted_six_times_gets_one_download_and_one_result);
