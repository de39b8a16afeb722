//! `download:<node>`: puts a class's video on this push host's disk (a cache hit, or one
//! download for every class that wants it), then reports it ready to the central side. The
//! job carries all it needs: a node never reads the central database.

use super::apply_node;
use super::payloads::DownloadJob;
use crate::{
    db::DbError,
    domain::{ClassId, DownloadProgress, Effect, Holding, NodeReport, RetryStatus, VideoKey},
    node::cache::{
        fetch::{Put, forget_pending, put_on_disk},
        finish::Delivery,
        reserve::Evicted,
    },
    node_app::NodeApp,
};
use vteacher_queue::{Job, JobError, QueueKind, RetryNotice};

impl Job for DownloadJob {
    const QUEUE: &'static str = "download";
    const KIND: QueueKind = QueueKind::PerNode;
    type Context = NodeApp;

    fn unique_key(&self) -> Option<String> {
        Some(self.0.class_id.to_string())
    }

    fn span(&self) -> tracing::Span {
        let key = &self.0.key;
        tracing::info_span!("download", class_id = %self.0.class_id, record_id = %key.record_id,
            resolution = key.resolution.map_or("legacy".to_owned(), |r| r.to_string()))
    }

    async fn run(&self, node: &NodeApp) -> Result<(), JobError> {
        // Heard of at once, not at its first progress report: the sweeper sends again only an
        // order no run has taken (`booking::sweep::lost_downloads`).
        touch_progress(node, &self.0.class_id, None).await;
        let put = put_on_disk(node, &self.0).await?;
        let effects = reports(node, &put);
        if put.delivery == Delivery::Cancelled {
            tracing::info!(node = %node.id(), "class ended before its video was ready: nothing more to do");
        }
        Ok(apply_node(node, effects).await?)
    }

    /// The booking's status shows the attempt, the error and when the next is due.
    async fn on_retry(&self, node: &NodeApp, notice: &RetryNotice) {
        touch_progress(node, &self.0.class_id, Some(RetryStatus::from(notice))).await;
    }

    async fn give_up(&self, node: &NodeApp, error: &JobError) -> Result<(), JobError> {
        forget_pending(node, &self.0.class_id).await.map_err(DbError::from)?;
        let failed = NodeReport::Failed {
            node: node.settings.node_id.clone(),
            class_id: self.0.class_id.clone(),
            reason: error.reason().to_owned(),
        };
        Ok(apply_node(node, vec![Effect::Report(failed)]).await?)
    }
}

/// Publishes the class's last progress again, now, with `retry` (the next attempt, if one is
/// scheduled).
async fn touch_progress(node: &NodeApp, class_id: &ClassId, retry: Option<RetryStatus>) {
    let last = node.directory.progress(class_id).await;
    let progress = DownloadProgress {
        node: node.settings.node_id.clone(),
        bytes: last.as_ref().map_or(0, |p| p.bytes),
        total: last.as_ref().map_or(0, |p| p.total),
        rate: 0,
        expected_ready_at: None,
        at_risk: last.as_ref().is_some_and(|p| p.at_risk),
        updated_at: crate::db::now_ms(),
        retry,
    };
    node.directory.set_progress(class_id, &progress).await;
}

/// What the central side must hear: the classes now ready, the videos deleted on the way.
pub(super) fn reports(node: &NodeApp, put: &Put) -> Vec<Effect> {
    let me = node.settings.node_id.clone();
    let mut effects = Vec::new();
    if !put.evicted.is_empty() {
        effects.push(Effect::Report(evicted(node, &put.evicted)));
    }
    if let Delivery::Ready { classes, path, bytes, downloaded } = &put.delivery {
        if let Some(d) = downloaded {
            tracing::info!(path, bytes, resumed_from = d.resumed_from, "downloaded");
        } else {
            tracing::info!(path, bytes, "cache hit: no download");
        }
        let Some(key) = VideoKey::from_relative_path(path) else { return effects };
        let video_path = node.settings.video_root.join(path).display().to_string();
        let ready =
            NodeReport::Ready { node: me, classes: classes.clone(), video_path, video: Holding { key, bytes: *bytes } };
        if !classes.is_empty() {
            effects.push(Effect::Report(ready));
        }
    }
    effects
}

/// The report of videos this node deleted.
pub fn evicted(node: &NodeApp, evicted: &[Evicted]) -> NodeReport {
    let keys = evicted.iter().filter_map(|e| VideoKey::from_relative_path(&e.path)).collect();
    NodeReport::Evicted { node: node.settings.node_id.clone(), keys }
}
