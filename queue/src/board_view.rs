//! apalis-board 1.0.0's UI, given what it can show. Its API's JSON answers are corrected on
//! their way out, because neither backend's types can carry what is missing:
//!
//! - a job's last error. Our Redis backend keeps it in the job's hash (`r`), apalis-sqlite in
//!   its `last_result` column (which its own listing leaves out), and apalis-core 1.0's task
//!   context has no field for it: the UI's `last_result` is dropped when it reads the context
//!   into that type. So it is looked up for each job of a task list or task page and shown in
//!   the one place the UI prints as it comes: the job's arguments, as `last_error` (no job has
//!   a field of that name); `ctx.last_result` carries it too, for other readers of the API.
//! - a timestamp stat of 0: apalis-sqlite's "Oldest Pending Job" when nothing is pending (a
//!   MIN over no rows), which the UI shows as January 01, 1970. It is left out.

use axum::{
    body::Body,
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::Value;

use super::{
    backend::{Backend, Queues},
    redisq::QueueConfig,
};

/// The largest answer corrected (a page of tasks is far smaller).
const MAX_BODY: usize = 16 << 20;

/// Middleware over apalis-board's API (`/api/v1`); the live stream passes untouched.
pub async fn corrected(State(queues): State<Queues>, request: Request, next: Next) -> Response {
    let queue = tasks_queue(request.uri().path());
    let response = next.run(request).await;
    let json =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if response.status() != StatusCode::OK || !json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "the answer is too large for the dashboard").into_response();
    };
    let Ok(mut answer) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    drop_zero_timestamps(&mut answer);
    if let Some(queue) = queue {
        queues.add_last_errors(&queue, &mut answer).await;
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(answer.to_string()))
}

/// The queue of a task list or a task page: `/queues/{queue}/tasks[/{id}]`.
fn tasks_queue(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/queues/")?;
    let queue = match rest.strip_suffix("/tasks") {
        Some(queue) => queue,
        None => rest.rsplit_once("/tasks/")?.0,
    };
    // Queue names hold colons (`prefix:download:node`), which a client may escape.
    Some(queue.replace("%3A", ":").replace("%3a", ":"))
}

fn drop_zero_timestamps(answer: &mut Value) {
    match answer {
        Value::Array(items) => {
            items.retain(|item| !is_zero_timestamp(item));
            items.iter_mut().for_each(drop_zero_timestamps);
        }
        Value::Object(fields) => fields.values_mut().for_each(drop_zero_timestamps),
        _ => {}
    }
}

fn is_zero_timestamp(stat: &Value) -> bool {
    stat["stat_type"] == "Timestamp" && stat["value"].as_str().is_none_or(|v| v.parse::<f64>().is_ok_and(|n| n <= 0.0))
}

impl Queues {
    /// Sets `args.last_error` and `ctx.last_result` on each task of `answer` (a task or a list
    /// of them) that failed.
    async fn add_last_errors(&self, queue: &str, answer: &mut Value) {
        let tasks: Vec<&mut Value> = match answer {
            Value::Array(items) => items.iter_mut().collect(),
            Value::Object(_) => vec![answer],
            _ => return,
        };
        for task in tasks {
            let Some(id) = task["ctx"]["task_id"].as_str().map(str::to_owned) else { continue };
            if let Some(error) = self.last_error(queue, &id).await {
                if let Some(args) = task["args"].as_object_mut() {
                    args.insert("last_error".into(), Value::String(error.clone()));
                }
                task["ctx"]["last_result"] = Value::String(error);
            }
        }
    }

    /// The error of the last failed run of job `id` on queue `queue` (a full name), if any.
    pub async fn last_error(&self, queue: &str, id: &str) -> Option<String> {
        match &self.backend {
            Backend::Redis { conn, .. } => {
                let key = QueueConfig::new(queue, "").job_key(id);
                let error: Option<String> =
                    redis::cmd("HGET").arg(key).arg("r").query_async(&mut conn.clone()).await.ok()?;
                error.filter(|e| !e.is_empty())
            }
            Backend::Sqlite(pool) => {
                let row: Option<(Option<String>,)> =
                    sqlx::query_as("SELECT last_result FROM Jobs WHERE id = ?1 AND job_type = ?2")
                        .bind(id)
                        .bind(queue)
                        .fetch_optional(pool)
                        .await
                        .ok()?;
                // apalis-sqlite stores the run's `Result` as JSON: `{"Err": "…"}` for a failure.
                let result: Value = serde_json::from_str(&row?.0?).ok()?;
                result["Err"].as_str().map(str::to_owned)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_task_path_names_its_queue() {
        assert_eq!(tasks_queue("/queues/vt:download:n-1/tasks").as_deref(), Some("vt:download:n-1"));
        assert_eq!(tasks_queue("/queues/vt%3Abooking/tasks/01ABC").as_deref(), Some("vt:booking"));
        assert_eq!(tasks_queue("/queues/vt:booking/stats"), None);
        assert_eq!(tasks_queue("/overview"), None);
    }

    #[test]
    fn only_zero_timestamps_are_dropped() {
        let mut stats = json!([
            {"title": "OLDEST_PENDING_JOB", "stat_type": "Timestamp", "value": "0"},
            {"title": "MOST_RECENT_JOB", "stat_type": "Timestamp", "value": "1796211214"},
            {"title": "PENDING_JOBS", "stat_type": "Number", "value": "0"},
        ]);
        drop_zero_timestamps(&mut stats);
        let titles: Vec<&str> = stats.as_array().unwrap().iter().map(|s| s["title"].as_str().unwrap()).collect();
        assert_eq!(titles, ["MOST_RECENT_JOB", "PENDING_JOBS"]);
    }
}
