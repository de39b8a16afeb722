//! What push hosts report (the `node-report` queue), applied to the central database by the
//! booking workers: a class's video is ready (or failed), which videos a node holds (for
//! placement), which it deleted. Each report is idempotent: a repeat changes nothing more.
//!
//! A report about a booking (ready, failed, ended) counts only from the node the booking is
//! placed on: from any other it is refused, changing nothing, logged and counted
//! (`vteacher_reports_refused_total`). A host that lies about another's booking is refused so;
//! one that lies about its own name is not (the report queue is shared: docs/security.md). A
//! host's late report about a booking placed again while it was away is refused the same way.

use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, sea_query::OnConflict};

use super::store;
use crate::{
    db::{
        Database, bookings, node_holdings, now_ms,
        outbox::{self, Stashed},
    },
    domain::{BookingState, ClassId, Effect, Holding, NodeId, NodeReport},
};

/// What applying a report did.
pub struct Applied {
    /// What must follow the commit (in the outbox until sent).
    pub effects: Stashed,
    /// How many of its bookings were refused: placed on another node (or on none).
    pub refused: u64,
}

/// Applies `report`.
pub async fn apply(db: &Database, report: &NodeReport) -> Result<Applied, DbErr> {
    let txn = db.write_txn().await?;
    let mut refused = 0;
    let effects = match report {
        NodeReport::Ready { node, classes, video_path, video } => {
            hold(&txn, node, video, now_ms()).await?;
            let mut effects = Vec::new();
            for class_id in classes {
                effects.extend(ready(&txn, node, class_id, video_path, &mut refused).await?);
            }
            effects
        }
        NodeReport::Failed { node, class_id, reason } => match placed(&txn, report.kind(), node, class_id).await? {
            Placement::Here => failed(&txn, node, class_id, reason).await?,
            Placement::Elsewhere => {
                refused += 1;
                Vec::new()
            }
            Placement::NoBooking => Vec::new(),
        },
        NodeReport::Holdings { node, generation, videos, last } => {
            for video in videos {
                hold(&txn, node, video, *generation).await?;
            }
            if *last {
                node_holdings::Entity::delete_many()
                    .filter(node_holdings::Column::Node.eq(node))
                    .filter(node_holdings::Column::Generation.lt(*generation))
                    .exec(&txn)
                    .await?;
            }
            Vec::new()
        }
        NodeReport::Ended { node, class_id } => {
            match placed(&txn, report.kind(), node, class_id).await? {
                Placement::Here => super::class_end::acknowledged(&txn, node, class_id).await?,
                Placement::Elsewhere => refused += 1,
                Placement::NoBooking => {}
            }
            Vec::new()
        }
        NodeReport::Evicted { node, keys } => {
            let paths: Vec<String> = keys.iter().map(|k| k.relative_path_text()).collect();
            node_holdings::Entity::delete_many()
                .filter(node_holdings::Column::Node.eq(node))
                .filter(node_holdings::Column::Path.is_in(paths))
                .exec(&txn)
                .await?;
            Vec::new()
        }
        NodeReport::IndexRebuilt { node } => references(&txn, node).await?,
    };
    let effects = outbox::stash(&txn, effects).await?;
    txn.commit().await?;
    Ok(Applied { effects, refused })
}

/// Where the class's booking is placed, as seen by a report of `node` about it.
enum Placement {
    Here,
    /// On another node, or on none: the report is refused (logged here).
    Elsewhere,
    NoBooking,
}

async fn placed(
    conn: &impl ConnectionTrait,
    report: &str,
    node: &NodeId,
    class_id: &ClassId,
) -> Result<Placement, DbErr> {
    let Some(row) = store::find(conn, class_id).await? else { return Ok(Placement::NoBooking) };
    if row.node.as_deref() == Some(node.as_str()) {
        return Ok(Placement::Here);
    }
    tracing::warn!(%class_id, record_id = row.record_id, %node, placed = ?row.node, report,
        "report refused: the booking is not placed on the reporting node");
    Ok(Placement::Elsewhere)
}

