//! A class is over (下课), from whichever source comes first: the API, the legacy
//! `CHANNEL_CLASS_END` message, or the automatic end at the booking's `class_end_at`. The
//! first marks the booking ended; the others, and any repeat, change nothing
//! (虚拟老师自动下课和下课请求冲突). A class that ends before its video was ready is
//! cancelled (its result says so); the node it was placed on lets its reference go.

use std::time::Duration;

use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

use super::store;
use crate::{
    db::{
        Database, bookings, now_ms,
        outbox::{self, Stashed},
    },
    directory::Directory,
    domain::{BookingState, ClassId, Effect, NodeId},
};

/// Class ends sent again per sweep, at most.
const PER_SWEEP: u64 = 500;

/// What the end of a class does to its booking: the pure part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ending {
    /// The booking is cancelled (it was not ready yet).
    pub cancel: bool,
    /// The node that must let the class's reference go.
    pub release_on: Option<NodeId>,
}

/// The booking in `state`, placed on `node`, has its class end.
pub fn on_class_end(state: BookingState, node: Option<NodeId>) -> Ending {
    let cancel = !state.is_settled();
    Ending { cancel, release_on: node }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Ended {
    /// No booking has that class id: nothing changes.
    Unknown,
    /// It had ended before: nothing changes.
    Already(bookings::Model),
    /// It ends now; the effects follow the commit (in the outbox until sent).
    Now { booking: bookings::Model, effects: Stashed },
}

pub const CANCELLED_REASON: &str = "the class ended before its video was ready";

/// Ends the class of `class_id`, once.
pub async fn end(db: &Database, class_id: &ClassId) -> Result<Ended, sea_orm::DbErr> {
    let txn = db.write_txn().await?;
    // Locked: a placement committing between this read and the update below would otherwise
    // leave its node holding the class (no EndClass for a node not seen here).
    let Some(row) = store::lock(&txn, class_id).await? else {
        return Ok(Ended::Unknown);
    };
    if row.ended_at.is_some() {
        return Ok(Ended::Already(row));
    }
    let ending = on_class_end(row.state, row.node.as_deref().and_then(|n| n.parse().ok()));
    let now = now_ms();
    let mut change = bookings::ActiveModel { ended_at: Set(Some(now)), updated_at: Set(now), ..Default::default() };
    if ending.cancel {
        change.state = Set(BookingState::Cancelled);
        change.reason = Set(Some(CANCELLED_REASON.to_owned()));
        change.settled_at = Set(Some(now));
    }
    let done = bookings::Entity::update_many()
        .set(change)
        .filter(bookings::Column::ClassId.eq(class_id))
        .filter(bookings::Column::EndedAt.is_null())
        .exec(&txn)
        .await?;
    let booking = store::find(&txn, class_id).await?.unwrap_or(row);
    if done.rows_affected == 0 {
        return Ok(Ended::Already(booking));
    }
    let mut effects = Vec::new();
    if let Some(node) = ending.release_on.clone() {
        effects.push(Effect::EndClass { node, class_id: class_id.clone() });
    }
    if ending.cancel {
        effects.push(Effect::Notify(class_id.clone()));
    }
    let effects = outbox::stash(&txn, effects).await?;
    txn.commit().await?;
    tracing::info!(%class_id, cancelled = ending.cancel, node = ?booking.node, "class ended");
    Ok(Ended::Now { booking, effects })
}

/// `node` let the class's reference go: its class end is done.
pub async fn acknowledged(conn: &impl ConnectionTrait, node: &NodeId, class_id: &ClassId) -> Result<(), DbErr> {
    bookings::Entity::update_many()
        .col_expr(bookings::Column::EndAckedAt, sea_orm::sea_query::Expr::value(now_ms()))
        .filter(bookings::Column::ClassId.eq(class_id))
        .filter(bookings::Column::Node.eq(node.as_str()))
        .filter(bookings::Column::EndAckedAt.is_null())
        .exec(conn)
        .await
        .map(drop)
}

/// The class end again for every class ended `lost_after` ago whose node, live now, never
/// acknowledged it (its job was lost: a Redis that lost its data). A node that is away hears
/// it once it is back. Each is touched, so it is sent again at most once per `lost_after`.
pub async fn unacknowledged(
    db: &Database,
    directory: &Directory,
    lost_after: Duration,
    live_for: Duration,
) -> Result<Vec<Effect>, DbErr> {
    let now = now_ms();
    let before = now - lost_after.as_millis() as i64;
    let rows = bookings::Entity::find()
        .filter(bookings::Column::EndedAt.lt(before))
        .filter(bookings::Column::EndAckedAt.is_null())
        .filter(bookings::Column::Node.is_not_null())
        .filter(bookings::Column::UpdatedAt.lt(before))
        .limit(PER_SWEEP)
        .all(&db.conn)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let Ok(live) = directory.live_nodes(live_for).await else { return Ok(Vec::new()) };
    let mut effects = Vec::new();
    for row in rows {
        let (Some(node), Ok(class_id)) =
            (row.node.as_deref().and_then(|n| n.parse::<NodeId>().ok()), row.class_id.parse())
        else {
            continue;
        };
        if !live.contains(&node) {
            continue;
        }
        bookings::Entity::update_many()
            .col_expr(bookings::Column::UpdatedAt, sea_orm::sea_query::Expr::value(now))
            .filter(bookings::Column::ClassId.eq(row.class_id.as_str()))
            .exec(&db.conn)
            .await?;
        tracing::warn!(%class_id, %node, "class end never acknowledged by its node: sent again");
        effects.push(Effect::EndClass { node, class_id });
    }
    Ok(effects)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_class_that_ends_before_its_video_is_ready_is_cancelled() {
        let node: NodeId = "n1".parse().unwrap();
        for state in [BookingState::Queued, BookingState::WaitingTranscode, BookingState::Downloading] {
            assert_eq!(
                on_class_end(state, Some(node.clone())),
                Ending { cancel: true, release_on: Some(node.clone()) }
            );
        }
        assert_eq!(on_class_end(BookingState::Queued, None), Ending { cancel: true, release_on: None });
    }

    #[test]
    fn a_settled_booking_keeps_its_outcome_and_its_node_lets_go() {
        let node: NodeId = "n1".parse().unwrap();
        for state in [BookingState::Ready, BookingState::Failed, BookingState::Cancelled] {
            assert_eq!(
                on_class_end(state, Some(node.clone())),
                Ending { cancel: false, release_on: Some(node.clone()) }
            );
        }
    }
}
