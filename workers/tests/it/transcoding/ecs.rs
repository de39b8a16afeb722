//! Our own ffmpeg workers, for real: an unlisted 240P that oss fails is made by ecs from a
//! generated 10 s FLV, uploaded to a real S3-compatible server, and lands on the node; a
//! transcode longer than the queue's lease is run exactly once.

use std::time::Duration;

use serde_json::json;
use shared::tools::ffmpeg;
use testkit::moto::Moto;
use workers::roles::Launch;

use crate::helpers::*;

async fn an_unlisted_240p_is_made_by_ecs_when_oss_fails(stack: Stack) {
    let moto = Moto::start().await;
    let s3 = moto.bucket("lessons").await;
    let server = FileServer::start().await.unwrap();
    let mut env = TestEnv::new(stack).await;
    server.put("6666.flv", lesson_video(env.dir.path(), "lesson", 10).await);
    env.set("STORAGE_URL", moto.storage_url("lessons"))
        .set("STORAGE_ACCESS_KEY_ID", "test-key")
        .set("STORAGE_SECRET_ACCESS_KEY", "test-secret")
        // The oss service refuses the job (404): an oss failure, so ecs makes it.
        .set("OSS_PROVIDER", "http")
        .set("OSS_HTTP_URL", server.url("no-such-transcoding-api"));
    let app = env.spawn().await;

    let body = json!({"class_id": "c-ecs", "record_id": 6666, "video_resolution": "240P",
        "video_url": server.url("6666.flv"), "video_url_list": {"720P": server.url("6666.flv")}});
    assert_eq!(app.post_booking(&body).await.status(), 202);
    let ready = eventually("the booking to be ready", Duration::from_secs(120), || async {
        let booking = app.booking("c-ecs").await?;
        assert_ne!(booking["state"], "failed", "{booking}");
        (booking["state"] == "ready").then_some(booking)
    })
    .await;

    let path = env.video_root().join("6666/6666_240P.flv");
    assert_eq!(ready["video_path"], path.display().to_string());
    let probe = ffmpeg::probe(&path).await.unwrap();
    assert_eq!(probe.height, 240);
    assert!(probe.duration.abs_diff(Duration::from_secs(10)) <= Duration::from_secs(1), "{:?}", probe.duration);

    // The upload, read back with an independent S3 client.
    let object = s3.get_object().bucket("lessons").key("6666/6666_240P.flv").send().await.expect("uploaded");
    let uploaded = object.body.collect().await.unwrap().into_bytes();
    assert_eq!(uploaded.as_ref(), std::fs::read(&path).unwrap().as_slice(), "the node has the uploaded rendition");

    let transcodes: Vec<serde_json::Value> =
        app.http.get(app.url("/api/transcodes/6666")).send().await.unwrap().json().await.unwrap();
    let t = &transcodes[0];
    assert_eq!(
        (t["state"].as_str(), t["provider"].as_str(), t["progress"].as_i64()),
        (Some("succeeded"), Some("ecs"), Some(100))
    );
    assert_eq!(server.range_starts().len(), 1, "the source was downloaded once");
    app.stop().await;
}

on_stacks!(end_to_end = an_unlisted_240p_is_made_by_ecs_when_oss_fails; embedded => Embedded, redis => Redis);

async fn a_transcode_longer_than_the_lease_runs_once(stack: Stack) {
    let server = FileServer::start().await.unwrap();
    let mut env = TestEnv::new(stack).await;
    server.put("7.flv", lesson_video(env.dir.path(), "lesson", 10).await);
    let (bin, count) = slow_counting_ffmpeg(env.dir.path(), 8);
    env.set("QUEUE_LEASE", "3s").set("SHUTDOWN_TIMEOUT", "1s").set("OSS_PROVIDER", "disabled");
    let queues = ["booking", "transcode-result", "notify", "node-report", "download", "class-end", "transcode-oss"]
        .map(String::from)
        .to_vec();
    let app = env.spawn_with(Launch { web: true, migrate: true, queues, ..Launch::default() }).await;
    // Two ecs workers: were the running job taken for an orphan, the other would run it again.
    env.set("STORAGE_PUBLIC_URL", app.url("/storage"));
    env.set("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()));
    let mut ecs = [
        env.start("ecs-1", &["work", "--queues", "transcode-ecs"]),
        env.start("ecs-2", &["work", "--queues", "transcode-ecs"]),
    ];

    let body =
        json!({"class_id": "c-long", "record_id": 7, "video_resolution": "240P", "video_url": server.url("7.flv")});
    assert_eq!(app.post_booking(&body).await.status(), 202);
    eventually("the booking to be ready", Duration::from_secs(90), || async {
        let booking = app.booking("c-long").await?;
        assert_ne!(booking["state"], "failed", "{booking}\n{}\n{}", ecs[0].output(), ecs[1].output());
        (booking["state"] == "ready").then_some(())
    })
    .await;
    let runs = std::fs::read_to_string(&count).unwrap().lines().count();
    assert_eq!(runs, 1, "ffmpeg ran {runs} times");
    for process in &mut ecs {
        process.signal(nix::sys::signal::Signal::SIGTERM);
        process.exit_status(Duration::from_secs(10)).await;
    }
    app.stop().await;
}

on_stacks!(longer_than_the_lease = a_transcode_longer_than_the_lease_runs_once; embedded => Embedded, redis => Redis);
