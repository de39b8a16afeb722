//! `notify`: publishes a settled booking's result (回调) on `CHANNEL_RESULT` and POSTs it to
//! `RESULT_WEBHOOK_URL` when set. One send per outcome, whatever is queued twice: the job
//! claims the send in the database first (another job leaves a claimed or sent result alone),
//! sends, then records it sent. A crash between sending and recording can repeat it once; the
//! result's stable `result_id` lets the receiver drop that repeat.

use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, sea_query::Expr};
use serde::{Deserialize, Serialize};

use crate::{
    app::App,
    booking::{store, wire_result},
    config::Settings,
    db::{bookings, now_ms},
    domain::{BookingState, ClassId},
    queue::{Job, JobError},
    tools::webhook,
};

/// How long a claim on a send holds: a crashed sender's result is sent again after it.
const CLAIM_MS: i64 = 60_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NotifyJob {
    pub class_id: ClassId,
}

impl Job for NotifyJob {
    const QUEUE: &'static str = "notify";
    type Context = App;

    fn concurrency(_settings: &Settings) -> usize {
        8
    }

    fn span(&self) -> tracing::Span {
        tracing::info_span!("notify", class_id = %self.class_id)
    }

    async fn run(&self, app: &App) -> Result<(), JobError> {
        if !claim(app, &self.class_id).await? {
            return Ok(()); // sent, being sent, or not settled: nothing to do
        }
        let sent = send(app, &self.class_id).await;
        let column = if sent.is_ok() { bookings::Column::NotifiedAt } else { bookings::Column::NotifyingUntil };
        let value = if sent.is_ok() { Some(now_ms()) } else { None };
        bookings::Entity::update_many()
            .col_expr(column, Expr::value(value))
            .col_expr(bookings::Column::NotifyingUntil, Expr::value(None::<i64>))
            .filter(bookings::Column::ClassId.eq(self.class_id.as_str()))
            .exec(&app.db.conn)
            .await?;
        sent
    }
}

/// Takes the send of a settled, unsent result for this job; `false` when another has it.
async fn claim(app: &App, class_id: &ClassId) -> Result<bool, JobError> {
    let now = now_ms();
    let free =
        Condition::any().add(bookings::Column::NotifyingUntil.is_null()).add(bookings::Column::NotifyingUntil.lt(now));
    let claimed = bookings::Entity::update_many()
        .col_expr(bookings::Column::NotifyingUntil, Expr::value(now + CLAIM_MS))
        .filter(bookings::Column::ClassId.eq(class_id.as_str()))
        .filter(bookings::Column::State.is_in(BookingState::SETTLED))
        .filter(bookings::Column::NotifiedAt.is_null())
        .filter(free)
        .exec(&app.db.conn)
        .await?;
    Ok(claimed.rows_affected > 0)
}

async fn send(app: &App, class_id: &ClassId) -> Result<(), JobError> {
    let Some(row) = store::find(&app.db.conn, class_id.as_str()).await? else {
        return Err(JobError::abort("no such booking"));
    };
    let Some(result) = wire_result(&row) else { return Ok(()) };
    if let Some(publisher) = &app.publisher {
        publisher.publish(&app.settings.channel_result, &result).await?;
    }
    if let Some(url) = &app.settings.result_webhook_url {
        webhook::post_json(&app.http, url, &result).await?;
    }
    tracing::info!(result = %result["result"], result_id = %result["result_id"], "booking result sent");
    Ok(())
}
