//! `vteacher-bench bandwidth`: three downloads at once under one `NODE_BANDWIDTH`, as a node
//! runs them. Reported: the aggregate rate as a ratio to the cap (the goal: within ±2% over
//! ≥ 5 s), the same three without a cap (the baseline: what the local link gives, to show the
//! cap is what binds), and the order they finished in (the class that starts soonest first).
//! Run twice: with no per-download rate (the aggregate from the first byte to the last), and
//! with `DOWNLOAD_RATE` at half the cap, where the soonest class takes its half and the others
//! share the rest (the aggregate while all three ran, and the soonest's rate against its own
//! limit; once only one is left, its own limit binds, not the cap).

use std::{
    sync::{
        Arc, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use futures::future::BoxFuture;

use anyhow::{Context, bail};
use shared::{
    config::Rate,
    domain::SourceUrl,
    node::{
        DownloadError, Downloader, Watch,
        bandwidth::{Bandwidth, Share},
    },
};
use tokio_util::sync::CancellationToken;

use workers::{
    fileserver::{FileServer, pattern},
    progress::Bars,
};

/// The three classes, by name and start (minutes from now): submitted latest-start first, so
/// that arrival order cannot explain the finishing order.
const CLASSES: [(&str, i64); 3] = [("late", 30), ("middle", 20), ("soonest", 10)];

struct Finished {
    name: &'static str,
    at: Duration,
    /// Bytes all three had fetched when the first finished.
    all_at_first: u64,
}

/// What one download has fetched so far, and a shared total.
struct Fetched {
    mine: AtomicU64,
    total: Arc<AtomicU64>,
}

impl Watch for Fetched {
    fn started(&self, _total: Option<u64>) -> BoxFuture<'_, Result<(), DownloadError>> {
        Box::pin(async { Ok(()) })
    }

    fn progress(&self, bytes: u64, _total: u64) -> BoxFuture<'_, Result<(), DownloadError>> {
        let new = bytes.saturating_sub(self.mine.swap(bytes, Ordering::Relaxed));
        self.total.fetch_add(new, Ordering::Relaxed);
        Box::pin(async { Ok(()) })
    }
}

pub(super) async fn run(cap: &str, seconds: u64) -> anyhow::Result<()> {
    let cap: Rate = cap.parse().map_err(anyhow::Error::msg).context("--cap")?;
    let Some(limit) = cap.bytes_per_sec() else { bail!("--cap must be above 0") };
    let server = FileServer::start().await?;
    let each = (limit * seconds / 3) as usize;
    for (name, _) in CLASSES {
        server.put(&format!("{name}.bin"), pattern(each));
    }
    let total = 3 * each as u64;
    println!("NODE_BANDWIDTH={cap} ({limit} B/s); three downloads of {each} bytes at once (≈{seconds} s at the cap)");

    let bar = Bars::new().steps(3, "bench bandwidth");
    bar.set_message("no cap");
    let uncapped = three(&server, Bandwidth::default(), Rate::UNLIMITED).await?;
    bar.inc(1);
    bar.set_message("capped");
    let took = last(&uncapped);
    let link = total as f64 / took.as_secs_f64();
    println!(
        "  baseline, no cap:      {link:>14.0} B/s over {:.3} s ({:.1}× the cap)",
        took.as_secs_f64(),
        link / limit as f64
    );

    let (finished, window) = three_sampled(&server, Bandwidth::new(cap), Rate::UNLIMITED, seconds).await?;
    bar.inc(1);
    bar.set_message("capped, DOWNLOAD_RATE = cap/2");
    report("DOWNLOAD_RATE=0, first byte to last:", total, last(&finished), limit, &finished);
    if let Some((bytes, span)) = window {
        report(&format!("DOWNLOAD_RATE=0, from 1 s to {} s:", span.as_secs() + 1), bytes, span, limit, &finished);
    }

    let finished = three(&server, Bandwidth::new(cap), half(limit)).await?;
    bar.finish_and_clear();
    let first = &finished[0];
    report_rate("DOWNLOAD_RATE=cap/2, all three running:", first.all_at_first, first.at, limit, &finished);
    let own = each as f64 / first.at.as_secs_f64() / (limit / 2) as f64;
    println!("  the soonest class's own rate: {own:.4}× its DOWNLOAD_RATE ({:+.2}%)", (own - 1.0) * 100.0);
    Ok(())
}

fn report(label: &str, bytes: u64, took: Duration, limit: u64, finished: &[Finished]) {
    report_rate(label, bytes, took, limit, finished);
    if finished.first().map(|f| f.name) != Some("soonest") {
        println!("  (!) the soonest class did not finish first");
    }
}

