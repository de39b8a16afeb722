//! The downloader: HTTP(S) only, paced to `DOWNLOAD_RATE`, resumable like `wget -c` (a
//! `.part` file continued with `Range`, guarded by `If-Range` with the validator first seen),
//! length-checked, and renamed into place atomically.

use std::{path::Path, time::Duration};

use futures::{StreamExt, future::BoxFuture};
use reqwest::{StatusCode, header};
use tokio_util::sync::CancellationToken;

mod error;

pub use error::DownloadError;
use error::{describe, host_of};

use super::{
    bandwidth::{Pacer, Share},
    part::PartFile,
    throttle::Throttle,
};
use crate::{
    config::Rate,
    domain::{SourceUrl, redact_url},
    tools::{
        egress::SourceNotAllowed,
        http::{RedirectRefused, SourceClient, cause},
    },
};

/// What a finished download did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Downloaded {
    pub bytes: u64,
    /// Bytes already in the `.part` file and not fetched again.
    pub resumed_from: u64,
}

/// What the caller of a download hears, and may answer with an error that stops it: the
/// video's full size once the source says it (the cache reserves it), and its progress.
pub trait Watch: Send + Sync {
    fn started(&self, total: Option<u64>) -> BoxFuture<'_, Result<(), DownloadError>>;
    fn progress(&self, bytes: u64, total: u64) -> BoxFuture<'_, Result<(), DownloadError>>;
}

pub struct Downloader<'a> {
    pub http: &'a SourceClient,
    /// A stalled connection (no byte for this long, `DOWNLOAD_IDLE_TIMEOUT`) is dropped.
    pub idle_timeout: Duration,
    pub rate: Rate,
    pub cancel: &'a CancellationToken,
    pub watch: Option<&'a dyn Watch>,
    /// The node-wide budget (`NODE_BANDWIDTH`) and this download's place in it.
    pub share: Option<Share<'a>>,
}

impl Downloader<'_> {
    /// Downloads `url` to `dest`. On an error the `.part` file stays, to be continued, unless
    /// it cannot be (a failure that will not be retried, such as a full disk or cache, or a
    /// body longer than announced): then it is removed, so the failed download holds no space.
    pub async fn fetch(&self, url: &SourceUrl, dest: &Path) -> Result<Downloaded, DownloadError> {
        let result = self.fetch_into_part(url, dest).await;
        if let Err(err) = &result
            && !err.leaves_resumable_part()
        {
            PartFile::remove(dest).await;
        }
        result
    }

    async fn fetch_into_part(&self, url: &SourceUrl, dest: &Path) -> Result<Downloaded, DownloadError> {
        let mut part = PartFile::open(dest, url.as_str()).await?;
        let response = self.request(url, &part).await?;
        let status = response.status();
        let resumed_from = match status {
            StatusCode::PARTIAL_CONTENT if content_range_start(&response) == Some(part.len()) => part.len(),
            StatusCode::RANGE_NOT_SATISFIABLE if range_total(&response) == Some(part.len()) => {
                // Everything had arrived before; only the rename was left.
                let len = part.len();
                if let Some(watch) = self.watch {
                    watch.started(Some(len)).await?;
                }
                return self.finish(part, dest, len, len).await;
            }
            StatusCode::OK | StatusCode::PARTIAL_CONTENT | StatusCode::RANGE_NOT_SATISFIABLE => {
                if part.len() > 0 {
                    tracing::info!(url = url.redacted(), had = part.len(), %status, "source changed or ignores Range; starting over");
                }
                part.restart(validator(&response)).await?;
                if status != StatusCode::OK {
                    return Err(DownloadError::Unavailable { status, url: url.redacted() });
                }
                0
            }
            _ if status.is_redirection() => return Err(unfollowed(&response, url)),
            _ => return Err(refusal(status, url)),
        };
        let expected = expected_total(&response, resumed_from);
        if let Some(watch) = self.watch {
            watch.started(expected).await?;
        }
        let got = self.copy_body(response, &mut part, expected.unwrap_or(0)).await?;
        self.finish(part, dest, expected.unwrap_or(got), got).await.map(|d| Downloaded { resumed_from, ..d })
    }

    async fn request(&self, url: &SourceUrl, part: &PartFile) -> Result<reqwest::Response, DownloadError> {
        let mut request = self.http.get(url.as_url()).map_err(DownloadError::NotAllowed)?;
        if part.len() > 0 {
            request = request.header(header::RANGE, format!("bytes={}-", part.len()));
            if let Some(validator) = part.validator() {
                request = request.header(header::IF_RANGE, validator);
            }
        }
        let response = tokio::select! {
            sent = tokio::time::timeout(self.idle_timeout, request.send()) => sent,
            () = self.cancel.cancelled() => return Err(DownloadError::Cancelled),
        };
        let response = response.map_err(|_| DownloadError::Stalled(self.idle_timeout))?;
        response.map_err(|e| {
            if let Some(refused) = cause::<SourceNotAllowed>(&e) {
                return DownloadError::NotAllowed(refused.clone());
            }
            match cause::<RedirectRefused>(&e) {
                Some(refused) => DownloadError::Redirect(refused.to_string()),
                None => DownloadError::network(url.as_url(), e),
            }
        })
    }

    async fn copy_body(
        &self,
        response: reqwest::Response,
        part: &mut PartFile,
        total: u64,
    ) -> Result<u64, DownloadError> {
        let source = response.url().clone();
        let mut throttle = Throttle::new(self.rate);
        let mut pacer = Pacer::new(self.share);
        pacer.prepay().await;
        let mut body = response.bytes_stream();
        loop {
            let next = tokio::select! {
                next = tokio::time::timeout(self.idle_timeout, body.next()) => next,
                () = self.cancel.cancelled() => {
                    part.flush().await?;
                    return Err(DownloadError::Cancelled);
                }
            };
            let Ok(next) = next else {
                // What arrived before the stall is kept, to be resumed.
                part.flush().await?;
                return Err(DownloadError::Stalled(self.idle_timeout));
            };
            match next {
                None => break,
                Some(Err(e)) => {
                    part.flush().await?;
                    let of = if total > 0 { format!(" of {total}") } else { String::new() };
                    let (err, got) = (describe(e), part.len());
                    return Err(DownloadError::Network(format!("{}: {err} (after {got}{of} bytes)", host_of(&source))));
                }
                Some(Ok(chunk)) if total > 0 && part.len() + chunk.len() as u64 > total => {
                    return Err(DownloadError::TooLong { expected: total });
                }
                Some(Ok(chunk)) => {
                    part.write(&chunk).await?;
                    // Both paces at once: the download goes on when both allow it.
                    tokio::join!(throttle.take(chunk.len()), pacer.take(chunk.len()));
                    if let Some(watch) = self.watch
                        && let Err(stop) = watch.progress(part.len(), total).await
                    {
                        part.flush().await?;
                        return Err(stop);
                    }
                }
            }
        }
        part.flush().await?;
        Ok(part.len())
    }

    async fn finish(&self, part: PartFile, dest: &Path, expected: u64, got: u64) -> Result<Downloaded, DownloadError> {
        if got != expected {
            return Err(DownloadError::Length { expected, got });
        }
        part.commit(dest).await?;
        Ok(Downloaded { bytes: got, resumed_from: 0 })
    }
}

