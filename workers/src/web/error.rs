//! API errors: a stable `code` clients can branch on, a message for people, and the field at
//! fault when there is one. `{"error": {"code": "invalid_field", "field": "class_id", …}}`

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;
use shared::{booking::IntakeError, domain::MessageError};

/// The stable error codes of the API.
pub mod code {
    // Bad messages: `MessageError::code()` — malformed_json, not_an_object, invalid_field.
    pub const UNAUTHORIZED: &str = "unauthorized";
    pub const NOT_FOUND: &str = "not_found";
    pub const QUEUE_UNAVAILABLE: &str = "queue_unavailable";
    pub const DATABASE_UNAVAILABLE: &str = "database_unavailable";
    pub const TRANSCODE_IN_PROGRESS: &str = "transcode_in_progress";
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), field: None }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code::NOT_FOUND, what)
    }

    pub fn database(err: impl std::fmt::Display) -> Self {
        tracing::error!(%err, "database error");
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code::DATABASE_UNAVAILABLE, "the state database is unavailable")
    }
}

impl From<MessageError> for ApiError {
    fn from(err: MessageError) -> Self {
        let code = err.code();
        let field = err.field().map(str::to_owned);
        Self { status: StatusCode::BAD_REQUEST, code, message: err.to_string(), field }
    }
}

impl From<IntakeError> for ApiError {
    fn from(err: IntakeError) -> Self {
        match err {
            IntakeError::Db(e) => Self::database(e),
            IntakeError::Queue(e) => {
                tracing::error!(err = %e, "queue unavailable");
                Self::new(StatusCode::SERVICE_UNAVAILABLE, code::QUEUE_UNAVAILABLE, e.to_string())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message, "field": self.field}});
        (self.status, Json(body)).into_response()
    }
}
