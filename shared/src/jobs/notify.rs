//! `notify`: publishes a settled booking's result (回调) on `CHANNEL_RESULT` and POSTs it to
//! `RESULT_WEBHOOK_URL` when set.

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use crate::{
    app::App,
    booking::{store, wire_result},
    config::Settings,
    db::{bookings, now_ms},
    domain::ClassId,
    queue::{Job, JobError},
    tools::webhook,
};

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
        let Some(row) = store::find(&app.db.conn, self.class_id.as_str()).await? else {
            return Err(JobError::abort("no such booking"));
        };
        let Some(result) = wire_result(&row) else {
            return Ok(()); // not settled: nothing to say yet
        };
        if let Some(publisher) = &app.publisher {
            publisher.publish(&app.settings.channel_result, &result).await?;
        }
        if let Some(url) = &app.settings.result_webhook_url {
            webhook::post_json(&app.http, url, &result).await?;
        }
        let sent = bookings::ActiveModel { notified_at: Set(Some(now_ms())), ..Default::default() };
        bookings::Entity::update_many()
            .set(sent)
            .filter(bookings::Column::ClassId.eq(self.class_id.as_str()))
            .exec(&app.db.conn)
            .await?;
        tracing::info!(result = %result["result"], "booking result sent");
        Ok(())
    }
}
