//! What can go wrong with object storage, and whether it heals.

use std::path::PathBuf;

use opendal::ErrorKind;

use crate::domain::Retryable;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("bad storage URL: {0}")]
    BadUrl(String),
    #[error("bad storage credentials: {0}")]
    BadCredentials(String),
    #[error("bad object key {key:?}: {reason}")]
    BadKey { key: String, reason: &'static str },
    #[error("object {0:?} not found")]
    NotFound(String),
    #[error("range not satisfiable: {key:?} has {total_len} bytes")]
    RangeNotSatisfiable { key: String, total_len: u64 },
    #[error("local file {}: {reason}", path.display())]
    Local { path: PathBuf, reason: String },
    #[error("storage {op} {key:?}: {message}")]
    Io { op: &'static str, key: String, message: String, retryable: bool },
}

/// Whether the same call may succeed later (network trouble, timeouts, throttling, 5xx).
impl Retryable for StorageError {
    fn is_retryable(&self) -> bool {
        matches!(self, StorageError::Io { retryable: true, .. })
    }
}

impl StorageError {
    pub(super) fn backend(op: &'static str, key: &str, err: opendal::Error) -> Self {
        if err.kind() == ErrorKind::NotFound {
            return StorageError::NotFound(key.to_owned());
        }
        StorageError::Io {
            op,
            key: key.to_owned(),
            retryable: err.is_temporary() || err.kind() == ErrorKind::RateLimited,
            message: err.to_string(),
        }
    }
}
