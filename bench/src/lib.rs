//! `vteacher-bench`: vteacher's benchmarks, out of the product binary. Each measures its
//! baseline in the same run and reports the ratio against it. The fleet benchmark runs the
//! `vteacher` binary built beside this one.

mod agents;
mod bandwidth;
mod cache;
mod cache_index;
mod cache_scan;
mod download;
pub mod fleet;
mod idle;
mod idle_window;
mod measure;
mod own_redis;
mod placement;
mod queue;
#[cfg(feature = "compare-apalis-redis")]
mod queue_apalis;
mod queue_bullmq;
mod queue_drain;
mod queue_plan;
mod queue_report;
mod scrape;
mod transcode;

pub mod cli;

use std::{path::PathBuf, time::Duration};

use anyhow::Context;

use crate::cli::Bench;

pub async fn run(which: Bench) -> anyhow::Result<()> {
    match which {
        Bench::Download { rate, seconds, size_mib, runs } => download::run(&rate, seconds, size_mib, runs).await,
        Bench::Bandwidth { cap, seconds } => bandwidth::run(&cap, seconds).await,
        Bench::Transcode { seconds, runs, height } => transcode::run(seconds, runs, &height).await,
        Bench::Queue { backlog, concurrency, min_batch, small_backlog, split } => {
            queue::run(backlog, &concurrency, min_batch, small_backlog, split).await
        }
        Bench::Idle { workers, seconds } => idle::run(workers, seconds).await,
        Bench::Placement { hosts } => placement::run(&hosts).await,
        Bench::Scrape { hosts } => scrape::run(&hosts).await,
        Bench::Cache { videos, decisions, postgres, files } => cache::run(&videos, decisions, &postgres, files).await,
        Bench::Agents { first, count, root } => agents::run(first, count, &root).await,
        Bench::Fleet { nodes, idle_seconds, bookings, videos, postgres, pgbouncer_user, agents_per_process } => {
            let options = fleet::FleetOptions {
                binary: vteacher_beside_me()?,
                nodes,
                idle: Duration::from_secs(idle_seconds),
                bookings,
                videos,
                postgres,
                pgbouncer_user,
                agents_per_process,
            };
            println!("vteacher-bench fleet: {nodes} nodes, {bookings} bookings over {videos} videos");
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

/// The `vteacher` binary the fleet runs: the one built beside this benchmark
/// (`cargo build --release -p workers -p vteacher-bench`).
fn vteacher_beside_me() -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe().context("where vteacher-bench is")?;
    let vteacher = me.with_file_name("vteacher");
    anyhow::ensure!(
        vteacher.is_file(),
        "{} is not built: cargo build --release -p workers (the fleet runs the product binary)",
        vteacher.display()
    );
    Ok(vteacher)
}
