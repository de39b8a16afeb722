//! The booking decision for a resolution that is not listed, one test per state of its
//! transcode: the stored states, the results sent, and which transcode jobs were queued.

use std::time::Duration;

use super::fixture::Fixture;
use crate::helpers::*;

async fn no_transcode_starts_one_and_the_booking_waits(stack: Stack) {
    let f = Fixture::new(stack).await;
    assert_eq!(f.book("c-1").await.status(), 202);
    let waiting = f.app.wait_for_state("c-1", "waiting_transcode").await;
    assert!(waiting["reason"].as_str().unwrap().contains("240P"));
    f.transcode_becomes("transcoding", Some("oss")).await;
    let jobs = eventually("one oss job", Duration::from_secs(10), || async {
        let jobs = f.oss_jobs().await;
        (!jobs.is_empty()).then_some(jobs)
    })
    .await;
    assert_eq!(jobs.len(), 1);
    assert_eq!((jobs[0].0.record_id.get(), jobs[0].0.resolution.as_str()), (6666, "240P"));
    assert!(f.ecs_jobs().await.is_empty());
    assert!(f.results.received().is_empty(), "no result while waiting");
    f.stop().await;
}

async fn fifty_bookings_at_once_submit_one_transcode(stack: Stack) {
    let f = Fixture::new(stack).await;
    let ids: Vec<String> = (0..50).map(|i| format!("c-{i}")).collect();
    let responses = futures::future::join_all(ids.iter().map(|id| f.book(id))).await;
    assert!(responses.iter().all(|r| r.status() == 202));
    for id in &ids {
        f.app.wait_for_state(id, "waiting_transcode").await;
    }
    assert_eq!(f.oss_jobs_at_least(1).await, 1, "exactly one submission");
    f.stop().await;
}

async fn a_transcode_in_progress_is_waited_for(stack: Stack) {
    let f = Fixture::new(stack).await;
    f.book("c-1").await;
    f.app.wait_for_state("c-1", "waiting_transcode").await;
    f.book("c-2").await;
    f.app.wait_for_state("c-2", "waiting_transcode").await;
    assert_eq!(f.oss_jobs().await.len(), 1, "the second booking submitted nothing");
    assert_eq!(f.transcode().await.unwrap()["state"], "transcoding");
    f.stop().await;
}

async fn a_succeeded_transcode_raises_an_alarm_and_the_booking_downloads_its_url(stack: Stack) {
    let f = Fixture::new(stack).await;
    f.book("c-1").await;
    f.app.wait_for_state("c-1", "waiting_transcode").await;
    assert_eq!(f.post_result("oss", "sucess", Some(&f.rendition_url())).await.status(), 202);
    f.app.wait_for_state("c-1", "ready").await;
    assert!(f.alarms.received().is_empty());

    f.book("c-2").await;
    let ready = f.app.wait_for_state("c-2", "ready").await;
    let path = f.env.video_root().join("6666/6666_240P.flv");
    assert_eq!(ready["video_path"], path.display().to_string());
    let alarm = f.alarms.one_with("alarm", "transcode_already_succeeded").await;
    assert!(alarm["message"].as_str().unwrap().contains("6666"));
    assert_eq!(f.results.result_of("c-2").await["result"], "success");
    assert_eq!(f.oss_jobs().await.len(), 1, "nothing new was submitted");
    f.stop().await;
}

async fn a_failed_transcode_is_made_again(stack: Stack) {
    let f = Fixture::new(stack).await;
    f.book("c-1").await;
    f.app.wait_for_state("c-1", "waiting_transcode").await;
    f.post_result("oss", "fail", None).await;
    f.transcode_becomes("transcoding", Some("ecs")).await;
    f.post_result("ecs", "fail", None).await;
    f.transcode_becomes("failed", None).await;
    let failed = f.app.wait_for_state("c-1", "failed").await;
    assert!(failed["reason"].as_str().unwrap().contains("transcode failed"), "{failed}");
    assert_eq!(f.results.result_of("c-1").await["result"], "failure");

    f.book("c-2").await;
    f.app.wait_for_state("c-2", "waiting_transcode").await;
    f.transcode_becomes("transcoding", Some("oss")).await;
    // The first submission (unconsumed here) still waits: the retry is the same job, which will
    // find the transcode in progress again when it runs (a job is unique while it waits).
    assert_eq!(f.oss_jobs_at_least(1).await, 1, "one submission waits for both");
    f.stop().await;
}

