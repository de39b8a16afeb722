//! Every stable error code vteacher shows, in one place (as pict-rs keeps `error_code.rs`):
//! the API's error bodies (`{"error": {"code": …}}`) and the bridge's rejection counter
//! (`vteacher_bridge_rejected_total{reason}`) use these and no other spelling.

use std::fmt;

use serde::Serialize;

/// The stable code of an API error (`{"error": {"code": …}}`); clients branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not JSON.
    MalformedJson,
    /// The body is JSON, but not an object.
    NotAnObject,
    /// A field is missing or wrong; the error names it.
    InvalidField,
    /// `/api` without the bearer token (or the dashboard without its login).
    Unauthorized,
    NotFound,
    /// The transcode is in progress (with the other provider, or a reset of one in progress).
    TranscodeInProgress,
    /// The queue backend (Redis) did not take the job.
    QueueUnavailable,
    /// The state database did not answer.
    DatabaseUnavailable,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 8] = [
        Self::MalformedJson,
        Self::NotAnObject,
        Self::InvalidField,
        Self::Unauthorized,
        Self::NotFound,
        Self::TranscodeInProgress,
        Self::QueueUnavailable,
        Self::DatabaseUnavailable,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MalformedJson => "malformed_json",
            Self::NotAnObject => "not_an_object",
            Self::InvalidField => "invalid_field",
            Self::Unauthorized => "unauthorized",
            Self::NotFound => "not_found",
            Self::TranscodeInProgress => "transcode_in_progress",
            Self::QueueUnavailable => "queue_unavailable",
            Self::DatabaseUnavailable => "database_unavailable",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_spelling_is_the_serde_spelling() {
        for code in ErrorCode::ALL {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
    }
}
