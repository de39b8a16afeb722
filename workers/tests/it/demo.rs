//! `vteacher demo` shows the whole mission: a legacy booking, a listed one, a cache hit, a
//! class end, an unlisted 240P made by ecs with its progress, and an eviction under its small
//! `MAX_VIDEO_NUM`; then it serves until stopped.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::*;

#[tokio::test]
async fn the_demo_shows_the_whole_mission() {
    let env = TestEnv::new(Stack::Embedded).await;
    let dir = env.dir.path().join("demo-data");
    let mut demo = env
        .command(&["demo", "--dir", dir.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(demo.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let serving = tokio::time::timeout(Duration::from_secs(240), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let done = line.contains("serving until Ctrl-C");
            printed.push(line);
            if done {
                return;
            }
        }
    })
    .await;
    let text = printed.join("\n");
    assert!(serving.is_ok(), "the demo did not get to serving:\n{text}");
    for shown in [
        "demo-legacy      ready",
        "demo-org-720p    ready",
        "the cache hit downloaded nothing",
        "class end: demo-legacy is over (ended now: true)",
        "transcode 6666 240P by ecs: succeeded 100%",
        "1 eviction(s), 3 videos on disk",
        "demo-ecs-240p    ready",
    ] {
        assert!(text.contains(shown), "{shown:?} is not in what the demo printed:\n{text}");
    }
    assert_transcode_went_from_oss_to_ecs(&printed);
    assert!(!dir.join("video/6666/6666.flv").exists(), "the ended class's video was evicted:\n{text}");
    assert!(dir.join("video/6666/6666_240P.flv").exists(), "the ecs rendition is on the node:\n{text}");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(demo.id().unwrap() as i32), nix::sys::signal::Signal::SIGTERM)
        .unwrap();
    let stopped = tokio::time::timeout(Duration::from_secs(30), demo.wait()).await;
    assert!(stopped.is_ok_and(|s| s.unwrap().success()), "the demo stops cleanly on SIGTERM");
}

/// The transcode's lines are the states the demo saw as it looked (every 50 ms): oss's brief try
/// (the demo has no oss) and ecs's percents may fall between two looks, but what it shows comes
/// in order: any oss line before the first ecs line, and ecs's success last.
fn assert_transcode_went_from_oss_to_ecs(printed: &[String]) {
    let seen: Vec<&str> =
        printed.iter().filter_map(|line| line.trim().strip_prefix("transcode 6666 240P by ")).collect();
    let first_ecs = seen.iter().position(|s| s.starts_with("ecs:")).expect("an ecs line");
    assert!(seen[..first_ecs].iter().all(|s| s.starts_with("oss: transcoding")), "oss tried first: {seen:?}");
    assert!(seen[first_ecs..].iter().all(|s| s.starts_with("ecs:")), "then ecs alone: {seen:?}");
    assert_eq!(seen.last(), Some(&"ecs: succeeded 100%"), "ecs's success is the last: {seen:?}");
}
