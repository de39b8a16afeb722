//! Why a download failed, in words its booking's reason can carry, and whether it heals.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use reqwest::StatusCode;

use crate::domain::Retryable;

#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// `url` is redacted (no query string: signed URLs carry credentials there), as in every
    /// error and log line; these errors become reasons users see.
    #[error("the source answered {status} for {url}")]
    Refused { status: StatusCode, url: String },
    #[error("the source answered {status} for {url}; will retry")]
    Unavailable { status: StatusCode, url: String },
    /// The host, and the chain of causes.
    #[error("network error reaching {0}")]
    Network(String),
    #[error("stalled: the source sent nothing for {0:?}")]
    Stalled(Duration),
    #[error("length check failed: expected {expected} bytes, got {got}")]
    Length { expected: u64, got: u64 },
    /// The body ran past the length the source announced: what was received cannot be trusted.
    #[error("the source sent more than the {expected} bytes it announced")]
    TooLong { expected: u64 },
    /// A redirect not followed: a loop, or to a URL that is not http(s).
    #[error("{0}")]
    Redirect(String),
    #[error("no space left on the disk of {0}")]
    DiskFull(PathBuf),
    /// The disk is full and every video left is referenced or being downloaded.
    #[error(
        "no space left on the disk of {path}: {free} bytes free, {needed} needed, and nothing can be evicted \
         (every video left is referenced by a class or being downloaded)"
    )]
    DiskFullNothingToEvict { path: PathBuf, free: u64, needed: u64 },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("interrupted by shutdown")]
    Cancelled,
    #[error("the source did not say how long the video is (no Content-Length) for {0}: its size cannot be reserved")]
    NoLength(String),
    /// No room can be made on the node (`evict::Full` says how much is held and the limit).
    #[error("{0}")]
    CacheFull(String),
    /// The node's cache index failed while the download ran.
    #[error("the node's cache index: {0}")]
    Index(String),
    /// The source (or a redirect, or what its name resolves to) is an address sources may not
    /// reach: refused before any connection, never retried.
    #[error("{0}")]
    NotAllowed(crate::tools::egress::SourceNotAllowed),
    /// No class needs the video any more (they ended): stopped, its `.part` is removed.
    #[error("abandoned: no class needs the video any more")]
    Abandoned,
    /// Past the size its caller allows (a `Watch` said so): on the length `announced`, before
    /// the body is read, or on the bytes received. Stopped, and its `.part` removed.
    #[error("the source is larger than the {limit} bytes allowed{}", .announced.map(|a| format!(" (it announces {a})")).unwrap_or_default())]
    TooLarge { limit: u64, announced: Option<u64> },
}

/// Waiting and trying again can help, but not with a 404, a full disk or cache, a source that
/// does not say its length or is larger than allowed, or a redirect that cannot be followed.
impl Retryable for DownloadError {
    fn is_retryable(&self) -> bool {
        !matches!(
            self,
            Self::Refused { .. }
                | Self::DiskFull(_)
                | Self::DiskFullNothingToEvict { .. }
                | Self::NoLength(_)
                | Self::CacheFull(_)
                | Self::Abandoned
                | Self::Redirect(_)
                | Self::NotAllowed(_)
                | Self::TooLarge { .. }
        )
    }

    fn is_interrupted(&self) -> bool {
        matches!(self, Self::Cancelled)
    }
}

impl DownloadError {
    pub(in crate::node) fn io(path: &Path, source: std::io::Error) -> Self {
        if source.raw_os_error() == Some(28) {
            return Self::DiskFull(path.to_owned());
        }
        Self::Io { path: path.to_owned(), source }
    }

    /// Whether the `.part` left behind can be continued: not after a failure that will not be
    /// retried, nor after a body longer than announced. A full disk keeps it: room is made and
    /// the download resumes (the cache removes it when no room can be made).
    pub(super) fn leaves_resumable_part(&self) -> bool {
        (self.is_retryable() || matches!(self, Self::DiskFull(_))) && !matches!(self, Self::TooLong { .. })
    }

    /// The host, then each cause down to the system's ("127.0.0.1:9: error sending request:
    /// client error (Connect): tcp connect error: Connection refused").
    pub(super) fn network(source: &reqwest::Url, err: reqwest::Error) -> Self {
        Self::Network(format!("{}: {}", host_of(source), describe(err)))
    }
}

/// A reqwest error with its causes ("request or response body error" alone says little),
/// without its URL (signed URLs carry credentials).
pub(super) fn describe(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut text = err.to_string();
    let mut cause = std::error::Error::source(&err);
    while let Some(next) = cause {
        let said = next.to_string();
        if !text.contains(&said) {
            text = format!("{text}: {said}");
        }
        cause = next.source();
    }
    text
}

/// `host:port` of a URL, as failure reasons name it (never its path or query string).
pub(crate) fn host_of(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or("?");
    url.port_or_known_default().map_or_else(|| host.to_owned(), |port| format!("{host}:{port}"))
}
