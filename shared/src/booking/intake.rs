//! Taking a booking in (API, bridge, CLI): store it, then queue its decision. A class id is
//! one booking: submitting it again returns the booking as it stands, unless it failed, in
//! which case it is taken in again.

use sea_orm::{ActiveModelTrait, DbErr, EntityTrait, IntoActiveModel, TryInsertResult};

use super::store;
use crate::{
    app::App,
    db::bookings,
    domain::{Booking, BookingState},
    queue::{QueueError, booking::BookingJob},
};

#[derive(Debug)]
pub enum Submitted {
    /// Taken in now (new, or a failed one again).
    Created(bookings::Model),
    /// Already known and under way or settled; nothing changed.
    Existing(bookings::Model),
}

impl Submitted {
    pub fn booking(&self) -> &bookings::Model {
        match self {
            Self::Created(b) | Self::Existing(b) => b,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

pub async fn submit(app: &App, booking: Booking) -> Result<Submitted, IntakeError> {
    let (row, taken) = store_booking(app, &booking).await?;
    // A queued booking gets its job (again: the decision is idempotent, and a job lost to a
    // crash between commit and enqueue is found this way too).
    if row.state == BookingState::Queued {
        let job = BookingJob { class_id: booking.class_id.clone() };
        if let Err(err) = app.queues.enqueue(job, None).await {
            undo(app, &row, taken).await;
            return Err(err.into());
        }
    }
    let created = !matches!(taken, Taken::Existing);
    tracing::info!(class_id = %row.class_id, record_id = row.record_id, created, "booking taken in");
    Ok(if created { Submitted::Created(row) } else { Submitted::Existing(row) })
}

enum Taken {
    New,
    /// A failed booking taken in again; the row as it was.
    Again(Box<bookings::Model>),
    Existing,
}

/// Inserts the booking, or finds it; two submissions of one class at once store one row.
async fn store_booking(app: &App, booking: &Booking) -> Result<(bookings::Model, Taken), DbErr> {
    let txn = app.db.write_txn().await?;
    let inserted = bookings::Entity::insert(store::new_row(booking))
        .on_conflict_do_nothing_on([bookings::Column::ClassId])
        .exec(&txn)
        .await?;
    let class_id = booking.class_id.as_str();
    let found = store::find(&txn, class_id).await?;
    let found = found.ok_or_else(|| DbErr::RecordNotFound(format!("booking {class_id}")))?;
    let result = match found {
        row if matches!(inserted, TryInsertResult::Inserted(_)) => (row, Taken::New),
        old if old.state == BookingState::Failed => {
            (store::requeue(&txn, &old, booking).await?, Taken::Again(Box::new(old)))
        }
        row => (row, Taken::Existing),
    };
    txn.commit().await?;
    Ok(result)
}

/// The queue refused the job: put the row back as it was, so a failed submission changes
/// nothing.
async fn undo(app: &App, row: &bookings::Model, taken: Taken) {
    let undone = match taken {
        Taken::New => bookings::Entity::delete_by_id(row.class_id.clone()).exec(&app.db.conn).await.map(drop),
        Taken::Again(old) => old.into_active_model().reset_all().update(&app.db.conn).await.map(drop),
        Taken::Existing => Ok(()),
    };
    if let Err(err) = undone {
        tracing::error!(class_id = %row.class_id, %err, "could not undo a booking whose job was refused");
    }
}
