//! The rest of the mission, after the first three bookings: a class ends (its node lets the
//! video go), then a fourth video needs room under `MAX_VIDEO_NUM=3`, so the ended class's
//! video is evicted. With ffmpeg the fourth is an unlisted 240P that ecs makes from the 720P
//! (its progress shown); without, a listed 480P, and the demo says what it skipped.

use std::time::Duration;

use anyhow::Context;
use indicatif::ProgressBar;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::{fileserver::FileServer, progress::Bars};

pub(super) async fn run(
    http: &reqwest::Client,
    base: &str,
    server: &FileServer,
    with_ffmpeg: bool,
    shutdown: &CancellationToken,
) -> anyhow::Result<Option<Value>> {
    let ended: Value = http.post(format!("{base}/api/classes/demo-legacy/end")).send().await?.json().await?;
    println!(
        "\nclass end: demo-legacy is over (ended now: {}); the node lets its video go",
        ended["ended_now"].as_bool().unwrap_or(false)
    );
    if ended["ended_now"] != true {
        println!("  (this demo-data ran the mission before: delete it to see the class end, ecs and eviction again)");
        return Ok(None);
    }
    // The node hears the end on its own queue: its next heartbeat shows the video evictable.
    node_until(http, base, "the ended class's video to be evictable", |n| n["evictable_bytes"].as_u64() > Some(0))
        .await?;
    let fourth = if with_ffmpeg {
        println!("\nan unlisted 240P of record 6666: no rendition listed, so ecs (our ffmpeg) makes it from the 720P");
        json!({"class_id": "demo-ecs-240p", "record_id": 6666, "video_resolution": "240P",
               "video_url_list": {"720P": server.url("lessons/6666_720P.flv")}, "course_name": "Phonics 3 (small screens)"})
    } else {
        println!(
            "\n(ffmpeg not found: skipped the unlisted 240P that ecs would transcode; booking a listed 480P instead)"
        );
        json!({"class_id": "demo-another", "record_id": 8888, "video_resolution": "480P",
               "video_url_list": {"480P": server.url("lessons/7777_480P.flv")}, "course_name": "Numbers 3"})
    };
    let class_id = fourth["class_id"].as_str().unwrap_or_default().to_owned();
    let response = http.post(format!("{base}/api/bookings")).json(&fourth).send().await?;
    println!("  booked {class_id:<16} → HTTP {}", response.status());
    if with_ffmpeg {
        transcode_progress(http, base, shutdown).await?;
    }
    let settled = super::watch::watch(http, base, std::slice::from_ref(&fourth), shutdown).await?;
    // A heartbeat from after the fourth video landed: one from before it counts the disk
    // between the eviction and the download's end (one video fewer).
    let landed_at = settled.first().and_then(|b| b["updated_at"].as_i64()).unwrap_or(0);
    let node = node_until(http, base, "a heartbeat with the eviction and the fourth video", |n| {
        n["evictions"].as_u64() > Some(0) && n["seen_at"].as_i64() >= Some(landed_at)
    })
    .await?;
    println!(
        "\neviction: MAX_VIDEO_NUM is 3, so the video no class holds (6666/6666.flv) made room: {} eviction(s), {} videos on disk",
        node["evictions"], node["video_count"]
    );
    settled.into_iter().next().context("the fourth booking's status").map(Some)
}

/// The node's status once `ready` holds of it (it reports every `NODE_HEARTBEAT`).
async fn node_until(
    http: &reqwest::Client,
    base: &str,
    what: &str,
    ready: impl Fn(&Value) -> bool,
) -> anyhow::Result<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let node: Value = http.get(format!("{base}/api/nodes/demo-node")).send().await?.json().await?;
        if ready(&node) {
            return Ok(node);
        }
        anyhow::ensure!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}: {node}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Prints the ecs transcode's progress until it is over; on a terminal, a bar of its percent.
async fn transcode_progress(http: &reqwest::Client, base: &str, shutdown: &CancellationToken) -> anyhow::Result<()> {
    let bars = Bars::new();
    let bar = bars.steps(100, "transcode 6666 240P");
    let shown = follow_transcode(http, base, &bars, &bar, shutdown).await;
    bar.finish_and_clear();
    shown
}

async fn follow_transcode(
    http: &reqwest::Client,
    base: &str,
    bars: &Bars,
    bar: &ProgressBar,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    let mut shown = None;
    while tokio::time::Instant::now() < deadline && !shutdown.is_cancelled() {
        // 404 until the booking's decision has started the transcode.
        let response = http.get(format!("{base}/api/transcodes/6666")).send().await?;
        let listed: Vec<Value> = if response.status().is_success() { response.json().await? } else { Vec::new() };
        let Some(t) = listed.into_iter().find(|t| t["video_resolution"] == "240P") else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        let now = (t["state"].as_str().unwrap_or("").to_owned(), t["progress"].as_i64());
        if shown.as_ref() != Some(&now) {
            let percent = now.1.map(|p| format!(" {p}%")).unwrap_or_default();
            bars.line(format!(
                "  transcode 6666 240P by {}: {}{percent}",
                t["provider"].as_str().unwrap_or("?"),
                now.0
            ));
            bar.set_position(now.1.unwrap_or(0).clamp(0, 100) as u64);
            bar.set_message(now.0.clone());
            shown = Some(now.clone());
        }
        if now.0 != "transcoding" {
            return Ok(());
        }
        // ecs makes the sample's 240P in well under a second on a fast machine: look often, or
        // its whole run falls between two looks.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}
