//! Sending a decided booking to a push host: the node the booking names, else the one an
//! earlier delivery chose (its download may be queued there), else placement (the directory's:
//! the video's node, or a fair one, decided and recorded in one step). Recording the booking's
//! node is a compare-and-set on the booking, so two deliveries at once place it once; the
//! download order is the effect it leaves. A listed booking is read, placed and recorded
//! `downloading` in one transaction (`send_on`): one commit for its whole decision.

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait,
    sea_query::{Expr, ExprTrait, Query, UnionType},
};

use super::{BookingError, store};
use crate::{
    config::Settings,
    db::{Database, bookings, node_holdings, now_ms},
    directory::Directory,
    domain::{Booking, BookingState, ClassId, DownloadOrder, Effect, NodeId, SourceUrl, VideoKey},
};

/// What a booking's decision job finds to do.
#[derive(Debug)]
pub enum SendOn {
    /// Decided before (a repeated delivery), or settled: nothing.
    Nothing,
    /// Its download, to queue now: placed just now, or by an earlier delivery whose queueing
    /// may have been lost (the push host takes a repeated order as the same class's).
    Download(Effect),
    /// Its resolution is not listed: the transcode decides first (`apply::on_transcode`).
    NeedsTranscode(Pending),
}

/// Reads the booking of `class_id` and, when its URL is known, places it and records it
/// `downloading`, all in one transaction (on PostgreSQL; see `one_writer`).
pub async fn send_on(
    db: &Database,
    directory: &Directory,
    settings: &Settings,
    class_id: &ClassId,
) -> Result<SendOn, BookingError> {
    if one_writer(db) {
        let row = store::find(&db.conn, class_id).await?.ok_or(BookingError::NotFound)?;
        return send_row(&db.conn, directory, settings, &row).await;
    }
    let txn = db.conn.begin().await?;
    let row = store::lock(&txn, class_id).await?.ok_or(BookingError::NotFound)?;
    let sent = send_row(&txn, directory, settings, &row).await?;
    txn.commit().await?;
    Ok(sent)
}

/// SQLite (one machine) has one writer, and placement there reads the database through other
/// connections of the pool (`directory::placement::db`): a write transaction held across it
/// would wait on them and stall the pool. There each statement commits on its own; the
/// compare-and-set keeps a placement single.
fn one_writer(db: &Database) -> bool {
    db.sqlite.is_some()
}

async fn send_row(
    conn: &impl ConnectionTrait,
    directory: &Directory,
    settings: &Settings,
    row: &bookings::Model,
) -> Result<SendOn, BookingError> {
    if row.state == BookingState::Downloading {
        let resend = order_of(row).map(|(node, order)| SendOn::Download(Effect::Download { node, order }));
        return Ok(resend.unwrap_or(SendOn::Nothing));
    }
    let Some(pending) = Pending::of(row)? else { return Ok(SendOn::Nothing) };
    let Some(url) = pending.known_url() else { return Ok(SendOn::NeedsTranscode(pending)) };
    Ok(to_node(conn, directory, settings, &pending, url).await?.map_or(SendOn::Nothing, SendOn::Download))
}

/// `to_node` in a transaction of its own (a booking its transcode released).
pub async fn to_node_now(
    db: &Database,
    directory: &Directory,
    settings: &Settings,
    pending: &Pending,
    url: SourceUrl,
) -> Result<Option<Effect>, BookingError> {
    if one_writer(db) {
        return to_node(&db.conn, directory, settings, pending, url).await;
    }
    let txn = db.conn.begin().await?;
    let placed = to_node(&txn, directory, settings, pending, url).await?;
    txn.commit().await?;
    Ok(placed)
}

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
pub async fn pending(conn: &impl ConnectionTrait, class_id: &ClassId) -> Result<Option<Pending>, BookingError> {
    Pending::of(&store::find(conn, class_id).await?.ok_or(BookingError::NotFound)?)
}

impl Pending {
    fn of(row: &bookings::Model) -> Result<Option<Self>, BookingError> {
        if row.state != BookingState::Queued {
            return Ok(None);
        }
        let booking = Booking::from_value(row.message.clone()).map_err(|e| BookingError::invalid("message", e))?;
        let released = row.source_url.as_deref().map(str::parse::<SourceUrl>).transpose();
        let released = released.map_err(|e| BookingError::invalid("source_url", e))?;
        let chosen = row.node.as_deref().and_then(|n| n.parse().ok());
        Ok(Some(Self { booking, chosen, released }))
    }
}

