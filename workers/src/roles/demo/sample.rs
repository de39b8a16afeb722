//! The demo's sample lesson: 10 s of test pattern and tone made by ffmpeg when it is
//! installed, else a file of the same size with an FLV header (the node does not play it).

use std::{path::Path, time::Duration};

use tokio::process::Command;

/// The lesson, and whether ffmpeg is here (then the demo also shows an ecs transcode).
pub(super) async fn lesson(dir: &Path) -> anyhow::Result<(Vec<u8>, bool)> {
    let path = dir.join("sample-lesson.flv");
    let with_ffmpeg = ffmpeg_runs().await;
    if let Ok(bytes) = tokio::fs::read(&path).await {
        return Ok((bytes, with_ffmpeg));
    }
    if with_ffmpeg && made_by_ffmpeg(&path).await {
        return Ok((tokio::fs::read(&path).await?, true));
    }
    println!("  (ffmpeg not found: the sample lesson is a synthetic FLV-headed file)");
    let mut bytes = b"FLV\x01\x05\x00\x00\x00\x09".to_vec();
    bytes.extend((0..2_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    tokio::fs::write(&path, &bytes).await?;
    Ok((bytes, false))
}

async fn ffmpeg_runs() -> bool {
    let mut command = Command::new("ffmpeg");
    command.arg("-version").stdout(std::process::Stdio::null()).kill_on_drop(true);
    let ran = tokio::time::timeout(Duration::from_secs(10), command.status()).await;
    matches!(ran, Ok(Ok(status)) if status.success())
}

async fn made_by_ffmpeg(path: &Path) -> bool {
    let mut command = Command::new("ffmpeg");
    command
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(["-f", "lavfi", "-i", "testsrc=size=1280x720:rate=25:duration=10"])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:duration=10"])
        .args(["-c:v", "libx264", "-preset", "veryfast", "-b:v", "800k", "-c:a", "aac", "-f", "flv"])
        .arg(path)
        .kill_on_drop(true);
    let ran = tokio::time::timeout(Duration::from_secs(120), command.status()).await;
    matches!(ran, Ok(Ok(status)) if status.success())
}
