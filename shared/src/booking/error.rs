//! What can stop a booking's decision or dispatch, each error knowing whether it heals.

use sea_orm::DbErr;

use crate::domain::Retryable;

#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("no such booking")]
    NotFound,
    /// A stored row that no longer parses: trying again reads the same row.
    #[error("stored booking has a bad {what}: {problem}")]
    Invalid { what: &'static str, problem: String },
    #[error("a legacy booking needs no transcode")]
    NeedsNoTranscode,
    /// Nodes come back: a heartbeat makes one live again.
    #[error("no live push host (no node reported within three NODE_HEARTBEATs)")]
    NoLiveNode,
    /// The node directory (where nodes report) did not answer.
    #[error("node directory: {0}")]
    Directory(String),
}

impl BookingError {
    pub fn invalid(what: &'static str, problem: impl std::fmt::Display) -> Self {
        Self::Invalid { what, problem: problem.to_string() }
    }
}

impl Retryable for BookingError {
    fn is_retryable(&self) -> bool {
        matches!(self, Self::Db(_) | Self::NoLiveNode | Self::Directory(_))
    }

    fn waits_for(&self) -> Option<&'static str> {
        matches!(self, Self::Db(e) if crate::db::is_unavailable(e)).then_some(crate::db::THE_DATABASE)
    }
}

impl From<crate::directory::DirectoryError> for BookingError {
    fn from(err: crate::directory::DirectoryError) -> Self {
        Self::Directory(err.to_string())
    }
}
