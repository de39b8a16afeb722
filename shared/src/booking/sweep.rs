//! Bookings the sweeper looks after: those whose job was lost (a crash between a commit and
//! the enqueue after it), classes past their `class_end_at` (the automatic end), and bookings
//! whose node has been away for `NODE_WAIT`. Each is returned as the effect, or the class id,
//! that sends it on again.

use std::time::Duration;

use sea_orm::{ActiveValue::Set, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::store;
use crate::{
    db::{Database, bookings, now_ms},
    directory::{Directory, is_live},
    domain::{Booking, BookingState, ClassId, Effect},
};

/// A booking still undecided after this long has lost its job (deciding takes milliseconds).
pub const LOST_AFTER_MS: i64 = 5 * 60 * 1000;
/// Bookings handled per sweep and kind.
const PER_SWEEP: u64 = 500;

/// A decision again for every booking that has waited too long for it.
pub async fn lost_decisions(db: &Database) -> Result<Vec<Effect>, DbErr> {
    let stale = bookings::Entity::find()
        .filter(bookings::Column::State.eq(BookingState::Queued))
        .filter(bookings::Column::Node.is_null());
    Ok(stale_ids(db, stale).await?.into_iter().map(Effect::Book).collect())
}

/// The result again for every settled booking whose result was never sent (a crash between
/// settling it and queueing its result).
pub async fn unsent_results(db: &Database) -> Result<Vec<Effect>, DbErr> {
    let stale = bookings::Entity::find()
        .filter(bookings::Column::State.is_in(BookingState::SETTLED))
        .filter(bookings::Column::NotifiedAt.is_null());
    Ok(stale_ids(db, stale).await?.into_iter().map(Effect::Notify).collect())
}

/// The bookings `select` finds untouched for `LOST_AFTER_MS`.
async fn stale_ids(db: &Database, select: sea_orm::Select<bookings::Entity>) -> Result<Vec<ClassId>, DbErr> {
    let stale = select.filter(bookings::Column::UpdatedAt.lt(now_ms() - LOST_AFTER_MS)).all(&db.conn).await?;
    Ok(stale.iter().filter_map(|b| b.class_id.parse::<ClassId>().ok()).collect())
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
/// node, or, when the booking's message named that node, failed with the reason.
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
        .filter(bookings::Column::UpdatedAt.lt(now - wait_ms))
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
            fail_on(db, &class_id, &node, node_wait).await?
        } else {
            place_again(db, &row).await?
        });
    }
    Ok(effects)
}

async fn fail_on(db: &Database, class_id: &ClassId, node: &str, node_wait: Duration) -> Result<Vec<Effect>, DbErr> {
    let reason = format!("node {node} has not been live for NODE_WAIT ({})", humantime::format_duration(node_wait));
    let failed = store::fail(&db.conn, class_id, &reason).await?;
    tracing::warn!(%class_id, node, "booking failed: its node did not come back");
    Ok(if failed { vec![Effect::Notify(class_id.clone())] } else { Vec::new() })
}

async fn place_again(db: &Database, row: &bookings::Model) -> Result<Vec<Effect>, DbErr> {
    let Ok(class_id) = row.class_id.parse::<ClassId>() else { return Ok(Vec::new()) };
    let moved = store::transition(&db.conn, &class_id, &[BookingState::Queued, BookingState::Downloading], |r| {
        r.state = Set(BookingState::Queued);
        r.node = Set(None);
    })
    .await?;
    tracing::warn!(%class_id, node = ?row.node, "node away for NODE_WAIT: booking placed again");
    Ok(if moved { vec![Effect::Book(class_id)] } else { Vec::new() })
}
