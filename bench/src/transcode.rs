//! `vteacher-bench transcode`: the whole ecs transcode of a generated source (download from
//! a local server, ffprobe, ffmpeg with progress, the output check, the upload to `fs://`
//! storage) against the bare ffmpeg command with the same arguments on the same file.
//! Runs alternate, so a machine that speeds up or slows down affects both alike.

use std::{
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use shared::{
    App,
    config::Settings,
    domain::{RecordId, Resolution, TranscodeKey},
    tools::ffmpeg::Transcode,
    transcode::{ecs, source::Choice},
};
use tokio::process::Command;
use tokio_util::sync::CancellationToken;

use crate::measure::median;
use workers::{fileserver::FileServer, progress::Bars};

async fn make_source(path: &std::path::Path, seconds: u64) -> anyhow::Result<()> {
    let lavfi = |spec: String| ["-f".to_owned(), "lavfi".to_owned(), "-i".to_owned(), spec];
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(lavfi(format!("testsrc=size=1280x720:rate=25:duration={seconds}")))
        .args(lavfi(format!("sine=frequency=440:duration={seconds}")))
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "flv"])
        .arg(path)
        .kill_on_drop(true)
        .status()
        .await
        .context("running ffmpeg (apt-get install ffmpeg)")?;
    if !status.success() {
        bail!("ffmpeg could not make the source: {status}");
    }
    Ok(())
}

async fn bare(spec: &Transcode<'_>) -> anyhow::Result<Duration> {
    let _ = tokio::fs::remove_file(spec.output).await;
    let started = Instant::now();
    let status = Command::new("ffmpeg").args(spec.args()).stdout(Stdio::null()).kill_on_drop(true).status().await?;
    if !status.success() {
        bail!("bare ffmpeg failed: {status}");
    }
    Ok(started.elapsed())
}

async fn bench_app(dir: &std::path::Path) -> anyhow::Result<App> {
    let settings = Settings::from_pairs([
        ("DATABASE_URL", format!("sqlite://{}?mode=rwc", dir.join("bench.db").display())),
        ("STORAGE_URL", format!("fs://{}", dir.join("storage").display())),
        ("TRANSCODE_WORK_DIR", dir.join("work").display().to_string()),
        ("VIDEO_ROOT", dir.join("video").display().to_string()),
        // The sources are on the bench's own server, on loopback.
        ("SOURCE_ALLOW_NETS", "127.0.0.1/32".to_owned()),
    ])?;
    let app = App::connect(settings, CancellationToken::new()).await?;
    shared::app::migrate(&app.db).await?;
    // Uploads are named by this base; nothing downloads them here.
    let _ = app.web_base.set("http://127.0.0.1:8080".into());
    Ok(app)
}

pub(super) async fn run(seconds: u64, runs: usize, height: &str) -> anyhow::Result<()> {
    let resolution: Resolution = height.parse()?;
    let dir = std::env::temp_dir().join(format!("vteacher-bench-{}", uuid::Uuid::new_v4().simple()));
    tokio::fs::create_dir_all(&dir).await?;
    let source = dir.join("source.flv");
    make_source(&source, seconds).await?;
    let server = FileServer::start().await?;
    server.put("source.flv", tokio::fs::read(&source).await?);
    let app = bench_app(&dir).await?;
    let key = TranscodeKey { record_id: RecordId::new(1)?, resolution };
    let choice = Choice { url: server.url("source.flv").parse()?, from: None, upscale: false };
    let output = dir.join("bare.flv");
    let spec =
        Transcode { input: &source, output: &output, height: resolution.height(), timeout: Duration::from_secs(3600) };

    println!("transcode: a {seconds} s 1280x720 H.264/AAC FLV to {resolution}, {runs} alternating runs each");
    let (mut bare_runs, mut ecs_runs) = (Vec::new(), Vec::new());
    let bar = Bars::new().steps(2 * runs.max(1) as u64, "bench transcode");
    for _ in 0..runs.max(1) {
        bar.set_message("bare ffmpeg");
        bare_runs.push(bare(&spec).await?);
        bar.inc(1);
        bar.set_message("ecs job");
        let started = Instant::now();
        ecs::make(&app, key, &choice).await.map_err(|e| anyhow::anyhow!("ecs: {e}"))?;
        ecs_runs.push(started.elapsed());
        bar.inc(1);
    }
    bar.finish_and_clear();
    let (bare, ecs) = (median(bare_runs), median(ecs_runs));
    println!("  bare ffmpeg: {:>7.3} s", bare.as_secs_f64());
    println!("  ecs job:     {:>7.3} s  (download, ffprobe, ffmpeg, check, upload)", ecs.as_secs_f64());
    println!("  ecs / bare:  {:.3}×", ecs.as_secs_f64() / bare.as_secs_f64());
    let _ = tokio::fs::remove_dir_all(&dir).await;
    Ok(())
}
