//! `vteacher demo`: the embedded default (SQLite state and queues, one node, no server to set
//! up) with a sample lesson it makes itself, served over local HTTP. It books three classes —
//! a legacy booking, a listed 720P for institution 22, and one the node already has on disk
//! (a cache hit: nothing downloaded) — shows their progress, prints where the files landed,
//! then ends a class and books a fourth video (`mission.rs`: ecs, class end, eviction), and
//! keeps serving until Ctrl-C.

use std::path::Path;

use anyhow::Context;
use serde_json::json;
use shared::config::Settings;
use tokio_util::sync::CancellationToken;

use super::{Launch, launch, signal::stop_on_signal};
use crate::fileserver::FileServer;

mod mission;
mod sample;
mod watch;

pub(super) async fn run(settings: Settings, dir: &Path) -> anyhow::Result<()> {
    tokio::fs::create_dir_all(dir).await.with_context(|| format!("creating {}", dir.display()))?;
    let dir = dir.canonicalize()?;
    let (lesson, with_ffmpeg) = sample::lesson(&dir).await?;
    let server = FileServer::start().await?;
    server.put("lessons/6666.flv", lesson.clone());
    server.put("lessons/6666_720P.flv", lesson.clone());
    server.put("lessons/7777_480P.flv", lesson.clone());

    let settings = demo_settings(settings, &dir)?;
    let video_root = settings.video_root.clone();
    // A push host that has been running already holds record 7777 at 480P (the old layout).
    let cached = video_root.join("7777/7777_480P.flv");
    tokio::fs::create_dir_all(cached.parent().expect("has a parent")).await?;
    tokio::fs::write(&cached, &lesson).await?;

    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    let running = launch(settings, Launch::all(), shutdown.clone()).await?;
    let base = format!("http://{}", running.web_addr.context("web address")?);
    println!("vteacher demo: embedded default (SQLite state and queues) in {}", dir.display());
    println!("  sample lesson: {} bytes, served at {}", lesson.len(), server.url("lessons/"));

    let bookings = [
        json!({"class_id": "demo-legacy", "record_id": 6666, "video_url": server.url("lessons/6666.flv"),
               "course_name": "Phonics 1 (legacy booking)"}),
        json!({"class_id": "demo-org-720p", "record_id": 6666, "video_resolution": "720P", "org_id": "22",
               "video_url": server.url("lessons/6666.flv"),
               "video_url_list": {"720P": server.url("lessons/6666_720P.flv")}, "course_name": "Phonics 3"}),
        json!({"class_id": "demo-cache-hit", "record_id": 7777, "video_resolution": "480p",
               "video_url_list": {"480P": server.url("lessons/7777_480P.flv")}, "course_name": "Numbers 2"}),
    ];
    let http = shared::tools::http::bare();
    for booking in &bookings {
        let response = http.post(format!("{base}/api/bookings")).json(booking).send().await?;
        println!("  booked {:<16} → HTTP {}", booking["class_id"].as_str().unwrap_or(""), response.status());
    }
    let finals = watch::watch(&http, &base, &bookings, &shutdown).await?;

    println!("\nwhere the files landed (VIDEO_ROOT = {}):", video_root.display());
    for status in &finals {
        let path = status["video_path"].as_str().unwrap_or("(none)");
        let size = tokio::fs::metadata(path).await.map(|m| m.len()).unwrap_or(0);
        println!(
            "  {:<16} {:<7} {path} ({size} bytes)",
            status["class_id"].as_str().unwrap_or(""),
            status["state"].as_str().unwrap_or("")
        );
    }
    println!("\nthe lesson server answered {} requests: the cache hit downloaded nothing", server.requests());
    if let Some(fourth) = mission::run(&http, &base, &server, with_ffmpeg, &shutdown).await? {
        println!(
            "  {:<16} {:<7} {}",
            fourth["class_id"].as_str().unwrap_or(""),
            fourth["state"].as_str().unwrap_or(""),
            fourth["video_path"].as_str().unwrap_or("(none)")
        );
    }
    println!("\ndashboard: {base}/   API: {base}/api/bookings/demo-legacy   metrics: {base}/metrics");
    println!("serving until Ctrl-C");
    running.wait().await
}

fn demo_settings(base: Settings, dir: &Path) -> anyhow::Result<Settings> {
    let db = dir.join("vteacher.db");
    let pairs = [
        ("DATABASE_URL", format!("sqlite://{}?mode=rwc", db.display())),
        ("VIDEO_ROOT", dir.join("video").display().to_string()),
        ("STORAGE_URL", format!("fs://{}", dir.join("storage").display())),
        ("NODE_ID", "demo-node".to_owned()),
        // Small, so that the fourth video makes room (an eviction) once a class has ended.
        ("MAX_VIDEO_NUM", "3".to_owned()),
        ("NODE_HEARTBEAT", "1s".to_owned()),
        ("PORT", base.port.to_string()),
        ("DOWNLOAD_RATE", base.download_rate.to_string()),
        ("LOG_FORMAT", "text".to_owned()),
        // The demo's lessons come from its own server on loopback, which sources may not
        // reach by default (`tools::egress`); the demo allows that address alone.
        ("SOURCE_ALLOW_NETS", "127.0.0.1/32".to_owned()),
    ];
    Ok(Settings::from_pairs(pairs)?)
}
