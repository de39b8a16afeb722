//! `transcode-ecs`: our own ffmpeg workers make a rendition the cloud could not, then report
//! it as an `ecs` transcode result. One transcode per core by default (`TRANSCODE_CONCURRENCY`).
//! A long transcode keeps its job: the worker heart-beats while ffmpeg runs.

use serde::{Deserialize, Serialize};

use super::{
    Job, JobError,
    transcode_oss::{in_progress, sources_of},
};
use crate::{
    app::App,
    domain::{Provider, RecordId, Resolution, TranscodeOutcome},
    transcode::{ecs, emit::emit, source, store::Key},
};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TranscodeEcsJob {
    pub record_id: RecordId,
    pub resolution: Resolution,
}

impl From<Key> for TranscodeEcsJob {
    fn from(key: Key) -> Self {
        Self { record_id: key.record_id, resolution: key.resolution }
    }
}

impl TranscodeEcsJob {
    fn key(&self) -> Key {
        Key { record_id: self.record_id, resolution: self.resolution }
    }
}

impl Job for TranscodeEcsJob {
    const QUEUE: &'static str = "transcode-ecs";

    fn span(&self) -> tracing::Span {
        tracing::info_span!("transcode_ecs", record_id = %self.record_id, resolution = %self.resolution)
    }

    async fn run(&self, app: &App) -> Result<(), JobError> {
        let key = self.key();
        let Some(transcode) = in_progress(app, key, Provider::Ecs).await? else {
            return Ok(()); // finished, or not ours, since it was queued
        };
        let choice = source::choose(&sources_of(&transcode), key.resolution)
            .ok_or_else(|| JobError::abort("the transcode has no source video"))?;
        tracing::info!(source = %choice.url, from = ?choice.from, "ecs transcode starting");
        let url = ecs::make(app, key, &choice).await?;
        tracing::info!(%url, "ecs transcode done");
        emit(app, key, Provider::Ecs, TranscodeOutcome::Succeeded { url }).await
    }

    async fn give_up(&self, app: &App, error: &JobError) -> Result<(), JobError> {
        let reason = error.reason().to_owned();
        emit(app, self.key(), Provider::Ecs, TranscodeOutcome::Failed { reason }).await
    }
}
