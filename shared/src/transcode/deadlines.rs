//! Transcode deadlines, enforced by the sweeper (and by any booking that touches the
//! transcode): an oss deadline is an oss failure (on to ecs); an ecs deadline times it out.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{
    result::on_deadline,
    store::{self, Key},
};
use crate::{
    app::App,
    db::{
        now_ms,
        transcodes::{self, TranscodeState},
    },
    domain::{RecordId, Resolution},
    queue::{JobError, after::run_after},
};

/// Applies every passed deadline; returns how many transcodes it moved.
pub async fn enforce(app: &App) -> Result<usize, JobError> {
    let now = now_ms();
    let due = transcodes::Entity::find()
        .filter(transcodes::Column::State.eq(TranscodeState::Transcoding))
        .filter(transcodes::Column::DeadlineAt.lte(now))
        .all(&app.db.conn)
        .await?;
    let mut moved = 0;
    for transcode in due {
        let (Ok(record_id), Ok(resolution)) =
            (RecordId::new(transcode.record_id), transcode.resolution.parse::<Resolution>())
        else {
            continue;
        };
        let key = Key { record_id, resolution };
        let txn = app.db.write_txn().await?;
        // Looked at again under the lock: a result may have arrived meanwhile.
        let Some(effect) = store::lock(&txn, key).await?.and_then(|t| on_deadline(&t, now)) else {
            continue;
        };
        tracing::warn!(record_id = %key.record_id, resolution = %key.resolution, ?effect, "transcode deadline passed");
        let after = store::apply(&txn, key, &effect, None, &app.settings).await?;
        txn.commit().await?;
        run_after(app, after).await?;
        moved += 1;
    }
    Ok(moved)
}
