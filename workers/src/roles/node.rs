//! A push host's own timers, beside its queues: the heartbeat (its status in the directory,
//! every `NODE_HEARTBEAT`), the start-up scan of `VIDEO_ROOT` (in the background: bookings are
//! not held back) followed by a full report of its holdings, repeated every hour, and the cache
//! manager's pass to the low-water mark every `SWEEP_INTERVAL`.
//!
//! None of it starts before the disk is checked (`node_disk`): a `VIDEO_ROOT` whose disk is not
//! mounted raises an alarm naming the path, and the host then neither beats (it is not live),
//! scans, nor takes a job from its queues until the disk is back (looked at every heartbeat).

use std::time::Duration;

use anyhow::Context;
use shared::{
    NodeApp,
    domain::{Effect, NodeReport},
    jobs,
    node::{cache, disk::Disk, jitter, status},
};
use tokio::task::JoinSet;

use super::node_disk::{self, tick};
use vteacher_queue::Workers;

/// The holdings are reported in full this often (on average: `node::jitter`), so a lost report
/// is repaired.
const HOLDINGS_EVERY: Duration = Duration::from_secs(3600);

/// Checks the disk; on the disk it expects, registers the node (one heartbeat, so the first
/// booking can be placed here) and starts its timers and its queues' `workers`. Without its
/// disk, waits for it in the background first.
pub(super) async fn start(
    node: &NodeApp,
    workers: Workers,
    drain: Duration,
    parts: &mut JoinSet<anyhow::Result<()>>,
) -> anyhow::Result<()> {
    let found = node_disk::check(node).await?;
    if !matches!(found, Disk::NotMounted { .. }) {
        status::beat(node, &node.gauges).await.map_err(anyhow::Error::msg).context("registering this node")?;
    }
    parts.spawn(run(node.clone(), found, workers, drain));
    Ok(())
}

/// The node's parts, once its disk is there; ends with the first of them.
async fn run(node: NodeApp, found: Disk, workers: Workers, drain: Duration) -> anyhow::Result<()> {
    if let Disk::NotMounted { indexed } = found {
        if !node_disk::wait_until_mounted(&node, indexed).await? {
            return Ok(());
        }
        status::beat(&node, &node.gauges).await.map_err(anyhow::Error::msg).context("registering this node")?;
    }
    node_disk::ask_for_references(&node).await;
    let mut parts = JoinSet::new();
    parts.spawn(heartbeat(node.clone()));
    parts.spawn(scan_then_report(node.clone()));
    parts.spawn(cache_manager(node.clone()));
    if !workers.is_empty() {
        parts.spawn(async move { workers.run(drain).await.map_err(anyhow::Error::from) });
    }
    let first = parts.join_next().await;
    let by_itself = !node.shutdown.is_cancelled();
    node.shutdown.cancel();
    while parts.join_next().await.is_some() {}
    let first = first.map_or(Ok(()), |joined| joined.map_err(anyhow::Error::from).and_then(|r| r));
    match first {
        Ok(()) if by_itself => Err(anyhow::anyhow!("a part of the push host stopped by itself")),
        other => other,
    }
}

async fn heartbeat(node: NodeApp) -> anyhow::Result<()> {
    while tick(&node, jitter::heartbeat_wait(node.settings.node_heartbeat.0)).await {
        if let Err(err) = status::beat(&node, &node.gauges).await {
            tracing::warn!(node = %node.id(), %err, "node heartbeat failed");
        }
    }
    Ok(())
}

async fn scan_then_report(node: NodeApp) -> anyhow::Result<()> {
    // Run by hand on a terminal, the scan shows a spinner; under a supervisor, its log line.
    match super::node_commands::scan_showing_progress(&node).await {
        Ok(scanned) => {
            node.gauges.unknown_files.store(scanned.unknown.len() as u64, std::sync::atomic::Ordering::Relaxed);
            let mut effects = Vec::new();
            if !scanned.gone.is_empty() {
                effects.push(Effect::Report(NodeReport::Evicted {
                    node: node.settings.node_id.clone(),
                    keys: scanned.gone,
                }));
            }
            let me = node.settings.node_id.clone();
            effects.extend(scanned.redownload.into_iter().map(|order| Effect::Download { node: me.clone(), order }));
            send(&node, effects, "the start-up scan's findings").await;
        }
        Err(err) => tracing::error!(node = %node.id(), %err, "start-up scan failed; the index is trusted as it is"),
    }
    loop {
        match cache::holdings::full_report(&node).await {
            Ok(reports) => send(&node, reports.into_iter().map(Effect::Report).collect(), "the holdings report").await,
            Err(err) => tracing::warn!(node = %node.id(), %err, "could not read the holdings to report"),
        }
        if !tick(&node, jitter::holdings_wait(HOLDINGS_EVERY)).await {
            return Ok(());
        }
    }
}

async fn cache_manager(node: NodeApp) -> anyhow::Result<()> {
    while tick(&node, node.settings.sweep_interval.0).await {
        match cache::manager::pass(&node).await {
            Ok(evicted) if evicted.is_empty() => {}
            Ok(evicted) => send(&node, vec![Effect::Report(jobs::evicted(&node, &evicted))], "evictions").await,
            Err(err) => tracing::warn!(node = %node.id(), %err, "cache manager pass failed"),
        }
    }
    Ok(())
}

/// Sends effects on; a failure is logged (the next report or pass repairs it).
async fn send(node: &NodeApp, effects: Vec<Effect>, what: &str) {
    if let Err(err) = jobs::apply_node(node, effects).await {
        tracing::warn!(node = %node.id(), %err, what, "could not send to the central side; a later report repairs it");
    }
}
