//! Applies the transcode rules to the database, inside the caller's transaction: the
//! transcode row is locked first, so a booking that starts to wait and a result that releases
//! the waiters never miss each other. What must happen after commit is returned as `After`.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QuerySelect,
    sea_query::OnConflict,
};

use super::{result::Effect, source::Sources};
use crate::{
    config::Settings,
    db::{bookings, now_ms, transcodes, transcodes::TranscodeState, unmatched_results},
    domain::{BookingState, ClassId, Provider, RecordId, Resolution, TranscodeResult},
};

/// One transcode: (record, resolution).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub record_id: RecordId,
    pub resolution: Resolution,
}

/// Work for after the commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum After {
    SubmitOss(Key),
    SubmitEcs(Key),
    /// A released booking goes on to placement and download.
    Book(ClassId),
    /// A booking failed: send its result.
    Notify(ClassId),
    Alarm {
        kind: &'static str,
        message: String,
    },
}

fn by_key(key: Key) -> sea_orm::Select<transcodes::Entity> {
    transcodes::Entity::find()
        .filter(transcodes::Column::RecordId.eq(key.record_id.get()))
        .filter(transcodes::Column::Resolution.eq(key.resolution.as_str()))
}

/// The transcode, locked for the rest of the transaction (SQLite's IMMEDIATE transactions
/// already hold the write lock; PostgreSQL takes the row's).
pub async fn lock(txn: &DatabaseTransaction, key: Key) -> Result<Option<transcodes::Model>, DbErr> {
    let select = by_key(key);
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        return select.lock_exclusive().one(txn).await;
    }
    select.one(txn).await
}

pub fn deadline(settings: &Settings, provider: Provider) -> i64 {
    let timeout = match provider {
        Provider::Oss => settings.transcode_timeout_oss.0,
        Provider::Ecs => settings.transcode_timeout_ecs.0,
    };
    now_ms() + timeout.as_millis() as i64
}

/// Creates the transcode as transcoding with `provider`, or sets a finished one (failed,
/// timed out, or reset) back to transcoding. Returns whether this call started it: only then
/// is the provider's job to be queued (fifty bookings at once submit one transcode).
pub async fn start(
    txn: &DatabaseTransaction,
    key: Key,
    provider: Provider,
    sources: &Sources,
    settings: &Settings,
) -> Result<bool, DbErr> {
    let now = now_ms();
    let row = transcodes::ActiveModel {
        record_id: Set(key.record_id.get()),
        resolution: Set(key.resolution.to_string()),
        state: Set(TranscodeState::Transcoding),
        provider: Set(Some(provider.as_str().into())),
        source_url: Set(None),
        url: Set(None),
        reason: Set(None),
        progress: Set(None),
        deadline_at: Set(Some(deadline(settings, provider))),
        created_at: Set(now),
        updated_at: Set(now),
        sources: Set(Some(serde_json::to_value(sources).unwrap_or_default())),
        oss_job_id: Set(None),
    };
    let restartable = [TranscodeState::Failed, TranscodeState::TimedOut];
    let mut update = row.clone();
    update.created_at = sea_orm::ActiveValue::NotSet;
    update.record_id = sea_orm::ActiveValue::NotSet;
    update.resolution = sea_orm::ActiveValue::NotSet;
    let restarted = transcodes::Entity::update_many()
        .set(update)
        .filter(transcodes::Column::RecordId.eq(key.record_id.get()))
        .filter(transcodes::Column::Resolution.eq(key.resolution.as_str()))
        .filter(transcodes::Column::State.is_in(restartable))
        .exec(txn)
        .await?;
    if restarted.rows_affected > 0 {
        return Ok(true);
    }
    let inserted = transcodes::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([transcodes::Column::RecordId, transcodes::Column::Resolution]).do_nothing().to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(inserted > 0)
}

