//! Whether an error heals with time. Every error a job can meet says so itself, and the runner
//! turns any of them into a retry or an abort through one conversion (`JobError: From<E:
//! Retryable>`): no caller decides retry-or-abort by hand.

/// An error that knows whether waiting and trying again can help: a timeout, a 503 or a lost
/// connection heal; a 404, bad input or a full disk do not.
pub trait Retryable: std::error::Error {
    fn is_retryable(&self) -> bool;

    /// The process is shutting down: not a failure, the work is handed back untouched.
    fn is_interrupted(&self) -> bool {
        false
    }

    /// A dependency is away (`"the database"`, `"Redis"`, `"storage"`): not the job's fault.
    /// The job waits for it without spending its attempts, for up to its own budget
    /// (`QueueSettings::dependency_wait`).
    fn waits_for(&self) -> Option<&'static str> {
        None
    }
}

/// A run failed and the next is scheduled: what `Job::on_retry` is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryNotice {
    /// The attempt that failed (1 for the first).
    pub attempt: u32,
    pub max_attempts: u32,
    /// Why it failed, as the job's error says it.
    pub last_error: String,
    /// Unix ms when the next attempt is due.
    pub next_attempt_at: u64,
}
