//! ecs transcodes whose job was lost (a Redis that lost its data, or its result job lost after
//! the work was done): a running ecs job beats on its transcode (`beat`), every
//! `SWEEP_INTERVAL`, on the database's clock; one silent for the lost-work window is submitted
//! again (its waiting bookings keep waiting, nothing times out). Its job is unique while it
//! waits, so a resend never queues a second.

use std::time::Duration;

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter, QuerySelect, sea_query::Expr};

use crate::{
    db::{Database, clock::db_now_ms, transcodes},
    domain::{Provider, RecordId, Resolution, TranscodeKey, TranscodeState},
};

/// Transcodes submitted again per sweep, at most.
const PER_SWEEP: u64 = 500;

/// The ecs job of `key` is alive: its transcode was touched now (the database's now).
pub async fn beat(conn: &impl ConnectionTrait, key: TranscodeKey) -> Result<(), DbErr> {
    let now = db_now_ms(conn.get_database_backend());
    transcodes::Entity::update_many()
        .col_expr(transcodes::Column::UpdatedAt, now)
        .filter(transcodes::of(key))
        .filter(transcodes::Column::State.eq(TranscodeState::Transcoding))
        .exec(conn)
        .await
        .map(drop)
}

/// Every ecs transcode in progress that nothing has touched for `lost_after`, touched now so
/// that it is submitted again at most once per `lost_after`.
pub async fn silent_ecs(db: &Database, lost_after: Duration) -> Result<Vec<TranscodeKey>, DbErr> {
    let backend = db.conn.get_database_backend();
    let stale = || Expr::col(transcodes::Column::UpdatedAt).lt(db_now_ms(backend).sub(lost_after.as_millis() as i64));
    let rows = transcodes::Entity::find()
        .filter(transcodes::Column::State.eq(TranscodeState::Transcoding))
        .filter(transcodes::Column::Provider.eq(Provider::Ecs))
        .filter(stale())
        .limit(PER_SWEEP)
        .all(&db.conn)
        .await?;
    let mut keys = Vec::new();
    for row in rows {
        let (Ok(record_id), Ok(resolution)) = (RecordId::new(row.record_id), row.resolution.parse::<Resolution>())
        else {
            continue;
        };
        let key = TranscodeKey { record_id, resolution };
        let touched = transcodes::Entity::update_many()
            .col_expr(transcodes::Column::UpdatedAt, db_now_ms(backend))
            .filter(transcodes::of(key))
            .filter(stale())
            .exec(&db.conn)
            .await?;
        if touched.rows_affected > 0 {
            tracing::warn!(record_id = %key.record_id, resolution = %key.resolution, "ecs transcode heard nothing of: submitted again");
            keys.push(key);
        }
    }
    Ok(keys)
}
