//! `download:<node>`: puts a booking's video on this push host's disk, then marks it ready.

use sea_orm::ActiveValue::Set;
use serde::{Deserialize, Serialize};
use tracing::Instrument;

use super::{apply, booking::fail_and_notify};
use crate::{
    app::App,
    booking::{BookingError, dispatch, store},
    config::Settings,
    db::bookings,
    domain::{BookingState, ClassId, Effect},
    node::{self, Fetched, cache},
    queue::{Job, JobError, QueueKind},
};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DownloadJob {
    pub class_id: ClassId,
}

impl Job for DownloadJob {
    const QUEUE: &'static str = "download";
    const KIND: QueueKind = QueueKind::PerNode;
    type Context = App;

    fn concurrency(settings: &Settings) -> usize {
        settings.download_concurrency
    }

    fn span(&self) -> tracing::Span {
        tracing::info_span!("download", class_id = %self.class_id)
    }

    async fn run(&self, app: &App) -> Result<(), JobError> {
        let notify = || apply(app, vec![Effect::Notify(self.class_id.clone())]);
        let Some(row) = store::find(&app.db.conn, self.class_id.as_str()).await? else {
            return Err(BookingError::NotFound.into());
        };
        match row.state {
            BookingState::Queued | BookingState::Downloading => {}
            // Ready before: an earlier delivery may have died before queueing the result.
            BookingState::Ready => return Ok(notify().await?),
            BookingState::Failed | BookingState::WaitingTranscode => return Ok(()),
        }
        let span = tracing::info_span!("video", record_id = row.record_id,
            resolution = row.resolution.as_deref().unwrap_or("legacy"), node = %app.settings.node_id);
        put_on_disk(app, &self.class_id, &row).instrument(span).await?;
        Ok(notify().await?)
    }

    async fn give_up(&self, app: &App, error: &JobError) -> Result<(), JobError> {
        fail_and_notify(app, &self.class_id, error.reason()).await
    }
}

/// Downloads the booking's video onto this node (or finds it there) and marks it ready.
async fn put_on_disk(app: &App, class_id: &ClassId, row: &bookings::Model) -> Result<(), JobError> {
    let node = &app.settings.node_id;
    if row.node.as_deref() != Some(node.as_str()) {
        return Err(JobError::abort(format!("booked onto node {:?}, not {node}", row.node)));
    }
    let (url, key) = dispatch::target(row)?;
    let path = key.path_under(&app.settings.video_root);
    store::transition(&app.db.conn, class_id, &[BookingState::Queued], |r| r.state = Set(BookingState::Downloading))
        .await?;
    let fetched = node::fetch_video(app, &url, &path).await?;
    match fetched {
        Fetched::CacheHit { bytes } => tracing::info!(path = %path.display(), bytes, "cache hit: no download"),
        Fetched::Downloaded(d) => {
            tracing::info!(path = %path.display(), bytes = d.bytes, resumed_from = d.resumed_from, "downloaded")
        }
    }
    cache::attach(&app.db, row, &key, node, &path, fetched.bytes()).await?;
    Ok(())
}
