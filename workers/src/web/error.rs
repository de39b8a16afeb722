//! API errors: a stable `code` clients can branch on (`shared::domain::ErrorCode`, the one
//! list of codes), a message for people, and the field at fault when there is one.
//! `{"error": {"code": "invalid_field", "field": "class_id", …}}`

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use shared::{
    domain::{ErrorCode, MessageError},
    jobs::IntakeError,
};
use vteacher_queue::QueueError;

#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
}

/// The body of every API error: `{"error": {"code", "message", "field"}}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// For people: what was wrong.
    pub message: String,
    /// The field at fault (`class_id`, `video_url_list.720P`), else null.
    #[schema(required = true)]
    pub field: Option<String>,
}

/// The HTTP status of each code.
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::MalformedJson | ErrorCode::NotAnObject | ErrorCode::InvalidField => StatusCode::BAD_REQUEST,
        ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::TranscodeInProgress => StatusCode::CONFLICT,
        ErrorCode::QueueUnavailable | ErrorCode::DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::MessageTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
    }
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), field: None }
    }

    /// A bad value of `field`.
    pub fn invalid(field: &str, message: impl std::fmt::Display) -> Self {
        Self { field: Some(field.to_owned()), ..Self::new(ErrorCode::InvalidField, format!("{field}: {message}")) }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, what)
    }

    pub fn database(err: impl std::fmt::Display) -> Self {
        tracing::error!(%err, "database error");
        Self::new(ErrorCode::DatabaseUnavailable, "the state database is unavailable")
    }

    pub fn queue(err: impl std::fmt::Display) -> Self {
        tracing::error!(%err, "queue unavailable");
        Self::new(ErrorCode::QueueUnavailable, err.to_string())
    }
}

impl From<MessageError> for ApiError {
    fn from(err: MessageError) -> Self {
        Self { code: err.code(), message: err.to_string(), field: err.field().map(str::to_owned) }
    }
}

impl From<IntakeError> for ApiError {
    fn from(err: IntakeError) -> Self {
        match err {
            IntakeError::Db(e) => Self::database(e),
            IntakeError::Queue(e) => Self::queue(e),
        }
    }
}

impl From<QueueError> for ApiError {
    fn from(err: QueueError) -> Self {
        Self::queue(err)
    }
}

impl From<ApiError> for ErrorBody {
    fn from(err: ApiError) -> Self {
        Self { error: ErrorDetail { code: err.code, message: err.message, field: err.field } }
    }
}

/// When a client told 503 should come back (seconds): a database or Redis that is away is
/// most often back within a failover.
const RETRY_AFTER_SECS: &str = "5";

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(self.code);
        let mut response = (status, Json(ErrorBody::from(self))).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static(RETRY_AFTER_SECS));
        }
        response
    }
}
