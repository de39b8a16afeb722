//! `vteacher bench bandwidth`: three downloads at once under one `NODE_BANDWIDTH`, as a node
//! runs them. Reported: the aggregate rate from the first byte to the last as a ratio to the
//! cap (the goal: within ±2% over ≥ 5 s), the same three without a cap (the baseline: what the
//! local link gives, to show the cap is what binds), and the order they finished in (the class
//! that starts soonest first). Run twice: with no per-download rate, and with `DOWNLOAD_RATE`
//! at half the cap, where the soonest class takes its half and the others share the rest.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use shared::{
    config::Rate,
    domain::SourceUrl,
    node::{
        Downloader,
        bandwidth::{Bandwidth, Share},
    },
};
use tokio_util::sync::CancellationToken;

use crate::fileserver::{FileServer, pattern};

/// The three classes, by name and start (minutes from now): submitted latest-start first, so
/// that arrival order cannot explain the finishing order.
const CLASSES: [(&str, i64); 3] = [("late", 30), ("middle", 20), ("soonest", 10)];

struct Finished {
    name: &'static str,
    at: Duration,
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

    let uncapped = three(&server, Bandwidth::default(), Rate::UNLIMITED).await?;
    let took = last(&uncapped);
    let link = total as f64 / took.as_secs_f64();
    println!(
        "  baseline, no cap:      {link:>14.0} B/s over {:.3} s ({:.1}× the cap)",
        took.as_secs_f64(),
        link / limit as f64
    );

    for (label, per_download) in [("DOWNLOAD_RATE=0:", Rate::UNLIMITED), ("DOWNLOAD_RATE=cap/2:", half(limit))] {
        let finished = three(&server, Bandwidth::new(cap), per_download).await?;
        let took = last(&finished);
        let achieved = total as f64 / took.as_secs_f64();
        let ratio = achieved / limit as f64;
        let order: Vec<String> = finished.iter().map(|f| format!("{} {:.2} s", f.name, f.at.as_secs_f64())).collect();
        println!(
            "  {label:<21} {achieved:>14.0} B/s over {:.3} s → {ratio:.4}× the cap ({:+.2}%); finished: {}",
            took.as_secs_f64(),
            (ratio - 1.0) * 100.0,
            order.join(", ")
        );
        if finished[0].name != "soonest" {
            println!("  (!) the soonest class did not finish first");
        }
    }
    Ok(())
}

fn half(limit: u64) -> Rate {
    format!("{}", limit / 2).parse().expect("a byte count is a rate")
}

fn last(finished: &[Finished]) -> Duration {
    finished.iter().map(|f| f.at).max().unwrap_or_default()
}

/// Runs the three downloads together; they finish in the order returned.
async fn three(server: &FileServer, bandwidth: Bandwidth, rate: Rate) -> anyhow::Result<Vec<Finished>> {
    let dir = std::env::temp_dir().join(format!("vteacher-bench-{}", uuid::Uuid::new_v4().simple()));
    tokio::fs::create_dir_all(&dir).await?;
    let http = reqwest::Client::new();
    let cancel = CancellationToken::new();
    let now = chrono_free_now();
    let started = Instant::now();
    let mut downloads = Vec::new();
    for (name, starts_in) in CLASSES {
        let url: SourceUrl = server.url(&format!("{name}.bin")).parse()?;
        let dest = dir.join(format!("{name}.bin"));
        let (http, cancel, bandwidth) = (http.clone(), cancel.clone(), bandwidth.clone());
        downloads.push(tokio::spawn(async move {
            let share = Share { bandwidth: &bandwidth, priority: now + starts_in * 60 };
            Downloader { http: &http, rate, cancel: &cancel, watch: None, share: Some(share) }
                .fetch(&url, &dest)
                .await?;
            anyhow::Ok(Finished { name, at: started.elapsed() })
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

fn chrono_free_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
