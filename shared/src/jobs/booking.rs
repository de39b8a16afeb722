//! `booking`: decides what a booking needs (docs/design/bookings-and-transcodes.md "The booking
//! decision") and sends it on; also taking a booking in (`submit`), whose decision is this job.

use super::payloads::BookingJob;
use super::{apply, apply_stashed};
use crate::{
    app::App,
    booking::{
        self, Submitted,
        apply::on_transcode,
        class_end::{self, Ended},
        dispatch::{self, SendOn},
        store,
    },
    db::DbError,
    domain::{Booking, ClassId, Effect, RetryStatus},
};
use vteacher_queue::{Job, JobError, QueueError, RetryNotice};

impl Job for BookingJob {
    const QUEUE: &'static str = "booking";
    const FETCH_AHEAD: bool = true;
    type Context = App;

    fn unique_key(&self) -> Option<String> {
        Some(self.class_id.to_string())
    }

    fn span(&self) -> tracing::Span {
        tracing::info_span!("booking", class_id = %self.class_id)
    }

    async fn run(&self, app: &App) -> Result<(), JobError> {
        let download = match dispatch::send_on(&app.db, &app.directory, &app.settings, &self.class_id).await? {
            SendOn::Nothing => None, // decided before (this is a repeated delivery)
            SendOn::Download(download) => Some(download),
            SendOn::NeedsTranscode(pending) => {
                let decided = on_transcode(&app.db, &app.settings, &pending.booking).await?;
                apply_stashed(app, decided.effects).await;
                match decided.download {
                    // Placed by another delivery meanwhile (None): that one queues it.
                    Some(url) => dispatch::to_node_now(&app.db, &app.directory, &app.settings, &pending, url).await?,
                    None => None, // waits for its transcode, or failed
                }
            }
        };
        Ok(apply(app, download.into_iter().collect()).await?)
    }

    async fn on_retry(&self, app: &App, notice: &RetryNotice) {
        let retry = &RetryStatus::from(notice);
        if let Err(err) = store::set_retry(&app.db.conn, &self.class_id, retry).await {
            tracing::debug!(class_id = %self.class_id, %err, "could not show the retry on the booking");
        }
    }

    async fn give_up(&self, app: &App, error: &JobError) -> Result<(), JobError> {
        fail_and_notify(app, &self.class_id, error.reason()).await
    }
}

/// Fails a booking that has not settled and queues its failure result.
pub(super) async fn fail_and_notify(app: &App, class_id: &ClassId, reason: &str) -> Result<(), JobError> {
    if store::fail(&app.db.conn, class_id, reason).await.map_err(DbError::from)? {
        tracing::warn!(%class_id, reason, "booking failed");
    }
    // Queued even when an earlier delivery failed it: that one may have died before this line.
    Ok(apply(app, vec![Effect::Notify(class_id.clone())]).await?)
}

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// A class is over (API, bridge, CLI, the sweeper at `class_end_at`): the first end marks its
/// booking ended (cancelled if its video was not ready) and tells its node; the rest change
/// nothing. Its effects wait in the outbox until sent: when the queue refuses them now, the
/// sweeper sends them.
pub async fn end_class(app: &App, class_id: &ClassId) -> Result<Ended, IntakeError> {
    let ended = class_end::end(&app.db, class_id).await?;
    if let Ended::Now { effects, .. } = &ended {
        apply_stashed(app, effects.clone()).await;
    }
    Ok(ended)
}

/// Takes a booking in (API, bridge, CLI): stores it, then queues its decision. When the queue
/// refuses, the row is put back as it was: a failed submission changes nothing.
pub async fn submit(app: &App, booking: Booking) -> Result<Submitted, IntakeError> {
    let taken = booking::take_in(&app.db, booking).await?;
    if let Err(err) = apply(app, taken.effects()).await {
        taken.undo(&app.db).await;
        return Err(err.into());
    }
    Ok(taken.submitted())
}
