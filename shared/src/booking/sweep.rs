//! Bookings the sweeper looks after: those whose job was lost (a crash between a commit and
//! the enqueue after it), classes past their `class_end_at` (the automatic end), and bookings
//! whose node has been away for `NODE_WAIT`. Each is returned as the effect, or the class id,
//! that sends it on again.

use std::time::Duration;

use sea_orm::{ActiveValue::Set, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{dispatch, store};
use crate::{
    db::{Database, bookings, now_ms},
    directory::{Directory, is_live},
    domain::{Booking, BookingState, ClassId, Effect, NodeId},
};

/// Work untouched for this many sweeps has lost its job (deciding takes milliseconds; a
/// download reports its progress every few seconds): 5 minutes at the default 30 s.
pub const LOST_AFTER_SWEEPS: u32 = 10;
/// Bookings handled per sweep and kind.
const PER_SWEEP: u64 = 500;

/// A decision again for every booking that has waited too long for it: placed by the web app
/// on a named host or not (its job may be lost either way).
pub async fn lost_decisions(db: &Database, lost_after: Duration) -> Result<Vec<Effect>, DbErr> {
    let stale = bookings::Entity::find().filter(bookings::Column::State.eq(BookingState::Queued));
    Ok(stale_rows(db, stale, lost_after).await?.iter().filter_map(class_id).map(Effect::Book).collect())
}

/// The result again for every settled booking whose result was never sent (a crash between
/// settling it and queueing its result).
pub async fn unsent_results(db: &Database, lost_after: Duration) -> Result<Vec<Effect>, DbErr> {
    let stale = bookings::Entity::find()
        .filter(bookings::Column::State.is_in(BookingState::SETTLED))
        .filter(bookings::Column::NotifiedAt.is_null());
    Ok(stale_rows(db, stale, lost_after).await?.iter().filter_map(class_id).map(Effect::Notify).collect())
}

/// Its download again for every booking `downloading` that has heard nothing from its node for
/// `lost_after` (no progress, no result) while that node is live: its job was lost (a Redis
/// that lost its data). An order for a node that is away would only pile up in its queue: the
/// dead-host rule (`stranded`) moves that booking. The node takes a repeated order as the same
/// class's (it downloads once), and its queue keeps one order per booking waiting. Each is
/// touched, so it is sent again at most once per `lost_after`.
pub async fn lost_downloads(
    db: &Database,
    directory: &Directory,
    lost_after: Duration,
    live_for: Duration,
) -> Result<Vec<Effect>, DbErr> {
    let stale = bookings::Entity::find()
        .filter(bookings::Column::State.eq(BookingState::Downloading))
        .filter(bookings::Column::Node.is_not_null());
    let rows = stale_rows(db, stale, lost_after).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let Ok(live) = directory.live_nodes(live_for).await else { return Ok(Vec::new()) };
    let mut effects = Vec::new();
    for row in rows {
        if !row.node.as_deref().is_some_and(|node| live.contains(&NodeId::stored(node.to_owned()))) {
            continue;
        }
        if directory
            .progress(&ClassId::stored(row.class_id.clone()))
            .await
            .is_some_and(|p| now_ms() - p.updated_at < lost_after.as_millis() as i64)
        {
            continue;
        }
        let Some(download) = dispatch::order_of(&row) else { continue };
        let touched = store::transition(&db.conn, &download.1.class_id, &[BookingState::Downloading], |_| {}).await?;
        if touched {
            tracing::warn!(class_id = %download.1.class_id, node = %download.0, "download heard nothing of: sent again");
            effects.push(Effect::Download { node: download.0, order: download.1 });
        }
    }
    Ok(effects)
}

fn class_id(row: &bookings::Model) -> Option<ClassId> {
    row.class_id.parse().ok()
}

/// The bookings `select` finds untouched for `lost_after`.
async fn stale_rows(
    db: &Database,
    select: sea_orm::Select<bookings::Entity>,
    lost_after: Duration,
) -> Result<Vec<bookings::Model>, DbErr> {
    let before = now_ms() - lost_after.as_millis() as i64;
    select.filter(bookings::Column::UpdatedAt.lt(before)).limit(PER_SWEEP).all(&db.conn).await
}

/// Classes past their `class_end_at` that have not ended yet (the automatic end, 自动下课).
pub async fn classes_to_end(db: &Database) -> Result<Vec<ClassId>, DbErr> {
    let due = bookings::Entity::find()
        .filter(bookings::Column::EndedAt.is_null())
        .filter(bookings::Column::ClassEndAt.lte(now_ms() / 1000))
        .order_by_asc(bookings::Column::ClassEndAt)
        .limit(PER_SWEEP)
        .all(&db.conn)
        .await?;
    Ok(due.iter().filter_map(|b| b.class_id.parse().ok()).collect())
}

/// Bookings placed on a node that has not been live for `node_wait`: placed again on a live
/// node, or, when the booking's message named that node, failed with the reason. How long a
/// booking has waited counts from its placement (`placed_at`), never from its last change: the
/// resend of a lost download touches it, and must not keep it on a dead node.
pub async fn stranded(
    db: &Database,
    directory: &Directory,
    live_for: Duration,
    node_wait: Duration,
) -> Result<Vec<Effect>, DbErr> {
    let now = now_ms();
    let wait_ms = node_wait.as_millis() as i64;
    let waiting = bookings::Entity::find()
        .filter(bookings::Column::State.is_in([BookingState::Queued, BookingState::Downloading]))
        .filter(bookings::Column::Node.is_not_null())
        .filter(bookings::Column::PlacedAt.lt(now - wait_ms))
        .limit(PER_SWEEP)
        .all(&db.conn)
        .await?;
    if waiting.is_empty() {
        return Ok(Vec::new());
    }
    let Ok(statuses) = directory.statuses().await else { return Ok(Vec::new()) };
    let mut effects = Vec::new();
    for row in waiting {
        let node = row.node.clone().unwrap_or_default();
        let status = statuses.iter().find(|s| s.node.as_str() == node);
        // Away for NODE_WAIT: live for none of it (or never seen at all).
        if status.is_some_and(|s| is_live(s, live_for, now) || now - s.seen_at < wait_ms) {
            continue;
        }
        let Ok(class_id) = row.class_id.parse::<ClassId>() else { continue };
        let named = Booking::from_value(row.message.clone()).ok().and_then(|b| b.node).is_some();
        effects.extend(if named {
            fail_on(db, &class_id, &NodeId::stored(node.clone()), node_wait).await?
        } else {
            place_again(db, &row).await?
        });
    }
    Ok(effects)
}

async fn fail_on(db: &Database, class_id: &ClassId, node: &NodeId, node_wait: Duration) -> Result<Vec<Effect>, DbErr> {
    let reason = format!("node {node} has not been live for NODE_WAIT ({})", humantime::format_duration(node_wait));
    let failed = store::fail(&db.conn, class_id, &reason).await?;
    tracing::warn!(%class_id, %node, "booking failed: its node did not come back");
    Ok(if failed { vec![Effect::Notify(class_id.clone())] } else { Vec::new() })
}

async fn place_again(db: &Database, row: &bookings::Model) -> Result<Vec<Effect>, DbErr> {
    let Ok(class_id) = row.class_id.parse::<ClassId>() else { return Ok(Vec::new()) };
    let moved = store::transition(&db.conn, &class_id, &[BookingState::Queued, BookingState::Downloading], |r| {
        r.state = Set(BookingState::Queued);
        r.node = Set(None);
        r.placed_at = Set(None);
    })
    .await?;
    tracing::warn!(%class_id, node = ?row.node, "node away for NODE_WAIT: booking placed again");
    Ok(if moved { vec![Effect::Book(class_id)] } else { Vec::new() })
}
