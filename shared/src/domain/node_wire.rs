//! What travels between the central side and a push host, which share no database: the order
//! a download job carries, the reports a node sends back (applied by the booking workers), and
//! the status and progress a node publishes. Serde types: these are wire formats.

use serde::{Deserialize, Serialize};

use super::{ClassId, NodeId, SourceUrl, VideoKey};

/// Everything a node needs to put a class's video on its disk: its download job carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadOrder {
    pub class_id: ClassId,
    pub url: SourceUrl,
    pub key: VideoKey,
    /// Unix seconds: the class that starts soonest downloads first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_start_at: Option<i64>,
}

/// A video a node holds, as placement needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holding {
    pub key: VideoKey,
    pub bytes: u64,
}

/// What a node tells the central side (the `node-report` queue).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "report", rename_all = "snake_case")]
pub enum NodeReport {
    /// The classes' video is on the node's disk at `video_path`.
    Ready { node: NodeId, classes: Vec<ClassId>, video_path: String, video: Holding },
    /// The class's video could not be put on the node; `reason` says why.
    Failed { node: NodeId, class_id: ClassId, reason: String },
    /// One chunk of a full report of the node's holdings; the chunk with `last` ends the
    /// generation, dropping what the node no longer reported.
    Holdings { node: NodeId, generation: i64, videos: Vec<Holding>, last: bool },
    /// Videos the node deleted (evicted, or found missing by its scan).
    Evicted { node: NodeId, keys: Vec<VideoKey> },
    /// The node let the class's reference go (its class end is done): the central side stops
    /// sending it.
    Ended { node: NodeId, class_id: ClassId },
    /// The node's index was lost and rebuilt from its disk: it asks for its references (the
    /// orders of the bookings placed on it that have not ended).
    IndexRebuilt { node: NodeId },
}

impl NodeReport {
    pub fn node(&self) -> &NodeId {
        match self {
            Self::Ready { node, .. }
            | Self::Failed { node, .. }
            | Self::Holdings { node, .. }
            | Self::Evicted { node, .. }
            | Self::Ended { node, .. }
            | Self::IndexRebuilt { node } => node,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Ready { .. } => "ready",
            Self::Failed { .. } => "failed",
            Self::Holdings { .. } => "holdings",
            Self::Evicted { .. } => "evicted",
            Self::Ended { .. } => "ended",
            Self::IndexRebuilt { .. } => "index_rebuilt",
        }
    }
}

/// A node's liveness and totals, written every `NODE_HEARTBEAT` (placement and
/// `GET /api/nodes` read it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NodeStatus {
    pub node: NodeId,
    pub video_root: String,
    /// Unix ms of this report.
    pub seen_at: i64,
    pub started_at: i64,
    pub max_video_size_bytes: u64,
    pub max_video_num: u64,
    pub min_free_disk_bytes: u64,
    pub used_bytes: u64,
    pub video_count: u64,
    pub reserved_bytes: u64,
    pub reserved_count: u64,
    pub referenced_bytes: u64,
    pub free_disk_bytes: u64,
    pub evictions: u64,
    pub downloads_active: u64,
    pub downloads_at_risk: u64,
    /// Files under `VIDEO_ROOT` the last scan could not place in any layout (never deleted).
    pub unknown_files: u64,
    /// Bytes fetched by this process's finished downloads, and the milliseconds they took
    /// (so the achieved rate is their quotient). Absent in an older node's status: 0.
    #[serde(default)]
    pub downloaded_bytes: u64,
    #[serde(default)]
    pub download_millis: u64,
    pub dir_info: Vec<DirInfo>,
}

impl NodeStatus {
    /// A push host that holds nothing and has done nothing yet, seen at `seen_at` (unix ms),
    /// with a cache of `max_video_size_bytes` on a disk with `free_disk_bytes` free: every count
    /// zero. What tests and benches start from.
    pub fn empty(node: NodeId, seen_at: i64, max_video_size_bytes: u64, free_disk_bytes: u64) -> Self {
        Self {
            node,
            video_root: "/videos".into(),
            seen_at,
            started_at: seen_at,
            max_video_size_bytes,
            max_video_num: 10_000,
            min_free_disk_bytes: 0,
            used_bytes: 0,
            video_count: 0,
            reserved_bytes: 0,
            reserved_count: 0,
            referenced_bytes: 0,
            free_disk_bytes,
            evictions: 0,
            downloads_active: 0,
            downloads_at_risk: 0,
            unknown_files: 0,
            downloaded_bytes: 0,
            download_millis: 0,
            dir_info: vec![],
        }
    }

    /// Room for one more video of unknown size: what the cache limit and the disk both allow.
    pub fn room_bytes(&self) -> u64 {
        let cache = self.max_video_size_bytes.saturating_sub(self.used_bytes + self.reserved_bytes);
        let disk = self.free_disk_bytes.saturating_sub(self.min_free_disk_bytes + self.reserved_bytes);
        cache.min(disk)
    }

    /// Room for one more video once eviction has taken back what no class references:
    /// whether placement may send it a new video (a full cache of old lessons still may).
    pub fn placeable_bytes(&self) -> u64 {
        let held = self.referenced_bytes + self.reserved_bytes;
        let cache = self.max_video_size_bytes.saturating_sub(held);
        let disk = self
            .free_disk_bytes
            .saturating_add(self.evictable_bytes())
            .saturating_sub(self.min_free_disk_bytes + self.reserved_bytes);
        cache.min(disk)
    }

    /// Bytes that eviction may take back: videos no class references.
    pub fn evictable_bytes(&self) -> u64 {
        self.used_bytes.saturating_sub(self.referenced_bytes)
    }
}

/// The original's `DIR_INFO`: one top-level directory of `VIDEO_ROOT`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DirInfo {
    pub dir: String,
    pub size_bytes: u64,
    pub video_count: u64,
}

/// How far a booking's download has got, as its node last reported it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DownloadProgress {
    pub node: NodeId,
    pub bytes: u64,
    pub total: u64,
    /// Bytes per second over the last few seconds.
    pub rate: u64,
    /// Unix ms when the download should finish at that rate.
    pub expected_ready_at: Option<i64>,
    /// It should finish after its class starts.
    pub at_risk: bool,
    pub updated_at: i64,
    /// The download failed and waits for its next attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<super::RetryStatus>,
}