async fn a_timed_out_transcode_fails_the_booking(stack: Stack) {
    let f = Fixture::with(stack, |env| {
        env.set("TRANSCODE_TIMEOUT_ECS", "1s");
    })
    .await;
    f.book("c-1").await;
    f.app.wait_for_state("c-1", "waiting_transcode").await;
    f.post_result("oss", "fail", None).await;
    let with_ecs = f.transcode_becomes("transcoding", Some("ecs")).await;
    // The ecs deadline passes; the next booking of the transcode enforces it.
    let deadline = with_ecs["deadline_at"].as_i64().unwrap();
    eventually("the ecs deadline to pass", Duration::from_secs(5), || async {
        (shared::db::now_ms() > deadline).then_some(())
    })
    .await;
    f.book("c-2").await;
    let failed = f.app.wait_for_state("c-2", "failed").await;
    assert!(failed["reason"].as_str().unwrap().contains("timed out"), "{failed}");
    f.transcode_becomes("timed_out", None).await;
    f.app.wait_for_state("c-1", "failed").await;
    assert_eq!(f.results.result_of("c-1").await["result"], "failure");
    assert_eq!(f.results.result_of("c-2").await["result"], "failure");
    assert_eq!(f.oss_jobs().await.len(), 1);
    f.stop().await;
}

every_stack!(
    no_transcode_starts_one_and_the_booking_waits,
    fifty_bookings_at_once_submit_one_transcode,
    a_transcode_in_progress_is_waited_for,
    a_succeeded_transcode_raises_an_alarm_and_the_booking_downloads_its_url,
    a_failed_transcode_is_made_again,
    a_timed_out_transcode_fails_the_booking,
);

/// A succeeded transcode whose stored URL cannot be downloaded is made again, with an alarm
/// that says why; the booking waits for it instead of waiting forever.
async fn a_succeeded_transcode_with_an_unusable_url_is_made_again(stack: Stack) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let f = Fixture::new(stack).await;
    f.book("c-1").await;
    f.app.wait_for_state("c-1", "waiting_transcode").await;
    f.post_result("oss", "sucess", Some(&f.rendition_url())).await;
    f.app.wait_for_state("c-1", "ready").await;
    let transcodes = shared::db::transcodes::Entity::update_many()
        .col_expr(shared::db::transcodes::Column::Url, Expr::value("ftp://mirror.invalid/6666_240P.flv"))
        .filter(shared::db::transcodes::Column::RecordId.eq(6666));
    transcodes.exec(&f.app.app.db.conn).await.unwrap();

    f.book("c-2").await;
    let waiting = f.app.wait_for_state("c-2", "waiting_transcode").await;
    assert!(waiting["reason"].as_str().unwrap().contains("240P"), "{waiting}");
    let remade = f.transcode_becomes("transcoding", Some("oss")).await;
    assert!(remade["reason"].as_str().unwrap_or_default().contains("unusable"), "{remade}");
    // Submitted again: the first submission (unconsumed here) is the same job while it waits.
    assert_eq!(f.oss_jobs_at_least(1).await, 1, "one submission waits");
    let alarm = f.alarms.one_with("alarm", "transcode_url_unusable").await;
    assert!(alarm["message"].as_str().unwrap().contains("ftp://mirror.invalid"), "{alarm}");
    f.stop().await;
}

every_stack!(a_succeeded_transcode_with_an_unusable_url_is_made_again);
