//! Every stable error code vteacher shows, in one place (as pict-rs keeps `error_code.rs`):
//! the API's error bodies (`{"error": {"code": …}}`) and the bridge's rejection counter
//! (`vteacher_bridge_rejected_total{reason}`) use `ErrorCode`; a failed transcode's reason
//! (and so its waiting bookings') starts with a `FailureCode` when it has one. No other spelling.

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
    /// A message larger than its cap (the bridge's `BRIDGE_MAX_MESSAGE`), refused unread.
    MessageTooLarge,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 9] = [
        Self::MalformedJson,
        Self::NotAnObject,
        Self::InvalidField,
        Self::Unauthorized,
        Self::NotFound,
        Self::TranscodeInProgress,
        Self::QueueUnavailable,
        Self::DatabaseUnavailable,
        Self::MessageTooLarge,
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
            Self::MessageTooLarge => "message_too_large",
        }
    }
}

/// The stable code a failure's reason starts with (`source_too_large: the source …`), for
/// failures a person or a client acts on differently: a source to fix, not a retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureCode {
    /// The source is over `MAX_SOURCE_SIZE` (announced, or sent).
    SourceTooLarge,
    /// The source took longer than `SOURCE_DOWNLOAD_TIMEOUT` to download.
    SourceTooSlow,
    /// The source is not a video container ffmpeg may read (a playlist, a list of files…).
    SourceFormatRefused,
    /// The source lasts longer than `MAX_SOURCE_DURATION`.
    SourceTooLong,
    /// The source's frame is larger than `MAX_SOURCE_PIXELS`.
    SourceTooManyPixels,
    /// The source (or a redirect, or what its name resolves to) is an address on a network
    /// sources may not be fetched from (`tools::egress`, `SOURCE_ALLOW_NETS`).
    SourceNotAllowed,
}

impl FailureCode {
    pub const ALL: [FailureCode; 6] = [
        Self::SourceTooLarge,
        Self::SourceTooSlow,
        Self::SourceFormatRefused,
        Self::SourceTooLong,
        Self::SourceTooManyPixels,
        Self::SourceNotAllowed,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SourceTooLarge => "source_too_large",
            Self::SourceTooSlow => "source_too_slow",
            Self::SourceFormatRefused => "source_format_refused",
            Self::SourceTooLong => "source_too_long",
            Self::SourceTooManyPixels => "source_too_many_pixels",
            Self::SourceNotAllowed => "source_not_allowed",
        }
    }
}

impl fmt::Display for FailureCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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

    #[test]
    fn failure_codes_are_distinct_snake_case_words() {
        let spelled: std::collections::HashSet<_> = FailureCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(spelled.len(), FailureCode::ALL.len());
        assert!(spelled.iter().all(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_')), "{spelled:?}");
    }
}
