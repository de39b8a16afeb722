//! Sending a decided booking to a push host: the node the booking names, else the one an
//! earlier delivery chose (its download may be queued there), else placement. The choice is
//! recorded on the booking; the download is the effect it leaves.

use sea_orm::ActiveValue::Set;

use super::{BookingError, store};
use crate::{
    db::{Database, bookings},
    domain::{Booking, BookingState, ClassId, Effect, NodeId, RecordId, SourceUrl, VideoKey},
    node::placement,
};

/// A booking waiting for its decision, as stored.
#[derive(Debug)]
pub struct Pending {
    pub booking: Booking,
    /// The node an earlier delivery chose.
    chosen: Option<NodeId>,
    /// Released by its transcode (or placed by an earlier delivery).
    released: Option<SourceUrl>,
}

impl Pending {
    /// The URL known without a transcode decision: released, or listed in the booking.
    pub fn known_url(&self) -> Option<SourceUrl> {
        self.released.clone().or_else(|| self.booking.ready_url().cloned())
    }
}

/// The booking of `class_id` if it still waits for its decision; `None` when it was decided
/// before (this is a repeated delivery).
pub async fn pending(db: &Database, class_id: &ClassId) -> Result<Option<Pending>, BookingError> {
    let row = store::find(&db.conn, class_id.as_str()).await?.ok_or(BookingError::NotFound)?;
    if row.state != BookingState::Queued {
        return Ok(None);
    }
    let booking = Booking::from_value(row.message.clone()).map_err(|e| BookingError::invalid("message", e))?;
    let released = row.source_url.as_deref().map(str::parse::<SourceUrl>).transpose();
    let released = released.map_err(|e| BookingError::invalid("source_url", e))?;
    let chosen = row.node.as_deref().and_then(|n| n.parse().ok());
    Ok(Some(Pending { booking, chosen, released }))
}

/// Places the booking on a push host and records it there; returns the download to queue.
pub async fn to_node(db: &Database, pending: &Pending, url: SourceUrl) -> Result<Effect, BookingError> {
    let booking = &pending.booking;
    let key =
        VideoKey { record_id: booking.record_id, resolution: booking.video_resolution, org_id: booking.org_id.clone() };
    let node = match booking.node.clone().or_else(|| pending.chosen.clone()) {
        Some(node) => node,
        None => placement::place(&db.conn, &key).await?.ok_or(BookingError::NoLiveNode)?,
    };
    store::transition(&db.conn, &booking.class_id, &[BookingState::Queued], |r| {
        r.source_url = Set(Some(url.to_string()));
        r.node = Set(Some(node.to_string()));
    })
    .await?;
    tracing::info!(record_id = %booking.record_id, node = %node, %url, "normal booking: download");
    Ok(Effect::Download { class_id: booking.class_id.clone(), node })
}

/// What a dispatched booking downloads and where it goes, from its row.
pub fn target(row: &bookings::Model) -> Result<(SourceUrl, VideoKey), BookingError> {
    let url = row.source_url.as_deref().ok_or_else(|| BookingError::invalid("source_url", "none"))?;
    let url: SourceUrl = url.parse().map_err(|e| BookingError::invalid("source_url", e))?;
    let key = VideoKey {
        record_id: RecordId::new(row.record_id).map_err(|e| BookingError::invalid("record_id", e))?,
        resolution: row
            .resolution
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|e| BookingError::invalid("resolution", e))?,
        org_id: row.org_id.as_deref().map(str::parse).transpose().map_err(|e| BookingError::invalid("org_id", e))?,
    };
    Ok((url, key))
}
