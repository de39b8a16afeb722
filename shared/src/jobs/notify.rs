//! `notify`: publishes a settled booking's result (回调) on `CHANNEL_RESULT` and POSTs it to
//! `RESULT_WEBHOOK_URL` when set. One send per outcome, whatever is queued twice: the job
//! claims the send in the database first (another job leaves a claimed or sent result alone),
//! sends, then records it sent. A crash between sending and recording can repeat it once; the
//! result's stable `result_id` lets the receiver drop that repeat.

use super::payloads::NotifyJob;
use crate::{
    app::App,
    booking::{store, wire_result},
    db::DbError,
    domain::ClassId,
    tools::webhook,
};
use vteacher_queue::{Job, JobError};

impl Job for NotifyJob {
    const QUEUE: &'static str = "notify";
    type Context = App;

    fn unique_key(&self) -> Option<String> {
        Some(self.class_id.to_string())
    }

    fn span(&self) -> tracing::Span {
        tracing::info_span!("notify", class_id = %self.class_id)
    }

    async fn run(&self, app: &App) -> Result<(), JobError> {
        if !store::claim_result_send(&app.db.conn, &self.class_id, store::RESULT_SEND_CLAIM)
            .await
            .map_err(DbError::from)?
        {
            return Ok(()); // sent, being sent, or not settled: nothing to do
        }
        let sent = send(app, &self.class_id).await;
        store::result_send_ended(&app.db.conn, &self.class_id, sent.is_ok()).await.map_err(DbError::from)?;
        sent
    }
}

async fn send(app: &App, class_id: &ClassId) -> Result<(), JobError> {
    let Some(row) = store::find(&app.db.conn, class_id).await.map_err(DbError::from)? else {
        return Err(JobError::abort("no such booking"));
    };
    let Some(result) = wire_result(&row) else { return Ok(()) };
    publish(app, &result).await
}

/// Sends a result: on `CHANNEL_RESULT`, and to `RESULT_WEBHOOK_URL` when set.
pub(super) async fn publish(app: &App, result: &serde_json::Value) -> Result<(), JobError> {
    if let Some(publisher) = &app.publisher {
        publisher.publish(&app.settings.channel_result, result).await?;
    }
    if let Some(url) = &app.settings.result_webhook_url {
        webhook::post_json(&app.http, url, result).await?;
    }
    tracing::info!(result = %result["result"], result_id = %result["result_id"], "booking result sent");
    Ok(())
}
