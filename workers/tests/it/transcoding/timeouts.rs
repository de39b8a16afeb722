//! Deadlines per provider, enforced by the sweeper; a success that arrives late; an
//! operator's reset.

use std::time::Duration;

use super::fixture::Fixture;
use crate::helpers::*;

async fn with_sweeper(stack: Stack, oss: &str, ecs: &str) -> Fixture {
    let (oss, ecs) = (oss.to_owned(), ecs.to_owned());
    Fixture::with(stack, move |env| {
        env.set("TRANSCODE_TIMEOUT_OSS", oss).set("TRANSCODE_TIMEOUT_ECS", ecs).set("SWEEP_INTERVAL", "200ms");
    })
    .await
}

async fn a_passed_oss_deadline_goes_on_to_ecs(stack: Stack) {
    let f = with_sweeper(stack, "1s", "1h").await;
    let sweeper = f.env.spawn_with(workers::roles::Launch { sweeper: true, ..Default::default() }).await;
    f.book("c-1").await;
    f.app.wait_for_state("c-1", "waiting_transcode").await;
    let transcode = f.transcode_becomes("transcoding", Some("ecs")).await;
    assert!(transcode["reason"].as_str().unwrap().contains("timed out"), "{transcode}");
    eventually("an ecs job", Duration::from_secs(10), || async { (!f.ecs_jobs().await.is_empty()).then_some(()) })
        .await;
    assert_eq!(f.app.booking("c-1").await.unwrap()["state"], "waiting_transcode", "the booking still waits");
    sweeper.stop().await;
    f.stop().await;
}

async fn a_passed_ecs_deadline_times_out_and_fails_the_waiters(stack: Stack) {
    let f = with_sweeper(stack, "1s", "1s").await;
    let sweeper = f.env.spawn_with(workers::roles::Launch { sweeper: true, ..Default::default() }).await;
    for id in ["c-1", "c-2"] {
        f.book(id).await;
        f.app.wait_for_state(id, "waiting_transcode").await;
    }
    f.transcode_becomes("timed_out", None).await;
    for id in ["c-1", "c-2"] {
        let failed = f.app.wait_for_state(id, "failed").await;
        assert!(failed["reason"].as_str().unwrap().contains("timed out"), "{failed}");
        assert_eq!(f.results.result_of(id).await["result"], "failure");
    }

    // A success that arrives after the timeout is still recorded; later bookings use it.
    f.post_result("ecs", "success", Some(&f.rendition_url())).await;
    let succeeded = f.transcode_becomes("succeeded", None).await;
    assert_eq!(succeeded["url"], f.rendition_url());
    assert_eq!(f.app.booking("c-1").await.unwrap()["state"], "failed", "settled bookings stay settled");
    f.book("c-3").await;
    f.app.wait_for_state("c-3", "ready").await;
    sweeper.stop().await;
    f.stop().await;
}

async fn an_operator_resets_a_timed_out_transcode(stack: Stack) {
    let f = with_sweeper(stack, "1s", "1s").await;
    let sweeper = f.env.spawn_with(workers::roles::Launch { sweeper: true, ..Default::default() }).await;
    f.book("c-1").await;
    f.transcode_becomes("timed_out", None).await;
    sweeper.stop().await;

    let reset = |record: &str, resolution: &str| {
        let url = f.app.url(&format!("/api/transcodes/{record}/{resolution}/reset"));
        f.app.http.post(url).send()
    };
    assert_eq!(reset("6666", "240p").await.unwrap().status(), 200);
    assert!(f.transcode().await.is_none(), "forgotten");
    assert_eq!(reset("6666", "240P").await.unwrap().status(), 404);

    f.book("c-2").await;
    f.app.wait_for_state("c-2", "waiting_transcode").await;
    f.transcode_becomes("transcoding", Some("oss")).await;
    let busy = reset("6666", "240P").await.unwrap();
    assert_eq!(busy.status(), 409);
    let error: serde_json::Value = busy.json().await.unwrap();
    assert_eq!(error["error"]["code"], "transcode_in_progress");
    f.stop().await;
}

every_stack!(
    a_passed_oss_deadline_goes_on_to_ecs,
    a_passed_ecs_deadline_times_out_and_fails_the_waiters,
    an_operator_resets_a_timed_out_transcode,
);
