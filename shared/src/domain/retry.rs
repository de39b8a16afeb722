//! Whether an error heals with time. Every error a job can meet says so itself, and the job
//! layer turns any of them into a retry or an abort through one conversion
//! (`JobError: From<E: Retryable>` in the queue engine): no caller decides retry-or-abort by hand.

/// A job between attempts, as the status of what it works on shows it (`retry` in a booking's
/// status while its download waits to be tried again).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"attempt": 1, "max_attempts": 12, "next_attempt_at": 1_796_212_000_000_i64,
    "last_error": "network error: http://127.0.0.1:9/a.flv: error sending request: connection refused (127.0.0.1:9)"}))]
pub struct RetryStatus {
    /// The attempt that failed (1 for the first).
    pub attempt: u32,
    pub max_attempts: u32,
    /// Why it failed: the cause chain (host, "connection refused", HTTP status, timeout).
    pub last_error: String,
    /// Unix ms when the next attempt is due.
    pub next_attempt_at: i64,
}

/// An error that knows whether waiting and trying again can help: a timeout, a 503 or a lost
/// connection heal; a 404, bad input or a full disk do not.
pub trait Retryable: std::error::Error {
    fn is_retryable(&self) -> bool;

    /// The process is shutting down: not a failure, the work is handed back untouched.
    fn is_interrupted(&self) -> bool {
        false
    }
}

/// The database may be back in a moment.
impl Retryable for sea_orm::DbErr {
    fn is_retryable(&self) -> bool {
        true
    }
}
