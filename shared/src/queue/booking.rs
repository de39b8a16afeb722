//! `booking`: decides what a booking needs (DESIGN.md "Booking decision") and sends it on.

use sea_orm::ActiveValue::Set;
use serde::{Deserialize, Serialize};

use super::{Job, JobError, download::DownloadJob, notify::NotifyJob};
use crate::{
    app::App,
    booking::{Decision, decide, store},
    domain::{Booking, BookingState, ClassId, NodeId, VideoKey},
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
        let key = VideoKey {
            record_id: booking.record_id,
            resolution: booking.video_resolution,
            org_id: booking.org_id.clone(),
        };
        match decide(&booking) {
            Decision::Download { url } => {
                let node = match &booking.node {
                    Some(node) => node.clone(),
                    None => place(app, &row.node, &key).await?,
                };
                store::transition(conn, &self.class_id, &[BookingState::Queued], |r| {
                    r.source_url = Set(Some(url.to_string()));
                    r.node = Set(Some(node.to_string()));
                })
                .await?;
                tracing::info!(record_id = %booking.record_id, node = %node, %url, "normal booking: download");
                app.queues
                    .enqueue(
                        DownloadJob {
                            class_id: self.class_id.clone(),
                        },
                        Some(&node),
                    )
                    .await?;
            }
            Decision::WaitTranscode { resolution } => {
                let reason = format!(
                    "{resolution} is not in video_url_list: waiting for the {resolution} transcode of record {}",
                    booking.record_id
                );
                store::transition(conn, &self.class_id, &[BookingState::Queued], |r| {
                    r.state = Set(BookingState::WaitingTranscode);
                    r.reason = Set(Some(reason));
                })
                .await?;
                tracing::info!(record_id = %booking.record_id, %resolution, "booking waits for a transcode");
            }
        }
        Ok(())
    }

    async fn give_up(&self, app: &App, error: &JobError) -> Result<(), JobError> {
        fail_and_notify(app, &self.class_id, error.reason()).await
    }
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
pub(super) async fn fail_and_notify(
    app: &App,
    class_id: &ClassId,
    reason: &str,
) -> Result<(), JobError> {
    if store::fail(&app.db.conn, class_id, reason).await? {
        tracing::warn!(%class_id, reason, "booking failed");
    }
    // Queued even when an earlier delivery failed it: that one may have died before this line.
    app.queues
        .enqueue(
            NotifyJob {
                class_id: class_id.clone(),
            },
            None,
        )
        .await?;
    Ok(())
}
