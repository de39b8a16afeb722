//! What a push host's code may use: settings, its own cache index, an HTTP client, the node
//! directory it publishes to, and the shutdown signal. Never the central database, and no
//! queues: node code returns effects (reports) that the job layer sends on.

use tokio_util::sync::CancellationToken;

use super::cache::{evict::Limits, reserve::Room};
use crate::{config::Settings, db::Database, directory::Directory, domain::NodeId};

pub struct NodeServices {
    pub settings: Settings,
    /// The cache index (`NODE_DATABASE_URL`).
    pub cache: Database,
    /// For endpoints the operator configured (the alarm webhook).
    pub http: reqwest::Client,
    /// For sources: what a download order names (`tools::egress` decides what it may reach).
    pub sources: crate::tools::http::SourceClient,
    pub directory: Directory,
    pub shutdown: CancellationToken,
    /// Unix ms when this process started.
    pub started_at: i64,
    /// Counts published with each heartbeat.
    pub gauges: super::gauges::Gauges,
    /// `NODE_BANDWIDTH`, shared by this process's downloads.
    pub bandwidth: super::bandwidth::Bandwidth,
}

impl NodeServices {
    pub fn id(&self) -> &NodeId {
        &self.settings.node_id
    }

    pub fn limits(&self) -> Limits {
        Limits {
            max_bytes: self.settings.max_video_size.bytes(),
            max_count: self.settings.max_video_num,
            min_free_bytes: self.settings.min_free_disk.bytes(),
        }
    }

    /// The cache as eviction sees it.
    pub fn room(&self) -> Room<'_> {
        Room { db: &self.cache, node: self.id(), root: &self.settings.video_root, limits: self.limits() }
    }
}