fn refusal(status: StatusCode, url: &SourceUrl) -> DownloadError {
    let url = url.redacted();
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::REQUEST_TIMEOUT {
        DownloadError::Unavailable { status, url }
    } else {
        DownloadError::Refused { status, url }
    }
}

/// A redirect the client could not follow: to a URL it cannot request (`file:`, …).
fn unfollowed(response: &reqwest::Response, url: &SourceUrl) -> DownloadError {
    let Some(to) = response.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()) else {
        return refusal(response.status(), url);
    };
    let shown = redact_url(to);
    match url.as_url().join(to) {
        Ok(next) if matches!(next.scheme(), "http" | "https") => {
            DownloadError::Redirect(format!("a redirect to {shown} was not followed"))
        }
        _ => DownloadError::Redirect(format!("redirected to {shown}: only http and https can be downloaded")),
    }
}

/// The strong ETag, else Last-Modified: what `If-Range` may carry.
fn validator(response: &reqwest::Response) -> Option<String> {
    let headers = response.headers();
    let etag = headers.get(header::ETAG).and_then(|v| v.to_str().ok()).filter(|e| !e.starts_with("W/"));
    etag.or_else(|| headers.get(header::LAST_MODIFIED).and_then(|v| v.to_str().ok())).map(str::to_owned)
}

/// `Content-Range: bytes 100-199/200` → (100, Some(200)); `bytes */200` → start None.
fn content_range(response: &reqwest::Response) -> Option<(Option<u64>, Option<u64>)> {
    let value = response.headers().get(header::CONTENT_RANGE)?.to_str().ok()?;
    let (range, total) = value.strip_prefix("bytes ")?.split_once('/')?;
    let start = range.split_once('-').and_then(|(s, _)| s.trim().parse().ok());
    Some((start, total.trim().parse().ok()))
}

fn content_range_start(response: &reqwest::Response) -> Option<u64> {
    content_range(response)?.0
}

fn range_total(response: &reqwest::Response) -> Option<u64> {
    content_range(response)?.1
}

/// The file's full length, when the server says it.
fn expected_total(response: &reqwest::Response, resumed_from: u64) -> Option<u64> {
    if response.status() == StatusCode::PARTIAL_CONTENT {
        return range_total(response);
    }
    response.content_length().map(|len| len + resumed_from)
}
