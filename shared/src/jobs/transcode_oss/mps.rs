//! The `mps` oss provider's job body: submit to Aliyun MPS once (the job id is kept on the
//! transcode, so a restarted worker polls instead of submitting again), then poll
//! `QueryJobList` every `MPS_POLL_INTERVAL` until MPS says how it went, and report that as an
//! oss transcode result. Polling stops when the transcode moves on (its oss deadline passed).

use sea_orm::ActiveValue::Set;

use crate::{
    app::App,
    config::Settings,
    db::DbError,
    db::transcodes,
    domain::{Provider, Retryable, SourceUrl, TranscodeKey, TranscodeOutcome},
    jobs::emit,
    transcode::{
        ecs::object_key,
        oss_mps::{MpsClient, MpsConfig, MpsError, MpsJob, OssObject, encode_object_key},
        store,
    },
};
use vteacher_queue::JobError;

/// An MPS error as a transcode's reason shows it: `mps: …`.
#[derive(Debug, thiserror::Error)]
#[error("mps: {0}")]
struct Mps(#[from] MpsError);

impl Retryable for Mps {
    fn is_retryable(&self) -> bool {
        self.0.is_retryable()
    }
}

fn config(settings: &Settings) -> Result<MpsConfig, JobError> {
    let get =
        |value: &Option<String>, key: &str| value.clone().ok_or_else(|| JobError::abort(format!("{key} is not set")));
    Ok(MpsConfig {
        endpoint: get(&settings.mps_endpoint, "MPS_ENDPOINT")?,
        region: get(&settings.mps_region, "MPS_REGION")?,
        pipeline_id: get(&settings.mps_pipeline_id, "MPS_PIPELINE_ID")?,
        template_id: get(&settings.mps_template_id, "MPS_TEMPLATE_ID")?,
        output_bucket: get(&settings.mps_output_bucket, "MPS_OUTPUT_BUCKET")?,
        output_location: get(&settings.mps_output_location, "MPS_OUTPUT_LOCATION")?,
        access_key_id: get(&settings.mps_access_key_id, "MPS_ACCESS_KEY_ID")?,
        access_key_secret: get(&settings.mps_access_key_secret, "MPS_ACCESS_KEY_SECRET")?,
    })
}

pub(super) async fn run(
    app: &App,
    key: TranscodeKey,
    transcode: &transcodes::Model,
    source: &SourceUrl,
) -> Result<(), JobError> {
    let client = MpsClient::new(app.sources.clone(), config(&app.settings)?);
    let job_id = match &transcode.oss_job_id {
        Some(job_id) => job_id.clone(),
        None => submit(app, &client, key, source).await?,
    };
    loop {
        let outcome = match client.query(&job_id).await.map_err(Mps)? {
            MpsJob::Running => None,
            MpsJob::Succeeded { bucket, location, object } => {
                let url = output_url(&app.settings, OssObject { bucket, location, object });
                let url = url.parse().map_err(|e| JobError::abort(format!("mps output URL {url}: {e}")))?;
                Some(TranscodeOutcome::Succeeded { url })
            }
            MpsJob::Failed { reason } => Some(TranscodeOutcome::Failed { reason: format!("mps: {reason}") }),
        };
        if let Some(outcome) = outcome {
            tracing::info!(job_id, ?outcome, "mps job finished");
            return emit(app, key, Provider::Oss, outcome).await;
        }
        if store::in_progress(&app.db.conn, key, Provider::Oss).await.map_err(DbError::from)?.is_none() {
            return Ok(()); // moved on: its deadline passed, or a result came another way
        }
        tokio::select! {
            () = tokio::time::sleep(app.settings.mps_poll_interval.0) => {}
            () = app.shutdown.cancelled() => return Err(JobError::Interrupted),
        }
    }
}

/// The output's URL: on `MPS_OUTPUT_URL` when set (a CDN in front of the bucket), else
/// straight from OSS.
fn output_url(settings: &Settings, output: OssObject) -> String {
    match &settings.mps_output_url {
        Some(base) => format!("{}/{}", base.trim_end_matches('/'), encode_object_key(&output.object)),
        None => output.url(),
    }
}

async fn submit(app: &App, client: &MpsClient, key: TranscodeKey, source: &SourceUrl) -> Result<String, JobError> {
    let job_id = client.submit(source.as_str(), &object_key(key), key.resolution.height()).await.map_err(Mps)?;
    tracing::info!(job_id, "submitted to mps");
    let change = transcodes::ActiveModel { oss_job_id: Set(Some(job_id.clone())), ..Default::default() };
    store::update(&app.db.conn, key, &[], change).await.map_err(DbError::from)?;
    Ok(job_id)
}
