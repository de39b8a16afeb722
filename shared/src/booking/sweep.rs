//! Bookings the sweeper looks after.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::{
    app::App,
    db::{bookings, now_ms},
    domain::{BookingState, ClassId},
    queue::{Job, JobError, booking::BookingJob, notify::NotifyJob},
};

/// A booking still undecided after this long has lost its job (deciding takes milliseconds).
pub const LOST_AFTER_MS: i64 = 5 * 60 * 1000;

/// Queues the decision job again for every booking that has waited too long for it.
pub async fn requeue_lost(app: &App) -> Result<usize, JobError> {
    let stale = bookings::Entity::find()
        .filter(bookings::Column::State.eq(BookingState::Queued))
        .filter(bookings::Column::Node.is_null());
    requeue_stale(app, stale, |class_id| BookingJob { class_id }).await
}

/// Queues the result again for every settled booking whose result was never sent (a crash
/// between settling it and queueing its `notify` job).
pub async fn renotify_lost(app: &App) -> Result<usize, JobError> {
    let stale = bookings::Entity::find()
        .filter(bookings::Column::State.is_in([BookingState::Ready, BookingState::Failed]))
        .filter(bookings::Column::NotifiedAt.is_null());
    requeue_stale(app, stale, |class_id| NotifyJob { class_id }).await
}

/// Queues `job(class_id)` for every booking `select` finds untouched for `LOST_AFTER_MS`.
async fn requeue_stale<J: Job>(
    app: &App,
    select: sea_orm::Select<bookings::Entity>,
    job: impl Fn(ClassId) -> J,
) -> Result<usize, JobError> {
    let stale = select.filter(bookings::Column::UpdatedAt.lt(now_ms() - LOST_AFTER_MS)).all(&app.db.conn).await?;
    let mut count = 0;
    for class_id in stale.iter().filter_map(|b| b.class_id.parse::<ClassId>().ok()) {
        app.queues.enqueue(job(class_id), None).await?;
        count += 1;
    }
    Ok(count)
}
