//! `booking`: decides what a booking needs (DESIGN.md "Booking decision") and sends it on.

use sea_orm::ActiveValue::Set;
use serde::{Deserialize, Serialize};

use super::{Job, JobError, download::DownloadJob, notify::NotifyJob};
use crate::{
    app::App,
    booking::{apply::on_transcode, store},
    domain::{Booking, BookingState, ClassId, NodeId, SourceUrl, VideoKey},
    node::placement,
};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BookingJob {
    pub class_id: ClassId,
}

impl Job for BookingJob {
    const QUEUE: &'static str = "booking";

    fn span(&self) -> tracing::Span {
        tracing::info_span!("booking", class_id = %self.class_id)
    }

    async fn run(&self, app: &App) -> Result<(), JobError> {
        let conn = &app.db.conn;
        let Some(row) = store::find(conn, self.class_id.as_str()).await? else {
            return Err(JobError::abort("no such booking"));
        };
        if row.state != BookingState::Queued {
            return Ok(()); // decided before (this is a repeated delivery)
        }
        let booking = Booking::from_value(row.message.clone())
            .map_err(|e| JobError::abort(format!("stored booking message is invalid: {e}")))?;
        // Released by its transcode (or placed by an earlier delivery): the URL is known.
        let released = row.source_url.as_deref().map(str::parse::<SourceUrl>).transpose();
        let released = released.map_err(|e| JobError::abort(format!("stored source_url is invalid: {e}")))?;
        let url = match released.or_else(|| booking.ready_url().cloned()) {
            Some(url) => url,
            None => match on_transcode(app, &booking).await? {
                Some(url) => url,
                None => return Ok(()), // waits for its transcode, or failed
            },
        };
        send_to_node(app, &row.node, &booking, url).await
    }

    async fn give_up(&self, app: &App, error: &JobError) -> Result<(), JobError> {
        fail_and_notify(app, &self.class_id, error.reason()).await
    }
}

/// Places the booking on a push host and queues the download there.
async fn send_to_node(app: &App, chosen: &Option<String>, booking: &Booking, url: SourceUrl) -> Result<(), JobError> {
    let key =
        VideoKey { record_id: booking.record_id, resolution: booking.video_resolution, org_id: booking.org_id.clone() };
    let node = match &booking.node {
        Some(node) => node.clone(),
        None => place(app, chosen, &key).await?,
    };
    store::transition(&app.db.conn, &booking.class_id, &[BookingState::Queued], |r| {
        r.source_url = Set(Some(url.to_string()));
        r.node = Set(Some(node.to_string()));
    })
    .await?;
    tracing::info!(record_id = %booking.record_id, node = %node, %url, "normal booking: download");
    let job = DownloadJob { class_id: booking.class_id.clone() };
    app.queues.enqueue(job, Some(&node)).await?;
    Ok(())
}

/// Keeps the node chosen by an earlier delivery (its download job may be queued there).
async fn place(app: &App, chosen: &Option<String>, key: &VideoKey) -> Result<NodeId, JobError> {
    if let Some(node) = chosen.as_deref().and_then(|n| n.parse().ok()) {
        return Ok(node);
    }
    placement::place(&app.db.conn, key)
        .await?
        .ok_or_else(|| JobError::retry("no live push host (no node heartbeat in the last 45 s)"))
}

/// Fails a booking that has not settled and queues its failure result.
pub(super) async fn fail_and_notify(app: &App, class_id: &ClassId, reason: &str) -> Result<(), JobError> {
    if store::fail(&app.db.conn, class_id, reason).await? {
        tracing::warn!(%class_id, reason, "booking failed");
    }
    // Queued even when an earlier delivery failed it: that one may have died before this line.
    app.queues.enqueue(NotifyJob { class_id: class_id.clone() }, None).await?;
    Ok(())
}
