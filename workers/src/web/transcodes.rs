//! `POST /api/transcode/oss`, `POST /api/transcode/ecs`, `POST /api/transcode/result`,
//! `GET /api/transcodes/{record_id}`, `POST /api/transcodes/{record_id}/{resolution}/reset`.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
};
use serde::Serialize;
use shared::{
    App,
    domain::{
        ErrorCode, Provider, RecordId, Resolution, TranscodeKey, TranscodeRequest, TranscodeResult, TranscodeState,
    },
    jobs::{self, TranscodeResultJob},
    transcode::{
        requests::{self, RequestError, Requested, TranscodeStatus},
        source::Sources,
    },
};

use super::{
    error::ApiError,
    openapi::{BadRequest, Conflict, NotFound, PayloadTooLarge, Unauthorized, Unavailable, examples},
};

/// `POST /api/transcode/result`'s answer: the result is queued.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct Accepted {
    pub accepted: bool,
}

/// `POST …/reset`'s answer: the transcode is forgotten.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct ResetDone {
    pub record_id: RecordId,
    pub video_resolution: Resolution,
    /// Always `none`: there is no transcode of it any more.
    #[schema(pattern = "^none$", example = "none")]
    pub state: &'static str,
}

impl From<RequestError> for ApiError {
    fn from(err: RequestError) -> Self {
        match err {
            RequestError::Db(e) => Self::database(e),
            RequestError::Busy(_) => Self::new(ErrorCode::TranscodeInProgress, err.to_string()),
            RequestError::NoSource => {
                Self { field: Some("video_url".into()), ..Self::new(ErrorCode::InvalidField, err.to_string()) }
            }
            RequestError::NotFound(..) => Self::not_found(err.to_string()),
        }
    }
}

async fn submit(app: &App, body: &[u8], provider: Provider) -> Result<(StatusCode, Json<TranscodeStatus>), ApiError> {
    let request = TranscodeRequest::from_json(body)?;
    let key = TranscodeKey { record_id: request.record_id, resolution: request.resolution };
    let sources = Sources { video_url: request.video_url, video_url_list: request.video_url_list };
    let (status, transcode) = match requests::request(&app.db, &app.settings, key, provider, sources).await? {
        Requested::Started(t, submit) => {
            jobs::apply(app, vec![submit]).await?;
            (StatusCode::ACCEPTED, t)
        }
        Requested::InProgress(t) => (StatusCode::ACCEPTED, t),
        Requested::Done(t) => (StatusCode::OK, t),
    };
    Ok((status, Json(TranscodeStatus::from(&transcode))))
}

/// Starts a transcode with the cloud service (oss): 202 when started or already in progress with
/// oss, 200 if it has already succeeded, 409 if ecs has it.
#[utoipa::path(post, path = "/api/transcode/oss", tag = "transcodes",
    request_body(content = TranscodeRequest, example = json!(examples::transcode_request())),
    responses(
        (status = 202, description = "Started, or in progress with oss", body = TranscodeStatus,
            example = json!(examples::transcode(TranscodeState::Transcoding))),
        (status = 200, description = "Already succeeded", body = TranscodeStatus,
            example = json!(examples::transcode(TranscodeState::Succeeded))),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 409, response = Conflict), (status = 413, response = PayloadTooLarge),
        (status = 503, response = Unavailable)),
    security(("bearer" = []), ("cookie" = [])))]
pub(super) async fn oss(State(app): State<App>, body: Bytes) -> Result<(StatusCode, Json<TranscodeStatus>), ApiError> {
    submit(&app, &body, Provider::Oss).await
}