/// The class's video is on `node`: its booking is ready, once. A report from a node the
/// booking is not placed on (placed again while that node was away, or a lie) is refused; the
/// node is told to let its reference go (a class end on its own queue, nothing else's).
async fn ready(
    conn: &impl ConnectionTrait,
    node: &NodeId,
    class_id: &ClassId,
    video_path: &str,
    refused: &mut u64,
) -> Result<Vec<Effect>, DbErr> {
    match placed(conn, "ready", node, class_id).await? {
        Placement::Here => {}
        // No booking (deleted), or another node's: the reporter lets the class go.
        elsewhere => {
            *refused += u64::from(matches!(elsewhere, Placement::Elsewhere));
            return Ok(vec![Effect::EndClass { node: node.clone(), class_id: class_id.clone() }]);
        }
    }
    let moved = store::transition(conn, class_id, &[BookingState::Queued, BookingState::Downloading], |r| {
        r.state = Set(BookingState::Ready);
        r.video_path = Set(Some(video_path.to_owned()));
        r.reason = Set(None);
        store::claim_in_settling(r);
    })
    .await?;
    if !moved {
        return Ok(Vec::new());
    }
    tracing::info!(%class_id, %node, video_path, "booking ready");
    // Sent by this job once committed (read in the transaction: no commit of its own).
    let row = store::find(conn, class_id).await?;
    let result = row.as_ref().and_then(super::results::wire_result);
    Ok(result.map(|result| Effect::SendResult { class_id: class_id.clone(), result }).into_iter().collect())
}

/// A node rebuilt its index: the orders of every booking placed on it that has not ended, for
/// it to take its references back (one job: it releases the node's hold on eviction).
async fn references(conn: &impl ConnectionTrait, node: &NodeId) -> Result<Vec<Effect>, DbErr> {
    let rows = bookings::Entity::find()
        .filter(bookings::Column::Node.eq(node.as_str()))
        .filter(bookings::Column::EndedAt.is_null())
        .filter(bookings::Column::State.is_in([BookingState::Downloading, BookingState::Ready]))
        .all(conn)
        .await?;
    let orders: Vec<_> = rows.iter().filter_map(super::dispatch::order_of).map(|(_, order)| order).collect();
    tracing::warn!(%node, classes = orders.len(), "node rebuilt its index: its references sent back");
    Ok(vec![Effect::RestoreReferences { node: node.clone(), orders }])
}

/// The class's video could not be put on `node`, where its booking is placed.
async fn failed(
    conn: &impl ConnectionTrait,
    node: &NodeId,
    class_id: &ClassId,
    reason: &str,
) -> Result<Vec<Effect>, DbErr> {
    if store::fail(conn, class_id, reason).await? {
        tracing::warn!(%class_id, %node, reason, "booking failed on its node");
        return Ok(vec![Effect::Notify(class_id.clone())]);
    }
    Ok(Vec::new())
}

async fn hold(conn: &impl ConnectionTrait, node: &NodeId, video: &Holding, generation: i64) -> Result<(), DbErr> {
    let key = &video.key;
    let row = node_holdings::ActiveModel {
        node: Set(node.to_string()),
        path: Set(key.relative_path_text()),
        record_id: Set(key.record_id.get()),
        resolution: Set(key.resolution.map(|r| r.to_string())),
        org_id: Set(key.org_id.as_ref().map(ToString::to_string)),
        size_bytes: Set(video.bytes as i64),
        generation: Set(generation),
        reported_at: Set(now_ms()),
    };
    use node_holdings::Column as C;
    node_holdings::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([C::Node, C::Path])
                .update_columns([C::SizeBytes, C::Generation, C::ReportedAt])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await
        .map(drop)
}
