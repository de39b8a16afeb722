//! `transcode-result`: every transcode result, from every source (the legacy `transcoding`
//! channel, `POST /api/transcode/result`, our ecs workers, the oss poller, deadlines), goes
//! through here and through `transcode::result::on_result`.

use serde::{Deserialize, Serialize};

use super::{Job, JobError, after::run_after};
use crate::{
    app::App,
    domain::TranscodeResult,
    transcode::{
        result::on_result,
        store::{self, Key},
    },
};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TranscodeResultJob {
    /// The result message as received (validated before it was queued).
    pub message: serde_json::Value,
}

impl From<&TranscodeResult> for TranscodeResultJob {
    fn from(result: &TranscodeResult) -> Self {
        Self { message: result.message.clone() }
    }
}

impl Job for TranscodeResultJob {
    const QUEUE: &'static str = "transcode-result";

    fn span(&self) -> tracing::Span {
        tracing::info_span!("transcode_result", record_id = %self.message["record_id"],
            resolution = %self.message["video_resolution"], provider = %self.message["type"])
    }

    async fn run(&self, app: &App) -> Result<(), JobError> {
        let result = TranscodeResult::from_value(self.message.clone()).map_err(JobError::abort)?;
        let key = Key { record_id: result.record_id, resolution: result.resolution };
        let txn = app.db.write_txn().await?;
        let current = store::lock(&txn, key).await?;
        let effect = on_result(current.as_ref(), &result);
        tracing::info!(?effect, "transcode result");
        metrics::counter!("vteacher_transcode_results_total", "effect" => effect.name()).increment(1);
        let after = store::apply(&txn, key, &effect, Some(&result), &app.settings).await?;
        txn.commit().await?;
        run_after(app, after).await
    }
}
