//! A push host's disk, checked before anything of the node starts (`shared::node::disk`): a
//! disk not mounted raises an alarm naming the path and is looked at again every
//! `NODE_HEARTBEAT` until it is there; a lost index holds eviction (`cache::hold`), raises an
//! alarm, and asks the central side for the node's references (`NodeReport::IndexRebuilt`,
//! answered on `references:<node>`), again at every start while the hold is on.

use std::time::Duration;

use anyhow::Context;
use shared::{
    NodeApp,
    domain::{Effect, NodeReport},
    jobs,
    node::{
        cache::hold,
        disk::{self, Disk},
    },
    tools::alarm,
};

/// Checks the disk; a lost index is held and alarmed at once, before any job is taken.
pub(super) async fn check(node: &NodeApp) -> anyhow::Result<Disk> {
    let found = disk::check(node).await.context("checking VIDEO_ROOT")?;
    if found == Disk::IndexLost {
        hold::set(&node.settings.video_root).await.context("holding eviction")?;
        let lost = match &node.index_set_aside {
            Some(aside) => format!("was corrupt (set aside as {})", aside.display()),
            None => "was missing".to_owned(),
        };
        let message = format!(
            "node {}: its cache index {lost} while VIDEO_ROOT {} holds its videos: rebuilt from the disk; its \
             references are asked of the central side, and nothing is evicted until they are back",
            node.id(),
            node.settings.video_root.display()
        );
        alarm::raise(&node.http, &node.settings, alarm::NODE_INDEX_REBUILT, &message).await;
    }
    Ok(found)
}

/// Raises the alarm, then looks again every heartbeat: `true` once the disk is mounted,
/// `false` at shutdown.
pub(super) async fn wait_until_mounted(node: &NodeApp, indexed: u64) -> anyhow::Result<bool> {
    let root = node.settings.video_root.display().to_string();
    let message = format!(
        "node {}: VIDEO_ROOT {root} has no {} marker while the index holds {indexed} video(s) none of which is \
         there: its disk looks not mounted. Nothing is downloaded and the node is not live until it is.",
        node.id(),
        disk::MARKER
    );
    alarm::raise(&node.http, &node.settings, alarm::VIDEO_ROOT_NOT_MOUNTED, &message).await;
    while tick(node, node.settings.node_heartbeat.0).await {
        match check(node).await {
            Ok(Disk::NotMounted { .. }) => continue,
            Ok(_) => {
                tracing::info!(node = %node.id(), root, "VIDEO_ROOT's disk is there: starting");
                return Ok(true);
            }
            Err(err) => tracing::warn!(node = %node.id(), err = format!("{err:#}"), "could not check VIDEO_ROOT"),
        }
    }
    Ok(false)
}

/// While eviction is held (the index was rebuilt), asks the central side for the references.
pub(super) async fn ask_for_references(node: &NodeApp) {
    if !hold::is_held(&node.settings.video_root) {
        return;
    }
    tracing::warn!(node = %node.id(), "eviction held until the central side sends this node's references");
    let ask = NodeReport::IndexRebuilt { node: node.settings.node_id.clone() };
    if let Err(err) = jobs::apply_node(node, vec![Effect::Report(ask)]).await {
        tracing::warn!(node = %node.id(), %err, "could not ask for the references; asked again at the next start");
    }
}

/// Sleeps `period`; `false` when the process is shutting down.
pub(super) async fn tick(node: &NodeApp, period: Duration) -> bool {
    tokio::select! {
        () = tokio::time::sleep(period) => true,
        () = node.shutdown.cancelled() => false,
    }
}
