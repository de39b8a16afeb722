//! Results vteacher produces itself (the oss poller, the ecs workers, an oss that is disabled
//! or gave up) join every other result on the `transcode-result` queue; ecs results are also
//! published on the legacy `transcoding` channel for the systems that listen there.

use crate::{
    app::App,
    domain::{Provider, TranscodeOutcome, TranscodeResult},
    queue::{JobError, transcode_result::TranscodeResultJob},
    transcode::store::Key,
};

pub async fn emit(app: &App, key: Key, provider: Provider, outcome: TranscodeOutcome) -> Result<(), JobError> {
    let result = TranscodeResult::produced(key.record_id, key.resolution, provider, outcome);
    app.queues.enqueue(TranscodeResultJob::from(&result), None).await?;
    if provider == Provider::Ecs
        && let Some(publisher) = &app.publisher
    {
        let channel = &app.settings.channel_transcode;
        // The result is already queued: a legacy listener missing it is not worth a retry.
        if let Err(err) = publisher.publish(channel, &result.message).await {
            tracing::warn!(%err, channel, "could not publish the ecs result on the legacy channel");
        }
    }
    Ok(())
}
