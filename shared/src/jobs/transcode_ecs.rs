//! `transcode-ecs`: our own ffmpeg workers make a rendition the cloud could not, then report
//! it as an `ecs` transcode result. One transcode per core by default (`TRANSCODE_CONCURRENCY`).
//! A long transcode keeps its job: the worker renews its lease while ffmpeg runs.

use super::emit;
use super::payloads::TranscodeEcsJob;
use std::time::Duration;

use tokio_util::task::AbortOnDropHandle;

use crate::{
    app::App,
    db::{Database, DbError},
    domain::{Provider, RetryStatus, TranscodeKey, TranscodeOutcome},
    transcode::{ecs, lost, source, store},
};
use vteacher_queue::{Job, JobError, RetryNotice};

impl Job for TranscodeEcsJob {
    const QUEUE: &'static str = "transcode-ecs";
    type Context = App;

    fn unique_key(&self) -> Option<String> {
        Some(format!("{}_{}", self.0.record_id, self.0.resolution))
    }

    fn span(&self) -> tracing::Span {
        tracing::info_span!("transcode_ecs", record_id = %self.0.record_id, resolution = %self.0.resolution)
    }

    async fn run(&self, app: &App) -> Result<(), JobError> {
        let key = self.0;
        let Some(transcode) = store::in_progress(&app.db.conn, key, Provider::Ecs).await.map_err(DbError::from)? else {
            return Ok(()); // finished, or not ours, since it was queued
        };
        let choice = source::choose(&store::sources_of(&transcode), key.resolution)
            .ok_or_else(|| JobError::abort("the transcode has no source video"))?;
        tracing::info!(source = choice.url.redacted(), from = ?choice.from, "ecs transcode starting");
        // Alive for the sweeper while it runs (a silent one is submitted again).
        let _beating = AbortOnDropHandle::new(tokio::spawn(beat(app.db.clone(), key, app.settings.sweep_interval.0)));
        let url = ecs::make(app, key, &choice).await?;
        tracing::info!(%url, "ecs transcode done");
        emit(app, key, Provider::Ecs, TranscodeOutcome::Succeeded { url }).await
    }

    async fn on_retry(&self, app: &App, notice: &RetryNotice) {
        let retry = &RetryStatus::from(notice);
        if let Err(err) = store::set_retry(&app.db.conn, self.0, Provider::Ecs, retry).await {
            tracing::debug!(%err, "could not show the retry on the transcode");
        }
    }

    async fn give_up(&self, app: &App, error: &JobError) -> Result<(), JobError> {
        // A `.part` kept for the next attempt has none coming.
        ecs::discard(app, self.0).await;
        let reason = error.reason().to_owned();
        emit(app, self.0, Provider::Ecs, TranscodeOutcome::Failed { reason }).await
    }
}

/// Touches the transcode every `every` until dropped (`transcode::lost`).
async fn beat(db: Database, key: TranscodeKey, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        if let Err(err) = lost::beat(&db.conn, key).await {
            tracing::debug!(%err, "could not mark the transcode alive");
        }
    }
}
