//! Bookings the sweeper looks after: those whose job was lost (a crash between a commit and
//! the enqueue after it). Each is returned as the effect that sends it on again.

use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter};

use crate::{
    db::{Database, bookings, now_ms},
    domain::{BookingState, ClassId, Effect},
};

/// A booking still undecided after this long has lost its job (deciding takes milliseconds).
pub const LOST_AFTER_MS: i64 = 5 * 60 * 1000;

/// A decision again for every booking that has waited too long for it.
pub async fn lost_decisions(db: &Database) -> Result<Vec<Effect>, DbErr> {
    let stale = bookings::Entity::find()
        .filter(bookings::Column::State.eq(BookingState::Queued))
        .filter(bookings::Column::Node.is_null());
    Ok(stale_ids(db, stale).await?.into_iter().map(Effect::Book).collect())
}

/// The result again for every settled booking whose result was never sent (a crash between
/// settling it and queueing its result).
pub async fn unsent_results(db: &Database) -> Result<Vec<Effect>, DbErr> {
    let stale = bookings::Entity::find()
        .filter(bookings::Column::State.is_in([BookingState::Ready, BookingState::Failed]))
        .filter(bookings::Column::NotifiedAt.is_null());
    Ok(stale_ids(db, stale).await?.into_iter().map(Effect::Notify).collect())
}

/// The bookings `select` finds untouched for `LOST_AFTER_MS`.
async fn stale_ids(db: &Database, select: sea_orm::Select<bookings::Entity>) -> Result<Vec<ClassId>, DbErr> {
    let stale = select.filter(bookings::Column::UpdatedAt.lt(now_ms() - LOST_AFTER_MS)).all(&db.conn).await?;
    Ok(stale.iter().filter_map(|b| b.class_id.parse::<ClassId>().ok()).collect())
}
