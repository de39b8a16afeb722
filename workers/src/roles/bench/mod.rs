//! `vteacher bench …`: each benchmark measures its baseline in the same run and reports the
//! ratio against it.

mod bandwidth;
mod cache;
mod cache_index;
mod cache_scan;
mod download;
pub mod fleet;
mod idle;
mod own_redis;
mod queue;
#[cfg(feature = "compare-apalis-redis")]
mod queue_apalis;
mod queue_bullmq;
mod queue_plan;
mod queue_report;
mod transcode;

use std::{path::Path, time::Duration};

use anyhow::bail;
use shared::config::Settings;
use tokio::process::Command;

use crate::cli::Bench;

pub async fn run(_settings: Settings, which: Bench) -> anyhow::Result<()> {
    match which {
        Bench::Download { rate, seconds, size_mib, runs } => download::run(&rate, seconds, size_mib, runs).await,
        Bench::Bandwidth { cap, seconds } => bandwidth::run(&cap, seconds).await,
        Bench::Transcode { seconds, runs, height } => transcode::run(seconds, runs, &height).await,
        Bench::Queue { backlog, concurrency, min_batch, small_backlog, split } => {
            queue::run(backlog, &concurrency, min_batch, small_backlog, split).await
        }
        Bench::Idle { workers, seconds } => idle::run(workers, seconds).await,
        Bench::Cache { videos, decisions, postgres, files } => cache::run(&videos, decisions, &postgres, files).await,
        Bench::Fleet { nodes, idle_seconds, bookings, videos, postgres, pgbouncer_user } => {
            let options = fleet::FleetOptions {
                binary: std::env::current_exe()?,
                nodes,
                idle: Duration::from_secs(idle_seconds),
                bookings,
                videos,
                postgres,
                pgbouncer_user,
            };
            println!("vteacher bench fleet: {nodes} nodes, {bookings} bookings over {videos} videos");
            // A signal ends the bench through its guards: every process it started is killed,
            // its database dropped, its temp dir removed.
            let report = tokio::select! {
                report = fleet::run(&options) => report?,
                _ = shutdown_signal() => anyhow::bail!("interrupted: everything the bench started is stopped"),
            };
            fleet::print(&report);
            Ok(())
        }
    }
}

async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

/// Runs a command line tool, timed; `None` if it is not installed.
async fn tool(program: &str, args: &[&str], dest: &Path) -> anyhow::Result<Option<Duration>> {
    let _ = tokio::fs::remove_file(dest).await;
    let started = std::time::Instant::now();
    let status = Command::new(program).args(args).kill_on_drop(true).status().await;
    match status {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
        Ok(s) if !s.success() => bail!("{program} failed: {s}"),
        Ok(_) => Ok(Some(started.elapsed())),
    }
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}
