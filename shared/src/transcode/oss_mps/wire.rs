//! What goes over the wire for `SubmitJobs` and `QueryJobList`: the action parameters, and
//! the JSON answers (only the fields vteacher reads).

use serde::Deserialize;
use serde_json::json;

use super::{
    signing::{encode_object_key, percent_decode},
    source::OssObject,
    types::{MpsConfig, MpsError, MpsJob, retryable_code},
};

/// `SubmitJobs`' own parameters: one output, at `height` lines, with the configured template.
pub(super) fn submit_params(
    config: &MpsConfig,
    source: &OssObject,
    output_object: &str,
    height: u32,
) -> Vec<(&'static str, String)> {
    let input = json!({
        "Bucket": source.bucket,
        "Location": source.location,
        "Object": encode_object_key(&source.object),
    });
    let outputs = json!([{
        "OutputObject": encode_object_key(output_object),
        "TemplateId": config.template_id,
        "Video": {"Height": height.to_string()},
    }]);
    vec![
        ("Input", input.to_string()),
        ("OutputBucket", config.output_bucket.clone()),
        ("OutputLocation", config.output_location.clone()),
        ("Outputs", outputs.to_string()),
        ("PipelineId", config.pipeline_id.clone()),
    ]
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct ErrorAnswer {
    code: String,
    message: String,
    request_id: String,
}

/// At most 200 characters of an answer, for error messages.
pub(super) fn excerpt(text: &str) -> String {
    let mut cut: String = text.chars().take(200).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    cut
}

/// The `RequestId` of an answer, if it has one (for the logs).
pub(super) fn request_id(text: &str) -> String {
    serde_json::from_str::<ErrorAnswer>(text).map(|answer| answer.request_id).unwrap_or_default()
}

/// An HTTP 4xx/5xx answer: `{"Code","Message","RequestId"}`, or whatever a proxy sent.
pub(super) fn api_error(status: u16, text: &str) -> MpsError {
    let transient_status = status >= 500 || status == 429;
    match serde_json::from_str::<ErrorAnswer>(text) {
        Ok(answer) if !answer.code.is_empty() => MpsError::Api {
            retryable: transient_status || retryable_code(&answer.code),
            code: answer.code,
            message: answer.message,
        },
        _ => MpsError::Api { code: format!("HTTP {status}"), message: excerpt(text), retryable: transient_status },
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct SubmitAnswer {
    job_result_list: JobResultList,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct JobResultList {
    job_result: Vec<JobResult>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct JobResult {
    success: bool,
    code: String,
    message: String,
    job: Job,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Job {
    job_id: String,
    state: String,
    code: String,
    message: String,
    output: Output,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Output {
    output_file: Option<OutputFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct OutputFile {
    bucket: String,
    location: String,
    object: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct QueryAnswer {
    job_list: JobList,
    non_exist_job_ids: NonExistJobIds,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct JobList {
    job: Vec<Job>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct NonExistJobIds {
    string: Vec<String>,
}

/// The job id of the one output submitted, or why it was refused.
pub(super) fn submitted_job_id(answer: SubmitAnswer) -> Result<String, MpsError> {
    let Some(result) = answer.job_result_list.job_result.into_iter().next() else {
        return Err(MpsError::BadResponse("SubmitJobs: no JobResult".to_owned()));
    };
    if !result.success {
        return Err(MpsError::Api {
            retryable: retryable_code(&result.code),
            code: result.code,
            message: result.message,
        });
    }
    if result.job.job_id.is_empty() {
        return Err(MpsError::BadResponse("SubmitJobs: a JobResult without a JobId".to_owned()));
    }
    Ok(result.job.job_id)
}

/// What `QueryJobList` says of `job_id`.
pub(super) fn job_state(answer: QueryAnswer, job_id: &str) -> Result<MpsJob, MpsError> {
    if answer.non_exist_job_ids.string.iter().any(|id| id == job_id) {
        return Ok(MpsJob::Failed { reason: format!("MPS does not know job {job_id}") });
    }
    let Some(job) = answer.job_list.job.into_iter().find(|job| job.job_id == job_id) else {
        return Err(MpsError::BadResponse(format!("QueryJobList: job {job_id} is not in the answer")));
    };
    let reason = |fallback: &str| match (job.code.as_str(), job.message.as_str()) {
        ("", "") => fallback.to_owned(),
        ("", message) => message.to_owned(),
        (code, "") => code.to_owned(),
        (code, message) => format!("{code}: {message}"),
    };
    match job.state.as_str() {
        "Submitted" | "Transcoding" => Ok(MpsJob::Running),
        "TranscodeFail" => Ok(MpsJob::Failed { reason: reason("TranscodeFail") }),
        "TranscodeCancelled" => Ok(MpsJob::Failed { reason: format!("cancelled ({})", reason("TranscodeCancelled")) }),
        "TranscodeSuccess" => {
            let file = job.output.output_file.as_ref().filter(|f| !f.object.is_empty());
            let Some(file) = file else {
                return Err(MpsError::BadResponse(format!(
                    "QueryJobList: job {job_id} succeeded without an OutputFile"
                )));
            };
            Ok(MpsJob::Succeeded {
                bucket: file.bucket.clone(),
                location: file.location.clone(),
                object: percent_decode(&file.object).unwrap_or_else(|| file.object.clone()),
            })
        }
        other => Err(MpsError::BadResponse(format!("QueryJobList: job {job_id} is in an unknown state {other:?}"))),
    }
}
