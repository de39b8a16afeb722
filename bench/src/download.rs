//! `vteacher-bench download`: (1) the rate limiter — the achieved rate of a throttled download over several
//! seconds as a ratio to `DOWNLOAD_RATE` (and wget's, with the same limit, when installed);
//! (2) unthrottled throughput from the local file server as a ratio to curl's.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use shared::{config::Rate, domain::SourceUrl, node::Downloader};
use tokio_util::sync::CancellationToken;

use crate::measure::{median, tool};
use workers::{
    fileserver::{FileServer, pattern},
    progress::Bars,
};

async fn ours(url: &str, dest: &Path, rate: Rate) -> anyhow::Result<Duration> {
    let _ = tokio::fs::remove_file(dest).await;
    let http =
        shared::tools::http::SourceClient::new(shared::tools::egress::Egress::local_lessons()).expect("a client");
    let cancel = CancellationToken::new();
    let url: SourceUrl = url.parse()?;
    let started = Instant::now();
    Downloader { http: &http, idle_timeout: Duration::from_secs(30), rate, cancel: &cancel, watch: None, share: None }
        .fetch(&url, dest)
        .await?;
    Ok(started.elapsed())
}

pub(super) async fn run(rate: &str, seconds: u64, size_mib: u64, runs: usize) -> anyhow::Result<()> {
    let rate: Rate = rate.parse().map_err(anyhow::Error::msg).context("--rate")?;
    let Some(limit) = rate.bytes_per_sec() else { bail!("--rate must be above 0") };
    let server = FileServer::start().await?;
    let dir = std::env::temp_dir().join(format!("vteacher-bench-{}", uuid::Uuid::new_v4().simple()));
    tokio::fs::create_dir_all(&dir).await?;
    let dest = dir.join("out.bin");
    let dest_text = dest.to_string_lossy().into_owned();

    let size = limit * seconds;
    server.put("throttled.bin", pattern(size as usize));
    let url = server.url("throttled.bin");
    println!("rate limit: DOWNLOAD_RATE={rate} ({limit} B/s), a {size}-byte file (≈{seconds} s)");
    let report = |who: &str, took: Duration| {
        let achieved = size as f64 / took.as_secs_f64();
        let ratio = achieved / limit as f64;
        let secs = took.as_secs_f64();
        println!(
            "  {who:<9} {achieved:>12.0} B/s over {secs:.2} s → {ratio:.4}× the limit ({:+.2}%)",
            (ratio - 1.0) * 100.0
        );
    };
    let bar = Bars::new().steps(2 + 2 * runs.max(1) as u64, "bench download");
    bar.set_message("vteacher, throttled");
    report("vteacher:", ours(&url, &dest, rate).await?);
    bar.inc(1);
    bar.set_message("wget, throttled");
    let wget_rate = format!("--limit-rate={limit}");
    if let Some(took) = tool("wget", &["-q", &wget_rate, "-O", &dest_text, &url], &dest).await? {
        report("wget:", took);
    } else {
        println!("  wget:     not installed (no comparison)");
    }
    bar.inc(1);

    let big = size_mib * 1024 * 1024;
    server.put("big.bin", pattern(big as usize));
    let url = server.url("big.bin");
    println!("unthrottled: {size_mib} MiB from the local file server, median of {runs} runs each");
    let mut mine = Vec::new();
    let mut curl = Vec::new();
    for _ in 0..runs.max(1) {
        bar.set_message("vteacher, unthrottled");
        mine.push(ours(&url, &dest, Rate::UNLIMITED).await?);
        bar.inc(1);
        bar.set_message("curl, unthrottled");
        match tool("curl", &["-s", "-f", "-o", &dest_text, &url], &dest).await? {
            Some(took) => curl.push(took),
            None => bail!("curl is not installed: it is this benchmark's baseline"),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let (mine, curl) = (median(mine), median(curl));
    let mib_s = |d: Duration| size_mib as f64 / d.as_secs_f64();
    println!("  vteacher: {:>8.1} MiB/s ({:.3} s)", mib_s(mine), mine.as_secs_f64());
    println!("  curl:     {:>8.1} MiB/s ({:.3} s)", mib_s(curl), curl.as_secs_f64());
    println!("  vteacher / curl throughput: {:.3}×", curl.as_secs_f64() / mine.as_secs_f64());
    let _ = tokio::fs::remove_dir_all(&dir).await;
    Ok(())
}
