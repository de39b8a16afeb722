//! Taking a booking in (API, bridge, CLI): store it, then queue its decision. A class id is
//! one booking: submitting it again returns the booking as it stands, unless it failed, in
//! which case it is taken in again.

use sea_orm::{ActiveModelTrait, DbErr, EntityTrait};

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
    let txn = app.db.write_txn().await?;
    let existing = store::find(&txn, booking.class_id.as_str()).await?;
    let (row, created) = match existing {
        None => (store::new_row(&booking).insert(&txn).await?, true),
        Some(old) if old.state == BookingState::Failed => {
            (store::requeue(&txn, &old, &booking).await?, true)
        }
        Some(old) => (old, false),
    };
    txn.commit().await?;

    // A queued booking gets its job (again: the decision is idempotent, and a job lost to a
    // crash between commit and enqueue is found this way too).
    if row.state == BookingState::Queued {
        let job = BookingJob {
            class_id: booking.class_id.clone(),
        };
        if let Err(err) = app.queues.enqueue(job, None).await {
            if created {
                undo_insert(app, &row).await;
            }
            return Err(err.into());
        }
    }
    tracing::info!(class_id = %row.class_id, record_id = row.record_id, created, "booking taken in");
    Ok(if created {
        Submitted::Created(row)
    } else {
        Submitted::Existing(row)
    })
}

/// The queue refused the job: take the row back out, so a failed submission changes nothing.
async fn undo_insert(app: &App, row: &bookings::Model) {
    let deleted = bookings::Entity::delete_by_id(row.class_id.clone())
        .exec(&app.db.conn)
        .await;
    if let Err(err) = deleted {
        tracing::error!(class_id = %row.class_id, %err, "could not undo a booking whose job was refused");
    }
}
