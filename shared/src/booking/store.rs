//! The queries bookings need.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbErr,
    EntityTrait, ExprTrait, QueryFilter, QuerySelect, sea_query::Expr,
};

use crate::{
    db::{bookings, now_ms},
    domain::{Booking, BookingState, ClassId, RetryStatus},
};

pub async fn find(conn: &impl ConnectionTrait, class_id: &ClassId) -> Result<Option<bookings::Model>, DbErr> {
    bookings::Entity::find_by_id(class_id.as_str().to_owned()).one(conn).await
}

/// The booking, locked until `txn` ends (PostgreSQL: `FOR UPDATE`; a SQLite write
/// transaction holds the whole database already), so that what is decided from it cannot be
/// overtaken by a transaction that committed in between (a placement while the class ends).
pub async fn lock(txn: &DatabaseTransaction, class_id: &ClassId) -> Result<Option<bookings::Model>, DbErr> {
    let select = bookings::Entity::find_by_id(class_id.as_str().to_owned());
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        return select.lock_exclusive().one(txn).await;
    }
    select.one(txn).await
}

/// The new row of a booking just taken in: `queued`, its message kept whole.
pub fn new_row(booking: &Booking) -> bookings::ActiveModel {
    let now = now_ms();
    bookings::ActiveModel {
        class_id: Set(booking.class_id.to_string()),
        record_id: Set(booking.record_id.get()),
        resolution: Set(booking.video_resolution.map(|r| r.to_string())),
        org_id: Set(booking.org_id.as_ref().map(ToString::to_string)),
        course_name: Set(booking.course_name.clone()),
        source_url: Set(None),
        node: Set(booking.node.as_ref().map(ToString::to_string)),
        placed_at: Set(booking.node.as_ref().map(|_| now)),
        state: Set(BookingState::Queued),
        reason: Set(None),
        video_path: Set(None),
        message: Set(booking.to_value()),
        class_end_at: Set(booking.class_end_at),
        class_start_at: Set(booking.class_start_at),
        settled_at: Set(None),
        notifying_until: Set(None),
        ended_at: Set(None),
        end_acked_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        notified_at: Set(None),
        retry: Set(None),
    }
}

/// Moves a booking to `state`, only if it is still in one of `from` (so a late or repeated
/// job never moves a settled booking back). Returns whether it moved.
pub async fn transition(
    conn: &impl ConnectionTrait,
    class_id: &ClassId,
    from: &[BookingState],
    change: impl FnOnce(&mut bookings::ActiveModel),
) -> Result<bool, DbErr> {
    let now = now_ms();
    let mut row = bookings::ActiveModel { updated_at: Set(now), ..Default::default() };
    change(&mut row);
    if let sea_orm::ActiveValue::Set(state) = row.state {
        // A retry of the job that moved it is over.
        row.retry = Set(None);
        if state.is_settled() {
            row.settled_at = Set(Some(now));
        }
    }
    let result = bookings::Entity::update_many()
        .set(row)
        .filter(bookings::Column::ClassId.eq(class_id))
        .filter(bookings::Column::State.is_in(from.iter().copied()))
        .exec(conn)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Shows that the booking's decision waits for its next attempt (only while it is queued).
pub async fn set_retry(conn: &impl ConnectionTrait, class_id: &ClassId, retry: &RetryStatus) -> Result<(), DbErr> {
    bookings::Entity::update_many()
        .col_expr(bookings::Column::Retry, Expr::value(serde_json::to_value(retry).unwrap_or_default()))
        .filter(bookings::Column::ClassId.eq(class_id))
        .filter(bookings::Column::State.eq(BookingState::Queued))
        .exec(conn)
        .await
        .map(drop)
}

/// Fails a booking that has not settled, with the reason users will read.
pub async fn fail(conn: &impl ConnectionTrait, class_id: &ClassId, reason: &str) -> Result<bool, DbErr> {
    transition(conn, class_id, &BookingState::UNSETTLED, |row| {
        row.state = Set(BookingState::Failed);
        row.reason = Set(Some(reason.to_owned()));
    })
    .await
}

/// Takes a failed booking in again with its new message (it keeps its creation time).
pub async fn requeue(
    conn: &impl ConnectionTrait,
    existing: &bookings::Model,
    booking: &Booking,
) -> Result<bookings::Model, DbErr> {
    let mut row = new_row(booking);
    row.created_at = Set(existing.created_at);
    row.update(conn).await
}

/// How many bookings are in each state (the states with none left out).
pub async fn count_by_state(conn: &impl ConnectionTrait) -> Result<Vec<(BookingState, i64)>, DbErr> {
    bookings::Entity::find()
        .select_only()
        .column(bookings::Column::State)
        .column_as(Expr::col(bookings::Column::ClassId).count(), "n")
        .group_by(bookings::Column::State)
        .into_tuple()
        .all(conn)
        .await
}

/// How long a claim on a result's send holds: a crashed sender's result is sent again after it.
pub const RESULT_SEND_CLAIM: std::time::Duration = std::time::Duration::from_secs(60);

/// The claim on a result's send, set where a booking settles: the job that settled it sends it
/// right after the commit (`Effect::SendResult`).
pub fn claim_in_settling(row: &mut bookings::ActiveModel) {
    row.notifying_until = Set(Some(now_ms() + RESULT_SEND_CLAIM.as_millis() as i64));
}

/// Records the results of `classes` sent (each claimed by the caller): one statement.
pub async fn results_sent(conn: &impl ConnectionTrait, classes: &[ClassId]) -> Result<(), DbErr> {
    bookings::Entity::update_many()
        .col_expr(bookings::Column::NotifiedAt, Expr::value(now_ms()))
        .col_expr(bookings::Column::NotifyingUntil, Expr::value(None::<i64>))
        .filter(bookings::Column::ClassId.is_in(classes.iter().map(ClassId::as_str)))
        .filter(bookings::Column::NotifiedAt.is_null())
        .exec(conn)
        .await
        .map(drop)
}

/// Takes the send of a settled booking's result, unless it was sent or another sender holds it
/// (a claim lapses after `hold`, so a crashed sender's result is sent again). Returns whether
/// this caller has it.
pub async fn claim_result_send(
    conn: &impl ConnectionTrait,
    class_id: &ClassId,
    hold: std::time::Duration,
) -> Result<bool, DbErr> {
    let now = now_ms();
    let free =
        Condition::any().add(bookings::Column::NotifyingUntil.is_null()).add(bookings::Column::NotifyingUntil.lt(now));
    let claimed = bookings::Entity::update_many()
        .col_expr(bookings::Column::NotifyingUntil, Expr::value(now + hold.as_millis() as i64))
        .filter(bookings::Column::ClassId.eq(class_id))
        .filter(bookings::Column::State.is_in(BookingState::SETTLED))
        .filter(bookings::Column::NotifiedAt.is_null())
        .filter(free)
        .exec(conn)
        .await?;
    Ok(claimed.rows_affected > 0)
}

/// Ends a send this caller claimed: recorded sent, or let go for the next try.
pub async fn result_send_ended(conn: &impl ConnectionTrait, class_id: &ClassId, sent: bool) -> Result<(), DbErr> {
    let sent_at = sent.then(now_ms);
    bookings::Entity::update_many()
        .col_expr(bookings::Column::NotifiedAt, Expr::value(sent_at))
        .col_expr(bookings::Column::NotifyingUntil, Expr::value(None::<i64>))
        .filter(bookings::Column::ClassId.eq(class_id))
        .filter(bookings::Column::NotifiedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}
