//! `download:<node>`: puts a booking's video on this push host's disk, then marks it ready.

use sea_orm::ActiveValue::Set;
use serde::{Deserialize, Serialize};
use tracing::Instrument;

use super::{Job, JobError, QueueKind, booking::fail_and_notify, notify::NotifyJob};
use crate::{
    app::App,
    booking::store,
    db::bookings,
    domain::{BookingState, ClassId, SourceUrl, VideoKey},
    node::{self, DownloadError, Fetched, cache},
};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DownloadJob {
    pub class_id: ClassId,
}

impl Job for DownloadJob {
    const QUEUE: &'static str = "download";
    const KIND: QueueKind = QueueKind::PerNode;

    fn span(&self) -> tracing::Span {
        tracing::info_span!("download", class_id = %self.class_id)
    }

    async fn run(&self, app: &App) -> Result<(), JobError> {
        let Some(row) = store::find(&app.db.conn, self.class_id.as_str()).await? else {
            return Err(JobError::abort("no such booking"));
        };
        match row.state {
            BookingState::Queued | BookingState::Downloading => {}
            // Ready before: an earlier delivery may have died before queueing the result.
            BookingState::Ready => {
                return Ok(app.queues.enqueue(NotifyJob { class_id: self.class_id.clone() }, None).await?);
            }
            BookingState::Failed | BookingState::WaitingTranscode => return Ok(()),
        }
        let span = tracing::info_span!("video", record_id = row.record_id,
            resolution = row.resolution.as_deref().unwrap_or("legacy"), node = %app.settings.node_id);
        put_on_disk(app, &row).instrument(span).await?;
        app.queues.enqueue(NotifyJob { class_id: self.class_id.clone() }, None).await?;
        Ok(())
    }

    async fn give_up(&self, app: &App, error: &JobError) -> Result<(), JobError> {
        fail_and_notify(app, &self.class_id, error.reason()).await
    }
}

/// Downloads the booking's video onto this node (or finds it there) and marks it ready.
async fn put_on_disk(app: &App, row: &bookings::Model) -> Result<(), JobError> {
    let node = &app.settings.node_id;
    if row.node.as_deref() != Some(node.as_str()) {
        return Err(JobError::abort(format!("booked onto node {:?}, not {node}", row.node)));
    }
    let class_id: ClassId = row.class_id.parse().map_err(|e| JobError::abort(format!("class_id: {e}")))?;
    let (url, key) = target(row)?;
    let path = key.path_under(&app.settings.video_root);
    store::transition(&app.db.conn, &class_id, &[BookingState::Queued], |r| r.state = Set(BookingState::Downloading))
        .await?;
    let fetched = node::fetch_video(app, &url, &path).await.map_err(classify)?;
    match fetched {
        Fetched::CacheHit { bytes } => tracing::info!(path = %path.display(), bytes, "cache hit: no download"),
        Fetched::Downloaded(d) => {
            tracing::info!(path = %path.display(), bytes = d.bytes, resumed_from = d.resumed_from, "downloaded")
        }
    }
    cache::attach(&app.db, row, &key, node, &path, fetched.bytes()).await?;
    Ok(())
}

/// What to download and where it goes, from the booking row.
fn target(row: &bookings::Model) -> Result<(SourceUrl, VideoKey), JobError> {
    let bad = |what: &str, e: &dyn std::fmt::Display| JobError::abort(format!("stored booking has a bad {what}: {e}"));
    let url: SourceUrl = row
        .source_url
        .as_deref()
        .ok_or_else(|| JobError::abort("booking has no source URL"))?
        .parse()
        .map_err(|e| bad("source_url", &e))?;
    let key = VideoKey {
        record_id: crate::domain::RecordId::new(row.record_id).map_err(|e| bad("record_id", &e))?,
        resolution: row.resolution.as_deref().map(str::parse).transpose().map_err(|e| bad("resolution", &e))?,
        org_id: row.org_id.as_deref().map(str::parse).transpose().map_err(|e| bad("org_id", &e))?,
    };
    Ok((url, key))
}

fn classify(error: DownloadError) -> JobError {
    match error {
        DownloadError::Cancelled => JobError::Interrupted,
        e if e.is_retryable() => JobError::retry(e),
        e => JobError::abort(e),
    }
}
