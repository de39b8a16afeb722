//! What can go wrong running ffmpeg or ffprobe, and whether waiting helps.

use std::{os::unix::process::ExitStatusExt, process::ExitStatus, time::Duration};

use crate::domain::Retryable;

#[derive(Debug, thiserror::Error)]
pub enum FfmpegError {
    #[error("{0} is not installed (not found on PATH)")]
    NotInstalled(&'static str),
    #[error("timed out after {}", humantime::format_duration(*.0))]
    Timeout(Duration),
    #[error("{tool} failed ({status}): {stderr_tail}")]
    Failed { tool: &'static str, status: ExitStatus, stderr_tail: String },
    #[error("unexpected ffprobe output: {0}")]
    BadOutput(String),
    /// The input's container is not one of `ALLOWED_FORMATS` (`format`: ffmpeg's name for it).
    #[error("the input is a {format} file, not a container of the allow list (ALLOWED_FORMATS)")]
    FormatRefused { format: String },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Whether the same job may succeed later. ffmpeg is deterministic: an exit code means the
/// input (or the command) is wrong and will be wrong again — except when the machine ran out
/// of disk or memory. A signal means something outside killed it (OOM killer, shutdown). A
/// missing binary needs an operator, not a retry.
impl Retryable for FfmpegError {
    fn is_retryable(&self) -> bool {
        match self {
            Self::Timeout(_) | Self::Io(_) => true,
            Self::Failed { status, stderr_tail, .. } => status.signal().is_some() || is_resource_error(stderr_tail),
            Self::NotInstalled(_) | Self::BadOutput(_) | Self::FormatRefused { .. } => false,
        }
    }
}

fn is_resource_error(stderr: &str) -> bool {
    ["No space left on device", "Cannot allocate memory"].iter().any(|m| stderr.contains(m))
}
