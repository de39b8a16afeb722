//! Bookings whose source misbehaves, through the whole app: each booking fails with a reason a
//! person can act on, no video is put in the cache (no file where a video goes, no row in the
//! node's index), and a `.part` is left only where the next booking can resume it.

use std::path::Path;

use sea_orm::EntityTrait;
use serde_json::json;
use shared::db::cache_videos;

use crate::helpers::*;

const LEN: usize = 1_000_000;

struct Case {
    record_id: i64,
    knobs: Knobs,
    /// (name served, redirect target) when the case is a redirect.
    redirect: Option<(&'static str, String)>,
    /// What the failure's reason says; `None`: the booking recovers and is ready.
    reason: Option<&'static str>,
    part_kept: bool,
}

async fn hostile_sources_fail_clearly_and_leave_nothing_in_the_cache(stack: Stack) {
    let mut env = TestEnv::new(stack).await;
    env.set("DOWNLOAD_IDLE_TIMEOUT", "1s");
    let half = Some(LEN as u64 / 2);
    let case = |record_id, knobs, reason: Option<&'static str>, part_kept| Case {
        record_id,
        knobs,
        redirect: None,
        reason,
        part_kept,
    };
    let mut cases = vec![
        case(1, Knobs { truncate_at: half, ..Knobs::default() }, Some("of 1000000 bytes"), true),
        case(2, Knobs { stall_after: half, ..Knobs::default() }, Some("stalled"), true),
        case(3, Knobs { no_length: true, ..Knobs::default() }, Some("Content-Length"), false),
        case(4, Knobs { cut_once_after: half, overlong_by: 4096, ..Knobs::default() }, None, false),
        case(5, Knobs::default(), Some("redirects"), false),
        case(6, Knobs::default(), Some("only http and https"), false),
    ];
    cases[4].redirect = Some(("lesson.flv", String::new())); // to itself: filled in below
    cases[5].redirect = Some(("lesson.flv", "ftp://127.0.0.1/lesson.flv".to_owned()));
    let app = env.spawn().await;
    let mut servers = Vec::new();
    for case in &cases {
        let server = FileServer::start().await.unwrap();
        server.put("lesson.flv", lesson_bytes(LEN));
        server.set_knobs(case.knobs.clone());
        if let Some((name, to)) = &case.redirect {
            let to = if to.is_empty() { server.url(name) } else { to.clone() };
            server.redirect(name, &to);
        }
        let body = json!({"class_id": format!("c-{}", case.record_id), "record_id": case.record_id,
            "video_url": server.url("lesson.flv")});
        assert_eq!(app.post_booking(&body).await.status(), 202);
        servers.push(server);
    }

    for case in &cases {
        let class_id = format!("c-{}", case.record_id);
        let dir = env.video_root().join(case.record_id.to_string());
        let Some(reason) = case.reason else {
            let ready = app.wait_for_state(&class_id, "ready").await;
            assert_eq!(std::fs::read(ready["video_path"].as_str().unwrap()).unwrap(), lesson_bytes(LEN));
            continue;
        };
        let failed = app.wait_for_state(&class_id, "failed").await;
        let said = failed["reason"].as_str().unwrap_or_default();
        assert!(said.contains(reason), "{class_id}: the reason says {reason:?}: {said}");
        assert!(!said.contains("builder error"), "{class_id}: {said}");
        let files = files_in(&dir);
        assert!(files.iter().all(|f| f.contains(".part")), "{class_id}: no video in the cache: {files:?}");
        let part = files.iter().any(|f| f.ends_with(".part"));
        assert_eq!(part, case.part_kept, "{class_id}: a .part only to resume: {files:?}");
    }
    let node = app.node.as_ref().expect("the app runs the node");
    let videos = cache_videos::Entity::find().all(&node.cache.conn).await.unwrap();
    let paths: Vec<_> = videos.iter().map(|v| v.path.as_str()).collect();
    assert_eq!(paths, ["4/4.flv"], "only the video that recovered is in the node's index");
    drop(servers);
    app.stop().await;
}

fn files_in(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries.filter_map(|e| Some(e.ok()?.file_name().to_string_lossy().into_owned())).collect()
}

on_stacks!(sources = hostile_sources_fail_clearly_and_leave_nothing_in_the_cache; embedded => Embedded);
