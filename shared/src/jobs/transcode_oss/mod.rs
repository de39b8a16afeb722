//! `transcode-oss`: hands a transcode to the cloud (oss), as `OSS_PROVIDER` says: `http`
//! (POST, the result comes back as a message), `mps` (Aliyun MPS: submit, then poll, in
//! `mps.rs` beside this file), or `disabled` (straight to our own ffmpeg workers). When oss
//! cannot take it, that is an oss failure: the transcode goes on to ecs.

mod mps;

use super::emit;
use super::payloads::TranscodeOssJob;
use crate::{
    app::App,
    config::OssProvider,
    db::DbError,
    domain::{Provider, RetryStatus, TranscodeOutcome},
    transcode::{oss_http, source, store},
};
use vteacher_queue::{Job, JobError, RetryNotice};

impl Job for TranscodeOssJob {
    const QUEUE: &'static str = "transcode-oss";
    type Context = App;

    fn unique_key(&self) -> Option<String> {
        Some(format!("{}_{}", self.0.record_id, self.0.resolution))
    }

    fn span(&self) -> tracing::Span {
        tracing::info_span!("transcode_oss", record_id = %self.0.record_id, resolution = %self.0.resolution)
    }

    async fn run(&self, app: &App) -> Result<(), JobError> {
        let key = self.0;
        let Some(transcode) = store::in_progress(&app.db.conn, key, Provider::Oss).await.map_err(DbError::from)? else {
            return Ok(()); // moved on (to ecs, or finished) since it was queued
        };
        let Some(choice) = source::choose(&store::sources_of(&transcode), key.resolution) else {
            return Err(JobError::abort("the transcode has no source video"));
        };
        match app.settings.oss_provider {
            OssProvider::Disabled => {
                let reason = "OSS_PROVIDER is disabled".to_owned();
                emit(app, key, Provider::Oss, TranscodeOutcome::Failed { reason }).await
            }
            OssProvider::Http => {
                let endpoint =
                    app.settings.oss_http_url.as_deref().ok_or_else(|| JobError::abort("OSS_HTTP_URL is not set"))?;
                oss_http::submit(&app.http, endpoint, key, &choice.url).await?;
                tracing::info!(
                    source = choice.url.redacted(),
                    "submitted to the oss http service; its result will come as a message"
                );
                Ok(())
            }
            OssProvider::Mps => mps::run(app, key, &transcode, &choice.url).await,
        }
    }

    async fn on_retry(&self, app: &App, notice: &RetryNotice) {
        let retry = &RetryStatus::from(notice);
        if let Err(err) = store::set_retry(&app.db.conn, self.0, Provider::Oss, retry).await {
            tracing::debug!(%err, "could not show the retry on the transcode");
        }
    }

    async fn give_up(&self, app: &App, error: &JobError) -> Result<(), JobError> {
        let reason = error.reason().to_owned();
        emit(app, self.0, Provider::Oss, TranscodeOutcome::Failed { reason }).await
    }
}