/// Starts a transcode with our own ffmpeg workers (ecs); as `/api/transcode/oss` otherwise.
#[utoipa::path(post, path = "/api/transcode/ecs", tag = "transcodes",
    request_body(content = TranscodeRequest, example = json!(examples::transcode_request())),
    responses(
        (status = 202, description = "Started, or in progress with ecs", body = TranscodeStatus,
            example = json!(examples::transcode(TranscodeState::Transcoding))),
        (status = 200, description = "Already succeeded", body = TranscodeStatus,
            example = json!(examples::transcode(TranscodeState::Succeeded))),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 409, response = Conflict), (status = 413, response = PayloadTooLarge),
        (status = 503, response = Unavailable)),
    security(("bearer" = []), ("cookie" = [])))]
pub(super) async fn ecs(State(app): State<App>, body: Bytes) -> Result<(StatusCode, Json<TranscodeStatus>), ApiError> {
    submit(&app, &body, Provider::Ecs).await
}

/// The transcoding service's callback: the same body as the legacy `transcoding` message. It is
/// queued and handled as results from every other source are.
#[utoipa::path(post, path = "/api/transcode/result", tag = "transcodes",
    request_body(content = TranscodeResult, example = json!(examples::transcode_result())),
    responses(
        (status = 202, description = "Queued", body = Accepted, example = json!({"accepted": true})),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 413, response = PayloadTooLarge), (status = 503, response = Unavailable)),
    security(("bearer" = []), ("cookie" = [])))]
pub(super) async fn result(State(app): State<App>, body: Bytes) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    let result = TranscodeResult::from_json(&body)?;
    app.queues.enqueue(TranscodeResultJob::from(&result), None).await?;
    Ok((StatusCode::ACCEPTED, Json(Accepted { accepted: true })))
}

fn parse_record(text: &str) -> Result<RecordId, ApiError> {
    text.parse().map_err(|e| ApiError::invalid("record_id", e))
}

/// The record's transcodes, one per resolution.
#[utoipa::path(get, path = "/api/transcodes/{record_id}", tag = "transcodes",
    params(("record_id" = RecordId, Path, description = "the recorded lesson", example = 6666)),
    responses(
        (status = 200, description = "Its transcodes", body = Vec<TranscodeStatus>,
            example = json!([examples::transcode(TranscodeState::Succeeded)])),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 404, response = NotFound), (status = 503, response = Unavailable)),
    security(("bearer" = []), ("cookie" = [])))]
pub(super) async fn list(
    State(app): State<App>,
    Path(record_id): Path<String>,
) -> Result<Json<Vec<TranscodeStatus>>, ApiError> {
    let record_id = parse_record(&record_id)?;
    let found = requests::list(&app.db, record_id.get()).await.map_err(ApiError::database)?;
    if found.is_empty() {
        return Err(ApiError::not_found(format!("no transcode of record {record_id}")));
    }
    Ok(Json(found.iter().map(TranscodeStatus::from).collect()))
}

/// Forgets a finished transcode (failed, timed out or succeeded), so the next booking starts it
/// afresh; 409 while it is in progress.
#[utoipa::path(post, path = "/api/transcodes/{record_id}/{resolution}/reset", tag = "transcodes",
    params(("record_id" = RecordId, Path, description = "the recorded lesson", example = 6666),
        ("resolution" = Resolution, Path, description = "the rendition", example = "240P")),
    responses(
        (status = 200, description = "Forgotten", body = ResetDone,
            example = json!({"record_id": 6666, "video_resolution": "240P", "state": "none"})),
        (status = 400, response = BadRequest), (status = 401, response = Unauthorized),
        (status = 404, response = NotFound), (status = 409, response = Conflict),
        (status = 503, response = Unavailable)),
    security(("bearer" = []), ("cookie" = [])))]
pub(super) async fn reset(
    State(app): State<App>,
    Path((record_id, resolution)): Path<(String, String)>,
) -> Result<Json<ResetDone>, ApiError> {
    let record_id = parse_record(&record_id)?;
    let resolution: Resolution = resolution.parse().map_err(|e| ApiError::invalid("video_resolution", e))?;
    requests::reset(&app.db, TranscodeKey { record_id, resolution }).await?;
    Ok(Json(ResetDone { record_id, video_resolution: resolution, state: "none" }))
}
