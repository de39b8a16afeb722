//! The transcode table and the rules applied to it, inside the caller's transaction: the
//! transcode row is locked first, so a booking that starts to wait and a result that releases
//! the waiters never miss each other. What must happen after commit is returned as effects.

use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, ExprTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, OnConflict},
};

use super::{result::Change, source::Sources};
use crate::{
    config::Settings,
    db::{bookings, now_ms, transcodes, unmatched_results},
    domain::{BookingState, ClassId, Effect, Provider, RetryStatus, TranscodeKey, TranscodeResult, TranscodeState},
};

/// The transcode of `key`.
pub async fn find(conn: &impl ConnectionTrait, key: TranscodeKey) -> Result<Option<transcodes::Model>, DbErr> {
    transcodes::Entity::find().filter(transcodes::of(key)).one(conn).await
}

/// The transcode, locked for the rest of the transaction (SQLite's IMMEDIATE transactions
/// already hold the write lock; PostgreSQL takes the row's).
pub async fn lock(txn: &DatabaseTransaction, key: TranscodeKey) -> Result<Option<transcodes::Model>, DbErr> {
    let select = transcodes::Entity::find().filter(transcodes::of(key));
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        return select.lock_exclusive().one(txn).await;
    }
    select.one(txn).await
}

/// The transcode, if it is still in progress with `provider` (else its job has nothing to do).
pub async fn in_progress(
    conn: &impl ConnectionTrait,
    key: TranscodeKey,
    provider: Provider,
) -> Result<Option<transcodes::Model>, DbErr> {
    let found = find(conn, key).await?;
    Ok(found.filter(|t| t.state == TranscodeState::Transcoding && t.provider == Some(provider)))
}

/// What the transcode may be made from, as stored with it.
pub fn sources_of(transcode: &transcodes::Model) -> Sources {
    transcode.sources.clone().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default()
}

/// Changes the transcode of `key`, only while it is in one of `states` (all states when
/// empty). Returns whether a row changed.
pub async fn update(
    conn: &impl ConnectionTrait,
    key: TranscodeKey,
    states: &[TranscodeState],
    mut change: transcodes::ActiveModel,
) -> Result<bool, DbErr> {
    // On the database's clock: workers on many machines write it, and the sweeper reads it
    // (`lost::silent_ecs`).
    change.updated_at = NotSet;
    let now = crate::db::clock::db_now_ms(conn.get_database_backend());
    let mut update = transcodes::Entity::update_many()
        .set(change)
        .col_expr(transcodes::Column::UpdatedAt, now)
        .filter(transcodes::of(key));
    if !states.is_empty() {
        update = update.filter(transcodes::Column::State.is_in(states.iter().copied()));
    }
    Ok(update.exec(conn).await?.rows_affected > 0)
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
    key: TranscodeKey,
    provider: Provider,
    sources: &Sources,
    settings: &Settings,
) -> Result<bool, DbErr> {
    start_from(txn, key, provider, sources, settings, &[TranscodeState::Failed, TranscodeState::TimedOut]).await
}

