//! `POST /api/transcode/oss`, `POST /api/transcode/ecs`, `POST /api/transcode/result`,
//! `GET /api/transcodes/{record_id}`, `POST /api/transcodes/{record_id}/{resolution}/reset`.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
};
use serde_json::{Value, json};
use shared::{
    App,
    domain::{ErrorCode, Provider, RecordId, Resolution, TranscodeKey, TranscodeRequest, TranscodeResult},
    jobs::{self, TranscodeResultJob},
    transcode::{
        requests::{self, RequestError, Requested, TranscodeStatus},
        source::Sources,
    },
};

use super::error::ApiError;

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

pub async fn oss(State(app): State<App>, body: Bytes) -> Result<(StatusCode, Json<TranscodeStatus>), ApiError> {
    submit(&app, &body, Provider::Oss).await
}

pub async fn ecs(State(app): State<App>, body: Bytes) -> Result<(StatusCode, Json<TranscodeStatus>), ApiError> {
    submit(&app, &body, Provider::Ecs).await
}

/// The transcoding service's callback: the same body as the legacy `transcoding` message.
pub async fn result(State(app): State<App>, body: Bytes) -> Result<(StatusCode, Json<Value>), ApiError> {
    let result = TranscodeResult::from_json(&body)?;
    app.queues.enqueue(TranscodeResultJob::from(&result), None).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"accepted": true}))))
}

fn parse_record(text: &str) -> Result<RecordId, ApiError> {
    text.parse().map_err(|e| ApiError::invalid("record_id", e))
}

pub async fn list(
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

pub async fn reset(
    State(app): State<App>,
    Path((record_id, resolution)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let record_id = parse_record(&record_id)?;
    let resolution: Resolution = resolution.parse().map_err(|e| ApiError::invalid("video_resolution", e))?;
    requests::reset(&app.db, TranscodeKey { record_id, resolution }).await?;
    Ok(Json(json!({"record_id": record_id, "video_resolution": resolution, "state": "none"})))
}