/// Applies `effect` to the transcode `key` (and its waiting bookings).
pub async fn apply(
    txn: &DatabaseTransaction,
    key: Key,
    effect: &Effect,
    result: Option<&TranscodeResult>,
    settings: &Settings,
) -> Result<Vec<After>, DbErr> {
    let now = now_ms();
    let mut change = transcodes::ActiveModel { updated_at: Set(now), ..Default::default() };
    let after = match effect {
        Effect::Unknown => return keep_unmatched(txn, key, result).await,
        Effect::Ignore { why } => {
            tracing::info!(record_id = %key.record_id, resolution = %key.resolution, why, "transcode result ignored");
            return Ok(Vec::new());
        }
        Effect::Succeed { url, .. } => {
            change.state = Set(TranscodeState::Succeeded);
            change.url = Set(Some(url.to_string()));
            change.progress = Set(Some(100));
            change.reason = Set(None);
            release_waiters(txn, key, url.as_str()).await?
        }
        Effect::ToEcs { reason } => {
            change.provider = Set(Some(Provider::Ecs.as_str().into()));
            change.deadline_at = Set(Some(deadline(settings, Provider::Ecs)));
            change.reason = Set(Some(format!("oss: {reason}")));
            change.progress = Set(None);
            vec![After::SubmitEcs(key)]
        }
        Effect::Fail { reason } | Effect::TimeOut { reason } => {
            let state =
                if matches!(effect, Effect::Fail { .. }) { TranscodeState::Failed } else { TranscodeState::TimedOut };
            change.state = Set(state);
            change.reason = Set(Some(reason.clone()));
            fail_waiters(txn, key, &format!("transcode failed: {reason}")).await?
        }
    };
    by_key_update(txn, key, change).await?;
    Ok(after)
}

async fn by_key_update(txn: &DatabaseTransaction, key: Key, change: transcodes::ActiveModel) -> Result<(), DbErr> {
    transcodes::Entity::update_many()
        .set(change)
        .filter(transcodes::Column::RecordId.eq(key.record_id.get()))
        .filter(transcodes::Column::Resolution.eq(key.resolution.as_str()))
        .exec(txn)
        .await?;
    Ok(())
}

fn waiting(key: Key) -> sea_orm::Select<bookings::Entity> {
    bookings::Entity::find()
        .filter(bookings::Column::RecordId.eq(key.record_id.get()))
        .filter(bookings::Column::Resolution.eq(key.resolution.as_str()))
        .filter(bookings::Column::State.eq(BookingState::WaitingTranscode))
}

/// Applies `change` to every booking waiting for `key`, in this one transaction; returns them.
async fn settle_waiters(
    txn: &DatabaseTransaction,
    key: Key,
    change: bookings::ActiveModel,
) -> Result<Vec<ClassId>, DbErr> {
    let rows = waiting(key).all(txn).await?;
    let ids: Vec<ClassId> = rows.into_iter().filter_map(|b| b.class_id.parse().ok()).collect();
    bookings::Entity::update_many()
        .set(bookings::ActiveModel { updated_at: Set(now_ms()), ..change })
        .filter(bookings::Column::ClassId.is_in(ids.iter().map(ClassId::as_str)))
        .exec(txn)
        .await?;
    Ok(ids)
}

/// Every waiting booking of `key` goes on with `url`.
async fn release_waiters(txn: &DatabaseTransaction, key: Key, url: &str) -> Result<Vec<After>, DbErr> {
    let change = bookings::ActiveModel {
        state: Set(BookingState::Queued),
        source_url: Set(Some(url.to_owned())),
        reason: Set(None),
        ..Default::default()
    };
    Ok(settle_waiters(txn, key, change).await?.into_iter().map(After::Book).collect())
}

/// Every waiting booking of `key` fails with `reason`.
async fn fail_waiters(txn: &DatabaseTransaction, key: Key, reason: &str) -> Result<Vec<After>, DbErr> {
    let change = bookings::ActiveModel {
        state: Set(BookingState::Failed),
        reason: Set(Some(reason.to_owned())),
        ..Default::default()
    };
    Ok(settle_waiters(txn, key, change).await?.into_iter().map(After::Notify).collect())
}

async fn keep_unmatched(
    txn: &DatabaseTransaction,
    key: Key,
    result: Option<&TranscodeResult>,
) -> Result<Vec<After>, DbErr> {
    let message = result.map_or(serde_json::Value::Null, |r| r.message.clone());
    let row = unmatched_results::ActiveModel {
        record_id: Set(Some(key.record_id.get())),
        resolution: Set(Some(key.resolution.to_string())),
        message: Set(message),
        received_at: Set(now_ms()),
        ..Default::default()
    };
    unmatched_results::Entity::insert(row).exec_without_returning(txn).await?;
    let message = format!(
        "a transcode result for record {} {} matches no transcode; kept for inspection",
        key.record_id, key.resolution
    );
    Ok(vec![After::Alarm { kind: "unknown_transcode_result", message }])
}
