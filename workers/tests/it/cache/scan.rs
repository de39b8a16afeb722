//! The start-up scan of VIDEO_ROOT, and `vteacher purge-legacy`.

use std::time::{Duration, SystemTime};

use serde_json::json;

use super::{book, path_of, video};
use crate::helpers::*;

fn write(env: &TestEnv, relative: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = env.video_root().join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    path
}

async fn node_status(app: &TestApp) -> serde_json::Value {
    let node = &app.node.as_ref().unwrap().settings.node_id;
    app.http.get(app.url(&format!("/api/nodes/{node}"))).send().await.unwrap().json().await.unwrap()
}

/// Files in all three layouts are adopted; `.part` files are kept, stale ones removed; files that
/// match no layout are reported and left alone; an adopted video is a cache hit.
async fn the_scan_adopts_what_is_on_disk(stack: Stack) {
    let mut env = TestEnv::new(stack).await;
    env.set("PART_MAX_AGE", "1h");
    let lesson = lesson_bytes(30_000);
    for relative in ["111/111.flv", "112/112_480P.flv", "22/113/113_720P.flv"] {
        write(&env, relative, &lesson);
    }
    write(&env, "114/114_480P.flv.part", &lesson[..1000]);
    let stale = write(&env, "115/115_480P.flv.part", &lesson[..1000]);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(7200))
        .unwrap();
    let strangers = [write(&env, "notes.txt", b"hello"), write(&env, "22/113/113_720p.flv", b"not ours")];
    let server = FileServer::start().await.unwrap();
    server.put("112.flv", lesson.clone());
    let app = env.spawn().await;

    let status = eventually("the scan to adopt three videos", Duration::from_secs(20), || async {
        let status = node_status(&app).await;
        (status["video_count"] == 3 && status["unknown_files"] == 2).then_some(status)
    })
    .await;
    assert_eq!(status["used_bytes"], 90_000);
    let dirs: Vec<(String, u64)> = status["dir_info"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["dir"].as_str().unwrap().to_owned(), d["video_count"].as_u64().unwrap()))
        .collect();
    assert_eq!(dirs, vec![(".".to_owned(), 2), ("22".to_owned(), 1)], "DIR_INFO");
    assert!(env.video_root().join("114/114_480P.flv.part").exists(), "a .part is kept for resume");
    assert!(!stale.exists(), "a .part older than PART_MAX_AGE is removed");
    assert!(strangers.iter().all(|p| p.exists()), "files matching no layout are never deleted");
    assert_eq!(video(&app, "111/111.flv").await.unwrap().num_cite, 0, "adopted with no reference");

    book(&app, "c-112", 112, &server.url("112.flv"), json!({})).await;
    app.wait_for_state("c-112", "ready").await;
    assert_eq!(server.requests(), 0, "an adopted video is a cache hit");
    app.stop().await;
}

every_stack!(the_scan_adopts_what_is_on_disk);

/// A row whose file went missing is dropped at start; the class still on it downloads it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_video_gone_from_the_disk_is_downloaded_again_for_its_class() {
    let env = TestEnv::new(Stack::Redis).await;
    let server = FileServer::start().await.unwrap();
    let lesson = lesson_bytes(25_000);
    server.put("v.flv", lesson.clone());
    let app = env.spawn().await;
    book(&app, "c-gone", 116, &server.url("v.flv"), json!({})).await;
    app.wait_for_state("c-gone", "ready").await;
    app.stop().await;

    let file = env.video_root().join(path_of(116));
    std::fs::remove_file(&file).unwrap();
    let app = env.spawn().await;
    eventually("the video to be back", Duration::from_secs(20), || async {
        (std::fs::read(&file).ok()? == lesson && video(&app, &path_of(116)).await?.num_cite == 1).then_some(())
    })
    .await;
    assert_eq!(server.requests_for("v.flv"), 2);
    app.stop().await;
}

/// `vteacher purge-legacy`: the unreferenced videos of the old layout go at once, and nothing
/// else; `--dry-run` only lists them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_legacy_deletes_unreferenced_old_layout_videos() {
    let env = TestEnv::new(Stack::Embedded).await;
    let server = FileServer::start().await.unwrap();
    server.put("v.flv", lesson_bytes(12_000));
    let old = [write(&env, "121/121.flv", &[1; 1000]), write(&env, "122/122_720P.flv", &[2; 2000])];
    let org = write(&env, "7/123/123_720P.flv", &[3; 3000]);
    let app = env.spawn().await;
    book(&app, "c-kept", 124, &server.url("v.flv"), json!({})).await;
    app.wait_for_state("c-kept", "ready").await;
    app.stop().await;

    let dry = env.command(&["purge-legacy", "--dry-run"]).output().await.unwrap();
    let text = String::from_utf8_lossy(&dry.stdout);
    assert!(dry.status.success() && text.contains("would delete 2 old-layout video(s), 3000 bytes"), "{text}");
    assert!(old.iter().all(|p| p.exists()), "a dry run deletes nothing");

    let purge = env.command(&["purge-legacy"]).output().await.unwrap();
    let text = String::from_utf8_lossy(&purge.stdout);
    assert!(purge.status.success(), "{text}{}", String::from_utf8_lossy(&purge.stderr));
    assert!(text.contains("deleted 2 old-layout video(s), 3000 bytes; 1 referenced by a class kept"), "{text}");
    assert!(old.iter().all(|p| !p.exists()));
    assert!(org.exists(), "the institution layout is not touched");
    assert!(env.video_root().join(path_of(124)).exists(), "a referenced old-layout video is kept");
}
