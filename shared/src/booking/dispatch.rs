//! Sending a decided booking to a push host: the node the booking names, else the one an
//! earlier delivery chose (its download may be queued there), else placement over the nodes'
//! last statuses and reported holdings. The choice is a compare-and-set on the booking, so two
//! deliveries at once place it once; the download order is the effect it leaves.

use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait},
};

use super::{BookingError, store};
use crate::{
    config::Settings,
    db::{Database, bookings, node_holdings, now_ms},
    directory::Directory,
    domain::{Booking, BookingState, ClassId, DownloadOrder, Effect, NodeId, SourceUrl, VideoKey},
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
    let row = store::find(&db.conn, class_id).await?.ok_or(BookingError::NotFound)?;
    if row.state != BookingState::Queued {
        return Ok(None);
    }
    let booking = Booking::from_value(row.message.clone()).map_err(|e| BookingError::invalid("message", e))?;
    let released = row.source_url.as_deref().map(str::parse::<SourceUrl>).transpose();
    let released = released.map_err(|e| BookingError::invalid("source_url", e))?;
    let chosen = row.node.as_deref().and_then(|n| n.parse().ok());
    Ok(Some(Pending { booking, chosen, released }))
}

pub fn video_key(booking: &Booking) -> VideoKey {
    VideoKey { record_id: booking.record_id, resolution: booking.video_resolution, org_id: booking.org_id.clone() }
}

/// Places the booking on a push host and records it there; returns the download to queue, or
/// nothing when another delivery placed it meanwhile (that one queues it).
pub async fn to_node(
    db: &Database,
    directory: &Directory,
    settings: &Settings,
    pending: &Pending,
    url: SourceUrl,
) -> Result<Option<Effect>, BookingError> {
    let booking = &pending.booking;
    let key = video_key(booking);
    let node = match booking.node.clone().or_else(|| pending.chosen.clone()) {
        Some(node) => node,
        None => place(db, directory, settings, &key).await?.ok_or(BookingError::NoLiveNode)?,
    };
    let placed = bookings::Entity::update_many()
        .col_expr(bookings::Column::SourceUrl, Expr::value(url.as_str()))
        .col_expr(bookings::Column::Node, Expr::value(node.to_string()))
        .col_expr(bookings::Column::UpdatedAt, Expr::value(now_ms()))
        // A repeated delivery to the node chosen before keeps the time it was first placed.
        .col_expr(bookings::Column::PlacedAt, Expr::col(bookings::Column::PlacedAt).if_null(now_ms()))
        .filter(bookings::Column::ClassId.eq(booking.class_id.as_str()))
        .filter(bookings::Column::State.eq(BookingState::Queued))
        .filter(Condition::any().add(bookings::Column::Node.is_null()).add(bookings::Column::Node.eq(&node)))
        .exec(&db.conn)
        .await?;
    if placed.rows_affected == 0 {
        return Ok(None);
    }
    tracing::info!(record_id = %booking.record_id, node = %node, url = url.redacted(), "normal booking: download");
    let order = DownloadOrder { class_id: booking.class_id.clone(), url, key, class_start_at: booking.class_start_at };
    Ok(Some(Effect::Download { node, order }))
}

/// Its download is queued: the booking is `downloading` (unless its node already said ready).
pub async fn sent(db: &Database, class_id: &ClassId) -> Result<(), BookingError> {
    store::transition(&db.conn, class_id, &[BookingState::Queued], |row| {
        row.state = sea_orm::ActiveValue::Set(BookingState::Downloading);
    })
    .await?;
    Ok(())
}

/// A live node for the video `key`: one that holds it, else the one with the most room.
async fn place(
    db: &Database,
    directory: &Directory,
    settings: &Settings,
    key: &VideoKey,
) -> Result<Option<NodeId>, BookingError> {
    let statuses = directory.snapshot().await.map_err(|e| BookingError::Directory(e.to_string()))?;
    let holders = node_holdings::Entity::find()
        .filter(node_holdings::Column::Path.eq(key.relative_path_text()))
        .all(&db.conn)
        .await?;
    let holders: Vec<NodeId> = holders.into_iter().filter_map(|h| h.node.parse().ok()).collect();
    Ok(placement::choose(&statuses, &holders, settings.node_live_for(), now_ms()))
}