/// The node and download order of a placed booking, from its row.
pub(super) fn order_of(row: &bookings::Model) -> Option<(NodeId, DownloadOrder)> {
    let booking = Booking::from_value(row.message.clone()).ok()?;
    let order = DownloadOrder {
        class_id: booking.class_id.clone(),
        url: row.source_url.as_deref()?.parse().ok()?,
        key: video_key(&booking),
        class_start_at: booking.class_start_at,
    };
    Some((row.node.as_deref()?.parse().ok()?, order))
}

pub fn video_key(booking: &Booking) -> VideoKey {
    VideoKey { record_id: booking.record_id, resolution: booking.video_resolution, org_id: booking.org_id.clone() }
}

/// Places the booking on a push host and records it there, `downloading`; returns the download
/// to queue once `conn`'s transaction has committed, or nothing when another delivery placed it
/// meanwhile (that one queues it).
pub async fn to_node(
    conn: &impl ConnectionTrait,
    directory: &Directory,
    settings: &Settings,
    pending: &Pending,
    url: SourceUrl,
) -> Result<Option<Effect>, BookingError> {
    let booking = &pending.booking;
    let key = video_key(booking);
    let node = match booking.node.clone().or_else(|| pending.chosen.clone()) {
        Some(node) => node,
        None => place(conn, directory, settings, &booking.class_id, &key).await?.ok_or(BookingError::NoLiveNode)?,
    };
    let placed = bookings::Entity::update_many()
        .col_expr(bookings::Column::SourceUrl, Expr::value(url.as_str()))
        .col_expr(bookings::Column::Node, Expr::value(node.to_string()))
        .col_expr(bookings::Column::State, Expr::value(BookingState::Downloading))
        .col_expr(bookings::Column::Retry, Expr::value(None::<serde_json::Value>))
        .col_expr(bookings::Column::UpdatedAt, Expr::value(now_ms()))
        // A repeated delivery to the node chosen before keeps the time it was first placed.
        .col_expr(bookings::Column::PlacedAt, Expr::col(bookings::Column::PlacedAt).if_null(now_ms()))
        .filter(bookings::Column::ClassId.eq(booking.class_id.as_str()))
        .filter(bookings::Column::State.eq(BookingState::Queued))
        .filter(Condition::any().add(bookings::Column::Node.is_null()).add(bookings::Column::Node.eq(&node)))
        .exec(conn)
        .await?;
    if placed.rows_affected == 0 {
        return Ok(None);
    }
    tracing::info!(record_id = %booking.record_id, node = %node, url = url.redacted(), "normal booking: download");
    let order = DownloadOrder { class_id: booking.class_id.clone(), url, key, class_start_at: booking.class_start_at };
    Ok(Some(Effect::Download { node, order }))
}

/// A live node for the video `key`: the directory decides and records it, told which nodes
/// the database says hold the video or have it on the way (what a Redis that forgot its
/// record is given again).
async fn place(
    conn: &impl ConnectionTrait,
    directory: &Directory,
    settings: &Settings,
    class_id: &ClassId,
    key: &VideoKey,
) -> Result<Option<NodeId>, BookingError> {
    let holders = holders(conn, class_id, key).await?;
    Ok(directory.place(&key.relative_path_text(), &holders, settings.node_live_for()).await?)
}

/// The nodes that reported holding the video, and those other bookings of it were placed on
/// while it is on its way: one statement (placing a booking reads the database once).
async fn holders(conn: &impl ConnectionTrait, class_id: &ClassId, key: &VideoKey) -> Result<Vec<NodeId>, BookingError> {
    let resolution = key.resolution.map(|r| r.to_string());
    let org = key.org_id.as_ref().map(ToString::to_string);
    let mut held = Query::select()
        .column(node_holdings::Column::Node)
        .from(node_holdings::Entity)
        .and_where(node_holdings::Column::Path.eq(key.relative_path_text()))
        .to_owned();
    let on_its_way = Query::select()
        .column(bookings::Column::Node)
        .from(bookings::Entity)
        .and_where(bookings::Column::RecordId.eq(key.record_id.get()))
        .and_where(match resolution {
            Some(r) => bookings::Column::Resolution.eq(r),
            None => bookings::Column::Resolution.is_null(),
        })
        .and_where(match org {
            Some(o) => bookings::Column::OrgId.eq(o),
            None => bookings::Column::OrgId.is_null(),
        })
        .and_where(bookings::Column::State.is_in([BookingState::Queued, BookingState::Downloading]))
        .and_where(bookings::Column::Node.is_not_null())
        .and_where(bookings::Column::ClassId.ne(class_id.as_str()))
        .to_owned();
    let statement = conn.get_database_backend().build(held.union(UnionType::Distinct, on_its_way));
    let rows = conn.query_all_raw(statement).await?;
    Ok(rows.iter().filter_map(|row| row.try_get::<String>("", "node").ok()?.parse().ok()).collect())
}