/// The rate alone: with DOWNLOAD_RATE at half the cap the soonest class takes its own limit
/// and the middle one the rest, so they end together, in either order.
fn report_rate(label: &str, bytes: u64, took: Duration, limit: u64, finished: &[Finished]) {
    let achieved = bytes as f64 / took.as_secs_f64();
    let ratio = achieved / limit as f64;
    let order: Vec<String> = finished.iter().map(|f| format!("{} {:.2} s", f.name, f.at.as_secs_f64())).collect();
    println!(
        "  {label:<40} {achieved:>10.0} B/s over {:.3} s → {ratio:.4}× the cap ({:+.2}%); finished: {}",
        took.as_secs_f64(),
        (ratio - 1.0) * 100.0,
        order.join(", ")
    );
}

fn half(limit: u64) -> Rate {
    format!("{}", limit / 2).parse().expect("a byte count is a rate")
}

fn last(finished: &[Finished]) -> Duration {
    finished.iter().map(|f| f.at).max().unwrap_or_default()
}

/// The three downloads, and the bytes all of them fetched between 1 s and `seconds - 2` s
/// after the start: a window of the steady state, without the first request's latency and the
/// last chunk's slot at the end.
async fn three_sampled(
    server: &FileServer,
    bandwidth: Bandwidth,
    rate: Rate,
    seconds: u64,
) -> anyhow::Result<(Vec<Finished>, Option<(u64, Duration)>)> {
    let span = Duration::from_secs(seconds.saturating_sub(3).max(1));
    let total = Arc::new(AtomicU64::new(0));
    let sampler = {
        let total = total.clone();
        let start = tokio::time::Instant::now();
        tokio::spawn(async move {
            tokio::time::sleep_until(start + Duration::from_secs(1)).await;
            let from = total.load(Ordering::Relaxed);
            tokio::time::sleep_until(start + Duration::from_secs(1) + span).await;
            total.load(Ordering::Relaxed) - from
        })
    };
    let finished = three_counting(server, bandwidth, rate, total).await?;
    let window = if seconds >= 4 { Some((sampler.await?, span)) } else { None };
    Ok((finished, window))
}

/// Runs the three downloads together; they finish in the order returned.
async fn three(server: &FileServer, bandwidth: Bandwidth, rate: Rate) -> anyhow::Result<Vec<Finished>> {
    three_counting(server, bandwidth, rate, Arc::new(AtomicU64::new(0))).await
}

async fn three_counting(
    server: &FileServer,
    bandwidth: Bandwidth,
    rate: Rate,
    total: Arc<AtomicU64>,
) -> anyhow::Result<Vec<Finished>> {
    let dir = std::env::temp_dir().join(format!("vteacher-bench-{}", uuid::Uuid::new_v4().simple()));
    tokio::fs::create_dir_all(&dir).await?;
    let http =
        shared::tools::http::SourceClient::new(shared::tools::egress::Egress::local_lessons()).expect("a client");
    let cancel = CancellationToken::new();
    let now = shared::db::now_ms() / 1000;
    let started = Instant::now();
    let first_done = Arc::new(OnceLock::new());
    let mut downloads = Vec::new();
    for (name, starts_in) in CLASSES {
        let url: SourceUrl = server.url(&format!("{name}.bin")).parse()?;
        let dest = dir.join(format!("{name}.bin"));
        let (http, cancel, bandwidth) = (http.clone(), cancel.clone(), bandwidth.clone());
        let (total, first_done) = (total.clone(), first_done.clone());
        downloads.push(tokio::spawn(async move {
            let share = Share { bandwidth: &bandwidth, priority: now + starts_in * 60 };
            let watch = Fetched { mine: AtomicU64::new(0), total: total.clone() };
            Downloader {
                http: &http,
                idle_timeout: Duration::from_secs(30),
                rate,
                cancel: &cancel,
                watch: Some(&watch),
                share: Some(share),
            }
            .fetch(&url, &dest)
            .await?;
            let all_at_first = *first_done.get_or_init(|| total.load(Ordering::Relaxed));
            anyhow::Ok(Finished { name, at: started.elapsed(), all_at_first })
        }));
    }
    let mut finished = Vec::new();
    for download in downloads {
        finished.push(download.await??);
    }
    finished.sort_by_key(|f| f.at);
    let _ = tokio::fs::remove_dir_all(&dir).await;
    Ok(finished)
}
