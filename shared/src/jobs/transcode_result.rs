//! `transcode-result`: every transcode result, from every source (the legacy `transcoding`
//! channel, `POST /api/transcode/result`, our ecs workers, the oss poller, deadlines), goes
//! through here and through `transcode::result::on_result`. `emit` is how vteacher's own
//! results join them.

use super::apply_stashed;
use super::payloads::TranscodeResultJob;
use crate::{
    app::App,
    db::DbError,
    db::{now_ms, outbox},
    domain::{Provider, TranscodeKey, TranscodeOutcome, TranscodeResult},
    transcode::{
        result::{Change, on_result},
        store,
    },
};
use vteacher_queue::{Job, JobError};

impl Job for TranscodeResultJob {
    const QUEUE: &'static str = "transcode-result";
    const FETCH_AHEAD: bool = true;
    type Context = App;

    fn span(&self) -> tracing::Span {
        tracing::info_span!("transcode_result", record_id = %self.message["record_id"],
            resolution = %self.message["video_resolution"], provider = %self.message["type"])
    }

    async fn run(&self, app: &App) -> Result<(), JobError> {
        let result = TranscodeResult::from_value(self.message.clone()).map_err(JobError::abort)?;
        let key = TranscodeKey { record_id: result.record_id, resolution: result.resolution };
        let txn = app.db.write_txn().await.map_err(DbError::from)?;
        let current = store::lock(&txn, key).await.map_err(DbError::from)?;
        let change = on_result(current.as_ref(), &result);
        tracing::info!(?change, "transcode result");
        metrics::counter!("vteacher_transcode_results_total", "effect" => change.name()).increment(1);
        if let (Change::Succeed { late: false, .. }, Some(row)) = (&change, &current) {
            let took = (now_ms() - row.created_at).max(0) as f64 / 1000.0;
            metrics::histogram!("vteacher_transcode_duration_seconds", "provider" => result.provider.as_str())
                .record(took);
        }
        let effects = store::apply(&txn, key, &change, Some(&result), &app.settings).await.map_err(DbError::from)?;
        let effects = outbox::stash(&txn, effects).await.map_err(DbError::from)?;
        txn.commit().await.map_err(DbError::from)?;
        apply_stashed(app, effects).await;
        Ok(())
    }
}

/// Results vteacher produces itself (the oss poller, the ecs workers, an oss that is disabled
/// or gave up) join every other result on the `transcode-result` queue; ecs results are also
/// published on the legacy `transcoding` channel for the systems that listen there.
pub async fn emit(app: &App, key: TranscodeKey, provider: Provider, outcome: TranscodeOutcome) -> Result<(), JobError> {
    let result = TranscodeResult::produced(key.record_id, key.resolution, provider, outcome);
    app.queues.enqueue(TranscodeResultJob::from(&result), None).await?;
    if provider == Provider::Ecs
        && let Some(publisher) = &app.publisher
    {
        // The result is already queued: a legacy listener missing it is not worth a retry.
        if let Err(err) = publisher.publish(&app.settings.channel_transcode, &result.message).await {
            tracing::warn!(%err, "could not publish the ecs result on the legacy channel");
        }
    }
    Ok(())
}
