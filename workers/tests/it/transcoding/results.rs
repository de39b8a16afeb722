//! Transcode results, from the API and the legacy channel, one test per row of the result
//! table: unknown, success, oss failure, ecs failure, duplicates.

use std::time::Duration;

use sea_orm::EntityTrait;
use serde_json::json;
use shared::db::unmatched_results;

use super::fixture::Fixture;
use crate::helpers::*;

async fn a_result_for_no_transcode_raises_an_alarm_and_is_kept(stack: Stack) {
    let f = Fixture::new(stack).await;
    let body = json!({"cmd": "transcoding", "record_id": 9999, "video_resolution": "480P", "result": "sucess",
        "transcode_video_url": "http://127.0.0.1:9/x.flv", "type": "oss", "job": "j-7"});
    let response = f.app.http.post(f.app.url("/api/transcode/result")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 202);
    let alarm = f.alarms.one_with("alarm", "unknown_transcode_result").await;
    assert!(alarm["message"].as_str().unwrap().contains("9999"));
    let kept = unmatched_results::Entity::find().all(&f.app.app.db.conn).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].message["job"], "j-7", "the whole message is kept");
    let status = f.app.http.get(f.app.url("/api/transcodes/9999")).send().await.unwrap().status();
    assert_eq!(status, 404, "no transcode was created");
    f.stop().await;
}

async fn success_releases_every_waiting_booking(stack: Stack) {
    let f = Fixture::new(stack).await;
    for id in ["c-1", "c-2"] {
        f.book(id).await;
        f.app.wait_for_state(id, "waiting_transcode").await;
    }
    f.post_result("ecs", "success", Some(&f.rendition_url())).await;
    for id in ["c-1", "c-2"] {
        let ready = f.app.wait_for_state(id, "ready").await;
        assert!(ready["video_path"].as_str().unwrap().ends_with("6666/6666_240P.flv"));
        assert_eq!(f.results.result_of(id).await["result"], "success");
    }
    let transcode = f.transcode_becomes("succeeded", None).await;
    assert_eq!(transcode["url"], f.rendition_url());
    assert_eq!(transcode["progress"], 100);
    f.stop().await;
}

async fn an_oss_failure_goes_on_to_ecs(stack: Stack) {
    let f = Fixture::new(stack).await;
    f.book("c-1").await;
    f.app.wait_for_state("c-1", "waiting_transcode").await;
    f.post_result("oss", "failed", None).await;
    let transcode = f.transcode_becomes("transcoding", Some("ecs")).await;
    assert!(transcode["reason"].as_str().unwrap().starts_with("oss:"));
    let jobs = eventually("an ecs job", Duration::from_secs(10), || async {
        let jobs = f.ecs_jobs().await;
        (!jobs.is_empty()).then_some(jobs)
    })
    .await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(f.app.booking("c-1").await.unwrap()["state"], "waiting_transcode");
    assert!(f.results.received().is_empty());
    f.stop().await;
}

async fn an_ecs_failure_fails_every_waiting_booking(stack: Stack) {
    let f = Fixture::new(stack).await;
    for id in ["c-1", "c-2"] {
        f.book(id).await;
        f.app.wait_for_state(id, "waiting_transcode").await;
    }
    f.post_result("oss", "fail", None).await;
    f.transcode_becomes("transcoding", Some("ecs")).await;
    let body = json!({"cmd": "transcoding", "record_id": 6666, "video_resolution": "240P", "result": "fail",
        "type": "ecs", "reason": "ffmpeg: Invalid data found when processing input"});
    f.app.http.post(f.app.url("/api/transcode/result")).json(&body).send().await.unwrap();
    for id in ["c-1", "c-2"] {
        let failed = f.app.wait_for_state(id, "failed").await;
        assert!(failed["reason"].as_str().unwrap().contains("Invalid data"), "{failed}");
        let result = f.results.result_of(id).await;
        assert_eq!(result["result"], "failure");
        assert!(result["reason"].as_str().unwrap().contains("Invalid data"));
    }
    f.transcode_becomes("failed", None).await;
    f.stop().await;
}

async fn duplicate_and_stale_results_change_nothing(stack: Stack) {
    let f = Fixture::new(stack).await;
    f.book("c-1").await;
    f.app.wait_for_state("c-1", "waiting_transcode").await;
    f.post_result("oss", "fail", None).await;
    f.transcode_becomes("transcoding", Some("ecs")).await;
    // The oss failure again, now that ecs has it: stale.
    f.post_result("oss", "fail", None).await;
    f.post_result("ecs", "success", Some(&f.rendition_url())).await;
    f.app.wait_for_state("c-1", "ready").await;
    let before = f.transcode_becomes("succeeded", Some("ecs")).await;
    f.results.result_of("c-1").await;
    let sent = f.results.received().len();

    f.post_result("ecs", "success", Some(&f.rendition_url())).await;
    f.post_result("ecs", "failed", None).await;
    // Three results were ignored: the stale oss failure, the second success, the late failure.
    eventually("the duplicates to be handled", Duration::from_secs(10), || async {
        (f.app.metric("vteacher_transcode_results_total", "effect=\"ignore\"").await == 3).then_some(())
    })
    .await;
    assert_eq!(f.transcode().await.unwrap(), before, "the transcode is as it was");
    assert_eq!(f.results.received().len(), sent, "no new result was sent");
    assert!(f.ecs_jobs().await.len() <= 1, "no new ecs submission");
    f.stop().await;
}

every_stack!(
    a_result_for_no_transcode_raises_an_alarm_and_is_kept,
    success_releases_every_waiting_booking,
    an_oss_failure_goes_on_to_ecs,
    an_ecs_failure_fails_every_waiting_booking,
    duplicate_and_stale_results_change_nothing,
);

async fn results_arrive_on_the_legacy_channel(stack: Stack) {
    let f = Fixture::with(stack, |_| {}).await;
    let bridge = f.env.spawn_with(workers::roles::Launch { bridge: true, ..Default::default() }).await;
    f.book("c-1").await;
    f.app.wait_for_state("c-1", "waiting_transcode").await;
    let channel = f.env.pairs["CHANNEL_TRANSCODE"].clone();
    eventually("the bridge to subscribe", Duration::from_secs(10), || async {
        let client = redis::Client::open(redis_url()).ok()?;
        let mut conn = client.get_multiplexed_async_connection().await.ok()?;
        let counts: Vec<(String, i64)> =
            redis::cmd("PUBSUB").arg("NUMSUB").arg(&channel).query_async(&mut conn).await.ok()?;
        (counts.first()?.1 > 0).then_some(())
    })
    .await;
    let message = json!({"cmd": "transcoding", "record_id": 6666, "video_resolution": "240P", "result": "sucess",
        "transcode_video_url": f.rendition_url(), "type": "oss"});
    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let _: i64 = redis::cmd("PUBLISH").arg(&channel).arg(message.to_string()).query_async(&mut conn).await.unwrap();
    let _: i64 = redis::cmd("PUBLISH").arg(&channel).arg("{not json").query_async(&mut conn).await.unwrap();
    f.app.wait_for_state("c-1", "ready").await;
    f.transcode_becomes("succeeded", None).await;
    bridge.stop().await;
    f.stop().await;
}

on_stacks!(legacy_channel = results_arrive_on_the_legacy_channel; redis => Redis, fleet => Fleet);
