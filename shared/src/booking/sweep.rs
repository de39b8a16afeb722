//! Bookings the sweeper looks after.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::{
    app::App,
    db::{bookings, now_ms},
    domain::{BookingState, ClassId},
    queue::{JobError, booking::BookingJob, notify::NotifyJob},
};

/// A booking still undecided after this long has lost its job (deciding takes milliseconds).
pub const LOST_AFTER_MS: i64 = 5 * 60 * 1000;

/// Queues the decision job again for every booking that has waited too long for it.
pub async fn requeue_lost(app: &App) -> Result<usize, JobError> {
    let stale = bookings::Entity::find()
        .filter(bookings::Column::State.eq(BookingState::Queued))
        .filter(bookings::Column::Node.is_null())
        .filter(bookings::Column::UpdatedAt.lt(now_ms() - LOST_AFTER_MS))
        .all(&app.db.conn)
        .await?;
    let mut count = 0;
    for booking in stale {
        let Ok(class_id) = booking.class_id.parse::<ClassId>() else {
            continue;
        };
        app.queues.enqueue(BookingJob { class_id }, None).await?;
        count += 1;
    }
    Ok(count)
}

/// Queues the result again for every settled booking whose result was never sent (a crash
/// between settling it and queueing its `notify` job).
pub async fn renotify_lost(app: &App) -> Result<usize, JobError> {
    let stale = bookings::Entity::find()
        .filter(bookings::Column::State.is_in([BookingState::Ready, BookingState::Failed]))
        .filter(bookings::Column::NotifiedAt.is_null())
        .filter(bookings::Column::UpdatedAt.lt(now_ms() - LOST_AFTER_MS))
        .all(&app.db.conn)
        .await?;
    let mut count = 0;
    for booking in stale {
        let Ok(class_id) = booking.class_id.parse::<ClassId>() else {
            continue;
        };
        app.queues.enqueue(NotifyJob { class_id }, None).await?;
        count += 1;
    }
    Ok(count)
}
