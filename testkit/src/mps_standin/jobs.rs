//! The stand-in's two actions, once a request is authenticated: `SubmitJobs` creates one job
//! per output, `QueryJobList` moves each queried job along (see `Knobs`).

use std::{
    collections::{BTreeMap, HashMap},
    sync::Mutex,
};

use serde_json::{Value, json};

use shared::transcode::oss_mps::percent_decode;

use super::state::{Job, Knobs, Refusal, refuse, request_id};

fn invalid(message: impl Into<String>) -> Refusal {
    refuse(400, "InvalidParameter", message)
}

fn text<'a>(value: &'a Value, field: &str, within: &str) -> Result<&'a str, Refusal> {
    value
        .get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid(format!("{within}.{field} is missing")))
}

pub(super) fn submit(
    jobs: &Mutex<HashMap<String, Job>>,
    knobs: &Knobs,
    params: &BTreeMap<String, String>,
) -> Result<Value, Refusal> {
    let param = |name: &str| {
        params
            .get(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| refuse(400, "MissingParameter", format!("{name} is mandatory")))
    };
    let json_param = |name: &str| {
        param(name).and_then(|raw| serde_json::from_str::<Value>(raw).map_err(|e| invalid(format!("{name}: {e}"))))
    };
    let input = json_param("Input")?;
    for field in ["Bucket", "Location", "Object"] {
        text(&input, field, "Input")?;
    }
    if !url_encoded_key(text(&input, "Object", "Input")?) {
        return Err(invalid("Input.Object must be URL-encoded"));
    }
    let output_bucket = param("OutputBucket")?;
    let output_location = param("OutputLocation")?;
    let pipeline_id = param("PipelineId")?;
    let outputs = json_param("Outputs")?;
    let outputs = outputs
        .as_array()
        .filter(|outputs| !outputs.is_empty())
        .ok_or_else(|| invalid("Outputs must be a non-empty JSON array"))?;

    let mut results = Vec::new();
    for output in outputs {
        let object = text(output, "OutputObject", "Outputs[]")?;
        text(output, "TemplateId", "Outputs[]")?;
        if !url_encoded_key(object) {
            return Err(invalid("Outputs[].OutputObject must be URL-encoded"));
        }
        if let Some((code, message)) = &knobs.refuse_submit {
            results.push(json!({"Success": false, "Code": code, "Message": message, "Job": {}}));
            continue;
        }
        let job_id = uuid::Uuid::new_v4().simple().to_string();
        let mut output = output.clone();
        output["OutputFile"] = json!({"Bucket": output_bucket, "Location": output_location, "Object": object});
        let job = Job {
            output,
            pipeline_id: pipeline_id.clone(),
            queries: 0,
            queries_until_done: knobs.queries_until_done,
            fail_with: knobs.fail_with.clone(),
        };
        let shown = job_json(&job_id, &job, "Submitted");
        jobs.lock().expect("lock").insert(job_id, job);
        results.push(json!({"Success": true, "Code": "", "Message": "", "Job": shown}));
    }
    Ok(json!({"RequestId": request_id(), "JobResultList": {"JobResult": results}}))
}

fn job_json(job_id: &str, job: &Job, state: &str) -> Value {
    let (code, message) = match (&job.fail_with, state) {
        (Some((code, message)), "TranscodeFail") => (code.as_str(), message.as_str()),
        _ => ("", ""),
    };
    json!({
        "JobId": job_id,
        "State": state,
        "Code": code,
        "Message": message,
        "Percent": if state == "TranscodeSuccess" { 100 } else { 0 },
        "PipelineId": job.pipeline_id,
        "Output": job.output,
    })
}

pub(super) fn query(jobs: &Mutex<HashMap<String, Job>>, job_ids: &str) -> Result<Value, Refusal> {
    let ids: Vec<&str> = job_ids.split(',').map(str::trim).filter(|id| !id.is_empty()).collect();
    if ids.is_empty() || ids.len() > 10 {
        return Err(invalid("JobIds takes 1 to 10 comma-separated ids"));
    }
    let mut jobs = jobs.lock().expect("lock");
    let (mut found, mut missing) = (Vec::new(), Vec::new());
    for id in ids {
        let Some(job) = jobs.get_mut(id) else {
            missing.push(id);
            continue;
        };
        job.queries += 1;
        let state = match (job.queries > job.queries_until_done, &job.fail_with) {
            (false, _) => "Transcoding",
            (true, None) => "TranscodeSuccess",
            (true, Some(_)) => "TranscodeFail",
        };
        found.push(job_json(id, job, state));
    }
    Ok(json!({
        "RequestId": request_id(),
        "JobList": {"Job": found},
        "NonExistJobIds": {"String": missing},
    }))
}

/// Whether an object key is URL-encoded as MPS wants it (`/` kept, everything else escaped).
fn url_encoded_key(key: &str) -> bool {
    !key.is_empty()
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~/%".contains(&b))
        && percent_decode(key).is_some()
}
