//! Which push host takes a video (docs/design/placement.md): a live node that holds it or has
//! it on the way; else rendezvous hashing of the video's path over the live nodes with room,
//! bounded load: the first node in the video's own order that holds fewer than
//! `LOAD_FACTOR_PERCENT` % of the mean number of videos (counting this one), else the least
//! loaded. The same video meets the same node, and no node takes much more than its share.
//!
//! With Redis the choice and its record are one script (`place.lua`, in `redis`): placing
//! reads a sample of `SAMPLE` nodes, never the whole fleet, and two booking processes placing
//! at once see each other's placements. `choose` is its pure twin, used on one machine
//! without Redis (every node a candidate) and to test the rule.

pub(super) mod db;
pub(super) mod redis;

use std::time::Duration;

use sha1::{Digest, Sha1};

use super::is_live;
use crate::domain::{NodeId, NodeStatus};

/// How many nodes one placement looks at (all of them in a smaller fleet).
pub const SAMPLE: usize = 16;
/// A node takes a new video while it holds fewer than this share of the mean (%).
pub const LOAD_FACTOR_PERCENT: u64 = 125;

/// A node as placement sees it: its last status and how many videos are placed on it (held,
/// or on their way).
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub status: &'a NodeStatus,
    pub load: u64,
}

/// A video's weight on a node, for rendezvous hashing: 48 bits of SHA-1 of `path@node` (the
/// same as `place.lua`'s).
pub fn weight(path: &str, node: &str) -> u64 {
    let digest = Sha1::digest(format!("{path}@{node}").as_bytes());
    digest[..6].iter().fold(0, |acc, byte| (acc << 8) | u64::from(*byte))
}

/// The most videos a node may hold and still take one more: the load factor times the mean,
/// counting the video being placed.
pub fn bound(total: u64, nodes: u64) -> u64 {
    (LOAD_FACTOR_PERCENT * (total + 1)).div_ceil(100 * nodes.max(1))
}

/// The pure choice for the video at `path`: `holders` hold it or have it on the way (as the
/// database says), `candidates` are the nodes with their loads.
pub fn choose(
    path: &str,
    holders: &[NodeId],
    candidates: &[Candidate<'_>],
    live_for: Duration,
    now: i64,
) -> Option<NodeId> {
    let live: Vec<&Candidate<'_>> = candidates.iter().filter(|c| is_live(c.status, live_for, now)).collect();
    if let Some(holder) = live.iter().find(|c| holders.contains(&c.status.node)) {
        return Some(holder.status.node.clone());
    }
    let total = live.iter().map(|c| c.load).sum();
    let bound = bound(total, live.len() as u64);
    let mut eligible: Vec<(u64, &Candidate<'_>)> = live
        .iter()
        .filter(|c| c.status.placeable_bytes() > 0)
        .map(|c| (weight(path, c.status.node.as_str()), *c))
        .collect();
    eligible.sort_by(|(wa, a), (wb, b)| wb.cmp(wa).then_with(|| a.status.node.cmp(&b.status.node)));
    let below = eligible.iter().find(|(_, c)| c.load < bound);
    let least = || eligible.iter().min_by_key(|(_, c)| c.load);
    below.or_else(least).map(|(_, c)| c.status.node.clone())
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod redis_tests;
