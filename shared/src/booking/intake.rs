//! Taking a booking in (API, bridge, CLI): store it; its decision is the effect it leaves. A
//! class id is one booking: submitting it again returns the booking as it stands, unless it
//! failed (and its class has not ended), in which case it is taken in again.

use sea_orm::{ActiveModelTrait, DbErr, EntityTrait, IntoActiveModel, TryInsertResult};

use super::store;
use crate::{
    db::{Database, bookings},
    domain::{Booking, BookingState, Effect},
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

enum Taken {
    New,
    /// A failed booking taken in again; the row as it was.
    Again(Box<bookings::Model>),
    Existing,
}

/// A booking as stored by `take_in`, with what it needs next.
pub struct TakenIn {
    row: bookings::Model,
    booking: Booking,
    taken: Taken,
}

/// Inserts the booking, or finds it; two submissions of one class at once store one row.
pub async fn take_in(db: &Database, booking: Booking) -> Result<TakenIn, DbErr> {
    let txn = db.write_txn().await?;
    let inserted = bookings::Entity::insert(store::new_row(&booking))
        .on_conflict_do_nothing_on([bookings::Column::ClassId])
        .exec(&txn)
        .await?;
    let class_id = &booking.class_id;
    let found = store::find(&txn, class_id).await?;
    let found = found.ok_or_else(|| DbErr::RecordNotFound(format!("booking {class_id}")))?;
    let (row, taken) = match found {
        row if matches!(inserted, TryInsertResult::Inserted(_)) => (row, Taken::New),
        old if old.state == BookingState::Failed && old.ended_at.is_none() => {
            (store::requeue(&txn, &old, &booking).await?, Taken::Again(Box::new(old)))
        }
        row => (row, Taken::Existing),
    };
    txn.commit().await?;
    Ok(TakenIn { row, booking, taken })
}

impl TakenIn {
    /// A booking taken in now gets its decision. One submitted again changes nothing: its
    /// decision is under way (a job lost to a crash between commit and enqueue is found by the
    /// sweeper, `booking::sweep::lost_decisions`), so a retrying web app or two bridges hearing
    /// one message queue no second decision.
    pub fn effects(&self) -> Vec<Effect> {
        match self.taken {
            Taken::New | Taken::Again(_) => vec![Effect::Book(self.booking.class_id.clone())],
            Taken::Existing => vec![],
        }
    }

    pub fn submitted(self) -> Submitted {
        let created = !matches!(self.taken, Taken::Existing);
        tracing::info!(class_id = %self.row.class_id, record_id = self.row.record_id, created, "booking taken in");
        if created { Submitted::Created(self.row) } else { Submitted::Existing(self.row) }
    }

    /// Its effects could not be sent on (the queue refused the job): puts the row back as it
    /// was, so a failed submission changes nothing.
    pub async fn undo(self, db: &Database) {
        let undone = match self.taken {
            Taken::New => bookings::Entity::delete_by_id(self.row.class_id.clone()).exec(&db.conn).await.map(drop),
            Taken::Again(old) => old.into_active_model().reset_all().update(&db.conn).await.map(drop),
            Taken::Existing => Ok(()),
        };
        if let Err(err) = undone {
            tracing::error!(class_id = %self.row.class_id, %err, "could not undo a booking whose job was refused");
        }
    }
}
