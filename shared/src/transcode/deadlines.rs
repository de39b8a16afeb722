//! Transcode deadlines, enforced by the sweeper (and by any booking that touches the
//! transcode): an oss deadline is an oss failure (on to ecs); an ecs deadline times it out.

use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter};

use super::{result::on_deadline, store};
use crate::{
    config::Settings,
    db::{
        Database,
        outbox::{self, Stashed},
        transcodes,
    },
    domain::{RecordId, Resolution, TranscodeKey, TranscodeState},
};

/// The transcodes in progress whose deadline is at or before `now`.
pub async fn due(db: &Database, now: i64) -> Result<Vec<TranscodeKey>, DbErr> {
    let due = transcodes::Entity::find()
        .filter(transcodes::Column::State.eq(TranscodeState::Transcoding))
        .filter(transcodes::Column::DeadlineAt.lte(now))
        .all(&db.conn)
        .await?;
    let key = |t: &transcodes::Model| {
        let record_id = RecordId::new(t.record_id).ok()?;
        Some(TranscodeKey { record_id, resolution: t.resolution.parse::<Resolution>().ok()? })
    };
    Ok(due.iter().filter_map(key).collect())
}

/// Moves the transcode `key` on if its deadline has passed, in one transaction; returns the
/// effects for after the commit (in the outbox until sent), or `None` when nothing was due (a
/// result arrived meanwhile).
pub async fn enforce(
    db: &Database,
    settings: &Settings,
    key: TranscodeKey,
    now: i64,
) -> Result<Option<Stashed>, DbErr> {
    let txn = db.write_txn().await?;
    // Looked at again under the lock: a result may have arrived meanwhile.
    let Some(change) = store::lock(&txn, key).await?.and_then(|t| on_deadline(&t, now)) else {
        return Ok(None);
    };
    tracing::warn!(record_id = %key.record_id, resolution = %key.resolution, ?change, "transcode deadline passed");
    let effects = store::apply(&txn, key, &change, None, settings).await?;
    let effects = outbox::stash(&txn, effects).await?;
    txn.commit().await?;
    Ok(Some(effects))
}