/// `start`, setting the transcode back to transcoding from any of `from` (a succeeded one
/// whose URL is unusable is made again).
pub async fn start_from(
    txn: &DatabaseTransaction,
    key: TranscodeKey,
    provider: Provider,
    sources: &Sources,
    settings: &Settings,
    from: &[TranscodeState],
) -> Result<bool, DbErr> {
    let now = now_ms();
    let row = transcodes::ActiveModel {
        record_id: Set(key.record_id.get()),
        resolution: Set(key.resolution.to_string()),
        state: Set(TranscodeState::Transcoding),
        provider: Set(Some(provider)),
        source_url: Set(None),
        url: Set(None),
        reason: Set(None),
        progress: Set(None),
        deadline_at: Set(Some(deadline(settings, provider))),
        created_at: Set(now),
        updated_at: Set(now),
        sources: Set(Some(serde_json::to_value(sources).unwrap_or_default())),
        oss_job_id: Set(None),
        retry: Set(None),
    };
    let restart = transcodes::ActiveModel { created_at: NotSet, record_id: NotSet, resolution: NotSet, ..row.clone() };
    if update(txn, key, from, restart).await? {
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

/// The transcode's job (with `provider`) failed and waits for its next attempt: its status
/// shows it until the transcode changes.
pub async fn set_retry(
    conn: &impl ConnectionTrait,
    key: TranscodeKey,
    provider: Provider,
    retry: &RetryStatus,
) -> Result<(), DbErr> {
    transcodes::Entity::update_many()
        .col_expr(transcodes::Column::Retry, Expr::value(serde_json::to_value(retry).unwrap_or_default()))
        .filter(transcodes::of(key))
        .filter(transcodes::Column::State.eq(TranscodeState::Transcoding))
        .filter(transcodes::Column::Provider.eq(provider))
        .exec(conn)
        .await
        .map(drop)
}

/// Records why the transcode is in its state (shown by `GET /api/transcodes`).
pub async fn explain(conn: &impl ConnectionTrait, key: TranscodeKey, reason: &str) -> Result<(), DbErr> {
    let change = transcodes::ActiveModel { reason: Set(Some(reason.to_owned())), ..Default::default() };
    update(conn, key, &[], change).await.map(drop)
}

/// Applies `change` to the transcode `key` (and its waiting bookings).
pub async fn apply(
    txn: &DatabaseTransaction,
    key: TranscodeKey,
    change: &Change,
    result: Option<&TranscodeResult>,
    settings: &Settings,
) -> Result<Vec<Effect>, DbErr> {
    // Whatever the result does, a retry announced before it is over.
    let mut row = transcodes::ActiveModel { retry: Set(None), ..Default::default() };
    let effects = match change {
        Change::Unknown => return keep_unmatched(txn, key, result).await,
        Change::Ignore { why } => {
            tracing::info!(record_id = %key.record_id, resolution = %key.resolution, why, "transcode result ignored");
            return Ok(Vec::new());
        }
        Change::Succeed { url, .. } => {
            row.state = Set(TranscodeState::Succeeded);
            row.url = Set(Some(url.as_str().to_owned()));
            row.progress = Set(Some(100));
            row.reason = Set(None);
            release_waiters(txn, key, url.as_str()).await?
        }
        Change::ToEcs { reason } => {
            row.provider = Set(Some(Provider::Ecs));
            row.deadline_at = Set(Some(deadline(settings, Provider::Ecs)));
            row.reason = Set(Some(format!("oss: {reason}")));
            row.progress = Set(None);
            vec![Effect::SubmitEcs(key)]
        }
        Change::Fail { reason } | Change::TimeOut { reason } => {
            let state =
                if matches!(change, Change::Fail { .. }) { TranscodeState::Failed } else { TranscodeState::TimedOut };
            row.state = Set(state);
            row.reason = Set(Some(reason.clone()));
            fail_waiters(txn, key, &format!("transcode failed: {reason}")).await?
        }
    };
    update(txn, key, &[], row).await?;
    Ok(effects)
}

fn waiting(key: TranscodeKey) -> sea_orm::Select<bookings::Entity> {
    bookings::Entity::find()
        .filter(bookings::Column::RecordId.eq(key.record_id.get()))
        .filter(bookings::Column::Resolution.eq(key.resolution.as_str()))
        .filter(bookings::Column::State.eq(BookingState::WaitingTranscode))
}

/// Applies `change` to every booking waiting for `key`, in this one transaction; returns them.
async fn settle_waiters(
    txn: &DatabaseTransaction,
    key: TranscodeKey,
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
async fn release_waiters(txn: &DatabaseTransaction, key: TranscodeKey, url: &str) -> Result<Vec<Effect>, DbErr> {
    let change = bookings::ActiveModel {
        state: Set(BookingState::Queued),
        source_url: Set(Some(url.to_owned())),
        reason: Set(None),
        ..Default::default()
    };
    Ok(settle_waiters(txn, key, change).await?.into_iter().map(Effect::Book).collect())
}

/// Every waiting booking of `key` fails with `reason`.
async fn fail_waiters(txn: &DatabaseTransaction, key: TranscodeKey, reason: &str) -> Result<Vec<Effect>, DbErr> {
    let change = bookings::ActiveModel {
        state: Set(BookingState::Failed),
        reason: Set(Some(reason.to_owned())),
        settled_at: Set(Some(now_ms())),
        ..Default::default()
    };
    Ok(settle_waiters(txn, key, change).await?.into_iter().map(Effect::Notify).collect())
}

async fn keep_unmatched(
    txn: &DatabaseTransaction,
    key: TranscodeKey,
    result: Option<&TranscodeResult>,
) -> Result<Vec<Effect>, DbErr> {
    let message = result.map_or(serde_json::Value::Null, |r| r.message.clone());
    let row = unmatched_results::ActiveModel {
        record_id: Set(Some(key.record_id.get())),
        resolution: Set(Some(key.resolution.to_string())),
        message: Set(message),
        received_at: Set(now_ms()),
        ..Default::default()
    };
    unmatched_results::Entity::insert(row).exec_without_returning(txn).await?;
    let message = format!("a transcode result for {key} matches no transcode; kept for inspection");
    Ok(vec![Effect::Alarm { kind: crate::tools::alarm::UNKNOWN_TRANSCODE_RESULT.into(), message }])
}

/// How many transcodes are in each state, by provider (`None` before one took it); the
/// pairs with none left out.
pub async fn count_by_state(
    conn: &impl ConnectionTrait,
) -> Result<Vec<(TranscodeState, Option<Provider>, i64)>, DbErr> {
    transcodes::Entity::find()
        .select_only()
        .column(transcodes::Column::State)
        .column(transcodes::Column::Provider)
        .column_as(Expr::col(transcodes::Column::RecordId).count(), "n")
        .group_by(transcodes::Column::State)
        .group_by(transcodes::Column::Provider)
        .into_tuple()
        .all(conn)
        .await
}
