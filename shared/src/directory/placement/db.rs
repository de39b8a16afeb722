//! Placement on one machine without Redis: the nodes' statuses and their loads read from the
//! state database (the holdings the nodes reported, the bookings on their way), then the pure
//! `choose` over every node. One machine has few nodes; the fleet's path is `redis`.

use std::{
    collections::{HashMap, HashSet},
    time::Duration,
};

use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect};

use super::{Candidate, choose};
use crate::{
    db::{bookings, node_holdings},
    domain::{BookingState, NodeId},
};

pub(crate) async fn place(
    conn: &DatabaseConnection,
    path: &str,
    holders: &[NodeId],
    live_for: Duration,
    now: i64,
) -> Result<Option<NodeId>, DbErr> {
    let statuses = super::super::db::statuses(conn).await?;
    let loads = loads(conn).await?;
    let candidates: Vec<Candidate<'_>> = statuses
        .iter()
        .map(|status| Candidate { status, load: loads.get(status.node.as_str()).copied().unwrap_or(0) })
        .collect();
    Ok(choose(path, holders, &candidates, live_for, now))
}

/// Videos per node: those it reported holding, and those on their way to it.
async fn loads(conn: &DatabaseConnection) -> Result<HashMap<String, u64>, DbErr> {
    let held: Vec<(String, String)> = node_holdings::Entity::find()
        .select_only()
        .columns([node_holdings::Column::Node, node_holdings::Column::Path])
        .into_tuple()
        .all(conn)
        .await?;
    type OnItsWay = (Option<String>, i64, Option<String>, Option<String>);
    let on_its_way: Vec<OnItsWay> = bookings::Entity::find()
        .select_only()
        .columns([
            bookings::Column::Node,
            bookings::Column::RecordId,
            bookings::Column::Resolution,
            bookings::Column::OrgId,
        ])
        .filter(bookings::Column::Node.is_not_null())
        .filter(bookings::Column::State.is_in([BookingState::Queued, BookingState::Downloading]))
        .into_tuple()
        .all(conn)
        .await?;
    let mut loads: HashMap<String, u64> = HashMap::new();
    for (node, _) in held {
        *loads.entry(node).or_default() += 1;
    }
    let videos: HashSet<OnItsWay> = on_its_way.into_iter().collect();
    for (node, ..) in videos {
        *loads.entry(node.unwrap_or_default()).or_default() += 1;
    }
    Ok(loads)
}
