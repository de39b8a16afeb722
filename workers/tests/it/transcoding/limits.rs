//! The ecs pipeline's limits on what it downloads and hands to ffmpeg: a source past
//! `MAX_SOURCE_SIZE` or `SOURCE_DOWNLOAD_TIMEOUT`, a playlist or concat list (which would make
//! ffmpeg read other files), and a source longer or larger than the caps each fail the
//! transcode once, with the code its reason starts with, and leave nothing in
//! `TRANSCODE_WORK_DIR` and no rendition in storage.

use std::{path::Path, time::Duration};

use serde_json::{Value, json};

use crate::helpers::*;

/// Asks ecs for the 240P of `record_id` from `url`, and waits for the transcode to settle.
async fn ecs_transcode(app: &TestApp, record_id: i64, url: &str, within: Duration) -> Value {
    let body = json!({"record_id": record_id, "video_resolution": "240P", "video_url": url});
    let response = app.http.post(app.url("/api/transcode/ecs")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
    eventually(&format!("the transcode of {record_id} to settle"), within, || async {
        let listed: Vec<Value> =
            app.http.get(app.url(&format!("/api/transcodes/{record_id}"))).send().await.ok()?.json().await.ok()?;
        let t = listed.into_iter().next()?;
        matches!(t["state"].as_str(), Some("failed" | "succeeded")).then_some(t)
    })
    .await
}

/// The transcode failed, its reason starting with `code` (and saying `says`).
fn assert_failed_with(t: &Value, code: &str, says: &str) {
    assert_eq!(t["state"], "failed", "{t}");
    let reason = t["reason"].as_str().unwrap_or_default();
    assert!(reason.starts_with(&format!("{code}: ")), "the reason starts with {code}: {reason}");
    assert!(reason.contains(says), "the reason says {says:?}: {reason}");
}

/// Nothing of any transcode is left in the work dir, and no rendition is in storage.
fn assert_nothing_left(env: &TestEnv) {
    let work = files_under(Path::new(&env.pairs["TRANSCODE_WORK_DIR"]));
    assert!(work.is_empty(), "TRANSCODE_WORK_DIR holds nothing: {work:?}");
    let stored = files_under(&env.dir.path().join("storage"));
    assert!(stored.is_empty(), "no rendition is stored: {stored:?}");
}

async fn an_endless_or_oversized_source_is_stopped_at_the_size_cap(stack: Stack) {
    let mut env = TestEnv::new(stack).await;
    // The cap set small, as this test is about the cap itself: about 2 MiB, not 4 GiB.
    env.set("MAX_SOURCE_SIZE", "0.002");
    let app = env.spawn().await;
    let server = FileServer::start().await.unwrap();
    // Paced, so that without a cap the test fills no disk before it fails.
    server.set_knobs(Knobs { endless: true, rate: Some(8 * 1024 * 1024), ..Knobs::default() });
    server.put("endless.flv", lesson_bytes(1_000_000));
    let endless = ecs_transcode(&app, 1, &server.url("endless.flv"), Duration::from_secs(30)).await;
    assert_failed_with(&endless, "source_too_large", "MAX_SOURCE_SIZE");
    assert!(server.bytes_sent() < 8 * 1024 * 1024, "stopped near the cap: {} bytes sent", server.bytes_sent());

    // A length announced past the cap is refused on its headers.
    let announced = FileServer::start().await.unwrap();
    announced.put("big.flv", lesson_bytes(3_000_000));
    let big = ecs_transcode(&app, 2, &announced.url("big.flv"), Duration::from_secs(30)).await;
    assert_failed_with(&big, "source_too_large", "3000000");
    assert_nothing_left(&env);
    app.stop().await;
}

on_stacks!(size_cap = an_endless_or_oversized_source_is_stopped_at_the_size_cap; embedded => Embedded);

async fn a_slow_drip_is_stopped_at_the_time_cap(stack: Stack) {
    let mut env = TestEnv::new(stack).await;
    // The cap set short, as this test is about the cap itself (30 minutes by default); the
    // source sends a chunk every 1.3 s, well inside DOWNLOAD_IDLE_TIMEOUT, for 40 s.
    env.set("SOURCE_DOWNLOAD_TIMEOUT", "3s");
    let app = env.spawn().await;
    let server = FileServer::start().await.unwrap();
    server.set_knobs(Knobs { rate: Some(50_000), ..Knobs::default() });
    server.put("drip.flv", lesson_bytes(2_000_000));
    let started = std::time::Instant::now();
    let drip = ecs_transcode(&app, 3, &server.url("drip.flv"), Duration::from_secs(30)).await;
    assert_failed_with(&drip, "source_too_slow", "SOURCE_DOWNLOAD_TIMEOUT");
    assert!(started.elapsed() < Duration::from_secs(20), "failed once, not retried: {:?}", started.elapsed());
    assert_eq!(server.requests(), 1, "not retried");
    assert_nothing_left(&env);
    app.stop().await;
}

on_stacks!(time_cap = a_slow_drip_is_stopped_at_the_time_cap; embedded => Embedded);

/// A segment of a real video at `path`: what a playlist would make ffmpeg read.
async fn local_video(path: &Path) {
    let status = tokio::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=10"])
        .args(["-t", "3", "-c:v", "libx264", "-preset", "ultrafast", "-f", "mpegts"])
        .arg(path)
        .kill_on_drop(true)
        .status()
        .await
        .expect("ffmpeg is installed");
    assert!(status.success());
}

async fn playlists_and_concat_lists_are_refused_unread(stack: Stack) {
    let env = TestEnv::new(stack).await;
    let app = env.spawn().await;
    let server = FileServer::start().await.unwrap();
    // A video on the ecs worker's own disk, that a playlist names by its absolute path.
    let secret = env.dir.path().join("secret.ts");
    local_video(&secret).await;
    let playlist = format!(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n#EXTINF:3.0,\n{}\n#EXT-X-ENDLIST\n",
        secret.display()
    );
    server.put("lesson.m3u8", playlist);
    let hls = ecs_transcode(&app, 4, &server.url("lesson.m3u8"), Duration::from_secs(60)).await;
    assert_failed_with(&hls, "source_format_refused", "hls");

    // A concat list names files beside the source (absolute paths it refuses by itself): one
    // is put there, as a file a previous job could have left.
    let beside = Path::new(&env.pairs["TRANSCODE_WORK_DIR"]).join("5_240P");
    std::fs::create_dir_all(&beside).unwrap();
    local_video(&beside.join("left.ts")).await;
    server.put("lesson.ffconcat", "ffconcat version 1.0\nfile 'left.ts'\n");
    let concat = ecs_transcode(&app, 5, &server.url("lesson.ffconcat"), Duration::from_secs(60)).await;
    assert_failed_with(&concat, "source_format_refused", "concat");
    assert_nothing_left(&env);
    app.stop().await;
}

on_stacks!(playlists = playlists_and_concat_lists_are_refused_unread; embedded => Embedded);

/// A video made by ffmpeg from `lavfi` (`picture`), `seconds` long, as FLV bytes.
async fn generated(dir: &Path, name: &str, picture: &str, seconds: u32) -> Vec<u8> {
    let path = dir.join(name);
    let status = tokio::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", picture])
        .args(["-t", &seconds.to_string(), "-c:v", "libx264", "-preset", "ultrafast", "-f", "flv"])
        .arg(&path)
        .kill_on_drop(true)
        .status()
        .await
        .expect("ffmpeg is installed");
    assert!(status.success());
    std::fs::read(&path).unwrap()
}

async fn sources_longer_or_larger_than_the_caps_are_refused(stack: Stack) {
    // At the default caps (4 h, 3840x2160).
    let env = TestEnv::new(stack).await;
    let app = env.spawn().await;
    let server = FileServer::start().await.unwrap();
    // Five hours at one frame every ten minutes: 30 frames, a few kilobytes.
    let long = generated(env.dir.path(), "long.flv", "testsrc=size=64x64:rate=1/600", 5 * 3600).await;
    server.put("long.flv", long);
    let t = ecs_transcode(&app, 6, &server.url("long.flv"), Duration::from_secs(60)).await;
    assert_failed_with(&t, "source_too_long", "MAX_SOURCE_DURATION");

    let large = generated(env.dir.path(), "large.flv", "color=size=4096x2304:rate=1", 2).await;
    server.put("large.flv", large);
    let t = ecs_transcode(&app, 7, &server.url("large.flv"), Duration::from_secs(60)).await;
    assert_failed_with(&t, "source_too_many_pixels", "4096x2304");
    assert_nothing_left(&env);
    app.stop().await;
}

on_stacks!(caps = sources_longer_or_larger_than_the_caps_are_refused; embedded => Embedded);
