//! What operators and the web app ask of transcodes directly (`POST /api/transcode/oss|ecs`,
//! `POST /api/transcodes/{record_id}/{resolution}/reset`).

use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use super::{source::Sources, store};
use crate::{
    config::Settings,
    db::{Database, transcodes},
    domain::{Effect, Provider, RetryStatus, TranscodeKey, TranscodeState},
};

#[derive(Debug)]
pub enum Requested {
    /// Submitted now; the effect hands it to the provider.
    Started(transcodes::Model, Effect),
    /// Already being made (by the same provider): nothing new was submitted.
    InProgress(transcodes::Model),
    /// Already made: nothing to do.
    Done(transcodes::Model),
}

#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("the transcode is in progress with {0}")]
    Busy(Provider),
    #[error("no source: give video_url or video_url_list")]
    NoSource,
    #[error("no transcode of {0}")]
    NotFound(TranscodeKey),
}

/// `GET /api/transcodes/{record_id}` and `vteacher` tools.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TranscodeStatus {
    pub record_id: i64,
    pub video_resolution: String,
    pub state: TranscodeState,
    pub provider: Option<Provider>,
    pub progress: Option<i32>,
    pub url: Option<String>,
    pub reason: Option<String>,
    pub deadline_at: Option<i64>,
    pub updated_at: i64,
    /// While its job waits for another attempt: which failed, of how many, why, and when the
    /// next is due (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryStatus>,
}

impl From<&transcodes::Model> for TranscodeStatus {
    fn from(t: &transcodes::Model) -> Self {
        Self {
            record_id: t.record_id,
            video_resolution: t.resolution.clone(),
            state: t.state,
            provider: t.provider,
            progress: t.progress,
            url: t.url.clone(),
            reason: t.reason.clone(),
            deadline_at: t.deadline_at,
            updated_at: t.updated_at,
            retry: (t.state == TranscodeState::Transcoding)
                .then(|| t.retry.clone().and_then(|r| serde_json::from_value(r).ok()))
                .flatten(),
        }
    }
}

pub async fn request(
    db: &Database,
    settings: &Settings,
    key: TranscodeKey,
    provider: Provider,
    sources: Sources,
) -> Result<Requested, RequestError> {
    let txn = db.write_txn().await?;
    let current = store::lock(&txn, key).await?;
    let sources = match (&current, sources.video_url.is_some() || !sources.video_url_list.is_empty()) {
        (_, true) => sources,
        (Some(t), false) => {
            t.sources.clone().and_then(|v| serde_json::from_value(v).ok()).ok_or(RequestError::NoSource)?
        }
        (None, false) => return Err(RequestError::NoSource),
    };
    match &current {
        Some(t) if t.state == TranscodeState::Succeeded => return Ok(Requested::Done(t.clone())),
        Some(t) if t.state == TranscodeState::Transcoding => {
            let with = t.provider.unwrap_or(Provider::Oss);
            return if with == provider { Ok(Requested::InProgress(t.clone())) } else { Err(RequestError::Busy(with)) };
        }
        _ => {}
    }
    store::start(&txn, key, provider, &sources, settings).await?;
    let started = store::lock(&txn, key).await?.ok_or_else(|| DbErr::RecordNotFound("transcode".into()))?;
    txn.commit().await?;
    let submit = match provider {
        Provider::Oss => Effect::SubmitOss(key),
        Provider::Ecs => Effect::SubmitEcs(key),
    };
    Ok(Requested::Started(started, submit))
}

pub async fn list(db: &Database, record_id: i64) -> Result<Vec<transcodes::Model>, DbErr> {
    transcodes::Entity::find()
        .filter(transcodes::Column::RecordId.eq(record_id))
        .order_by_asc(transcodes::Column::Resolution)
        .all(&db.conn)
        .await
}

/// Forgets a finished transcode (failed, timed out or succeeded) so the next booking starts
/// it afresh. One in progress is refused: its waiting bookings would never hear of it again.
pub async fn reset(db: &Database, key: TranscodeKey) -> Result<(), RequestError> {
    let txn = db.write_txn().await?;
    let Some(current) = store::lock(&txn, key).await? else {
        return Err(RequestError::NotFound(key));
    };
    if current.state == TranscodeState::Transcoding {
        return Err(RequestError::Busy(current.provider.unwrap_or(Provider::Oss)));
    }
    transcodes::Entity::delete_many().filter(transcodes::of(key)).exec(&txn).await?;
    txn.commit().await?;
    tracing::warn!(record_id = %key.record_id, resolution = %key.resolution, was = ?current.state, "transcode reset by an operator");
    Ok(())
}
