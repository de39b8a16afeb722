//! `transcode-oss`: hands a transcode to the cloud (oss), as `OSS_PROVIDER` says: `http`
//! (POST, the result comes back as a message), `mps` (Aliyun MPS: submit, then poll), or
//! `disabled` (straight to our own ffmpeg workers). When oss cannot take it, that is an oss
//! failure: the transcode goes on to ecs.

use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};

use super::{Job, JobError};
use crate::{
    app::App,
    config::OssProvider,
    db::transcodes::{self, TranscodeState},
    domain::{Provider, RecordId, Resolution, TranscodeOutcome},
    transcode::{
        emit::emit,
        oss_http,
        source::{self, Sources},
        store::Key,
    },
};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TranscodeOssJob {
    pub record_id: RecordId,
    pub resolution: Resolution,
}

impl From<Key> for TranscodeOssJob {
    fn from(key: Key) -> Self {
        Self { record_id: key.record_id, resolution: key.resolution }
    }
}

impl TranscodeOssJob {
    fn key(&self) -> Key {
        Key { record_id: self.record_id, resolution: self.resolution }
    }
}

/// The transcode, if it is still in progress with `provider` (else the job has nothing to do).
pub(crate) async fn in_progress(
    app: &App,
    key: Key,
    provider: Provider,
) -> Result<Option<transcodes::Model>, JobError> {
    let id = (key.record_id.get(), key.resolution.to_string());
    let found = transcodes::Entity::find_by_id(id).one(&app.db.conn).await?;
    Ok(found.filter(|t| t.state == TranscodeState::Transcoding && t.provider.as_deref() == Some(provider.as_str())))
}

pub(super) fn sources_of(transcode: &transcodes::Model) -> Sources {
    transcode.sources.clone().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default()
}

impl Job for TranscodeOssJob {
    const QUEUE: &'static str = "transcode-oss";

    fn span(&self) -> tracing::Span {
        tracing::info_span!("transcode_oss", record_id = %self.record_id, resolution = %self.resolution)
    }

    async fn run(&self, app: &App) -> Result<(), JobError> {
        let key = self.key();
        let Some(transcode) = in_progress(app, key, Provider::Oss).await? else {
            return Ok(()); // moved on (to ecs, or finished) since it was queued
        };
        let Some(choice) = source::choose(&sources_of(&transcode), key.resolution) else {
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
                tracing::info!(source = %choice.url, "submitted to the oss http service; its result will come as a message");
                Ok(())
            }
            OssProvider::Mps => crate::transcode::mps::run(app, key, &transcode, &choice.url).await,
        }
    }

    async fn give_up(&self, app: &App, error: &JobError) -> Result<(), JobError> {
        let reason = error.reason().to_owned();
        emit(app, self.key(), Provider::Oss, TranscodeOutcome::Failed { reason }).await
    }
}
