//! The ecs pipeline: our own ffmpeg. Download the chosen source to a work dir (within
//! `limits`), check it with ffprobe, transcode it to the target height (H.264, audio copied)
//! reporting progress on the transcode, check the output with ffprobe, upload it through
//! OpenDAL, and say where it can be downloaded from. A failure that will not be retried leaves
//! nothing in the work dir.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use sea_orm::ActiveValue::Set;
use tokio::sync::watch;

use super::{
    limits::{SourceLimits, SourceRefused},
    source::Choice,
    store,
};
use crate::{
    config::Rate,
    db::{Database, transcodes},
    domain::{Retryable, SourceUrl, TranscodeKey, TranscodeState},
    node::{DownloadError, Downloader},
    services::Services,
    tools::{
        ffmpeg::{self, FfmpegError, Transcode},
        storage::StorageError,
    },
};

/// The output may be this much shorter or longer than its source.
const DURATION_SLACK: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum EcsError {
    #[error("no public URL for uploads: set STORAGE_PUBLIC_URL (or run web in this process)")]
    NoPublicUrl,
    #[error("the public URL {url} is invalid: {problem}")]
    BadPublicUrl { url: String, problem: String },
    #[error("source download: {0}")]
    Source(#[from] DownloadError),
    /// Refused by a cap or by its container; the reason starts with the refusal's code.
    #[error("{}: {}", .0.code(), .0)]
    Refused(#[from] SourceRefused),
    /// ffprobe cannot read the source, or the output: the same input fails the same way.
    #[error("the {what} cannot be read: {error}")]
    Unreadable { what: &'static str, error: FfmpegError },
    #[error("ffmpeg: {0}")]
    Ffmpeg(#[from] FfmpegError),
    #[error("{0}")]
    BadOutput(String),
    #[error("upload: {0}")]
    Upload(#[from] StorageError),
    #[error("interrupted by shutdown")]
    Interrupted,
}

impl Retryable for EcsError {
    fn is_retryable(&self) -> bool {
        match self {
            Self::Source(e) => e.is_retryable(),
            Self::Ffmpeg(e) => e.is_retryable(),
            Self::Upload(e) => e.is_retryable(),
            Self::Interrupted => true,
            Self::NoPublicUrl
            | Self::BadPublicUrl { .. }
            | Self::Refused(_)
            | Self::Unreadable { .. }
            | Self::BadOutput(_) => false,
        }
    }

    fn is_interrupted(&self) -> bool {
        matches!(self, Self::Interrupted | Self::Source(DownloadError::Cancelled))
    }
}

/// The storage key of a rendition: `6666/6666_240P.flv`.
pub fn object_key(key: TranscodeKey) -> String {
    format!("{0}/{0}_{1}.flv", key.record_id, key.resolution)
}

fn work_dir(services: &Services, key: TranscodeKey) -> PathBuf {
    services.settings.transcode_work_dir.join(format!("{}_{}", key.record_id, key.resolution))
}

/// Makes the rendition of `key` from `choice` and returns its public URL.
pub async fn make(services: &Services, key: TranscodeKey, choice: &Choice) -> Result<SourceUrl, EcsError> {
    if choice.upscale {
        tracing::warn!(from = ?choice.from, to = %key.resolution, "only smaller renditions exist: upscaling the largest");
    }
    // Known before any work is done: where the rendition will be downloaded from.
    let object = object_key(key);
    let url = services.public_url_of(&object).ok_or(EcsError::NoPublicUrl)?;
    let url: SourceUrl = url
        .parse()
        .map_err(|e: crate::domain::SourceUrlError| EcsError::BadPublicUrl { problem: e.to_string(), url })?;
    let dir = work_dir(services, key);
    let made = make_in(services, key, choice, &dir, &object).await;
    if let Err(err) = &made
        && !err.is_retryable()
        && !err.is_interrupted()
    {
        // Nothing in it can be used again: an endless source's bytes, a refused playlist.
        let _ = tokio::fs::remove_dir_all(&dir).await;
    }
    made.map(|()| url)
}

/// Removes what the transcode of `key` left in `TRANSCODE_WORK_DIR` (it is given up).
pub async fn discard(services: &Services, key: TranscodeKey) {
    let _ = tokio::fs::remove_dir_all(work_dir(services, key)).await;
}

async fn make_in(
    services: &Services,
    key: TranscodeKey,
    choice: &Choice,
    dir: &Path,
    object: &str,
) -> Result<(), EcsError> {
    let started = std::time::Instant::now();
    let limits = SourceLimits::of(&services.settings);
    let source = dir.join("source");
    let output = dir.join(format!("{}_{}.flv", key.record_id, key.resolution));
    fetch_source(services, &choice.url, &source, &limits).await?;
    let fetched = started.elapsed();
    let probe = ffmpeg::probe(&source).await.map_err(|error| match error {
        FfmpegError::FormatRefused { format } => EcsError::Refused(SourceRefused::Format { format }),
        error => EcsError::Unreadable { what: "source", error },
    })?;
    limits.check(&probe)?;
    run_ffmpeg(services, key, &source, &output, probe.duration).await?;
    let transcoded = started.elapsed();
    check_output(&output, key, probe.duration).await?;
    let uploaded = services.storage.upload_file(object, &output).await?;
    let _ = tokio::fs::remove_dir_all(dir).await;
    tracing::info!(fetched = ?fetched, transcoded = ?transcoded, done = ?started.elapsed(), bytes = uploaded, "ecs pipeline");
    Ok(())
}

/// The source, downloaded once: a restarted job continues the `.part`, a finished one is kept.
/// Stopped past `MAX_SOURCE_SIZE` or `SOURCE_DOWNLOAD_TIMEOUT`.
async fn fetch_source(
    services: &Services,
    url: &SourceUrl,
    path: &Path,
    limits: &SourceLimits,
) -> Result<(), EcsError> {
    if tokio::fs::metadata(path).await.is_ok() {
        return Ok(());
    }
    let cap = limits.size_cap();
    let downloader = Downloader {
        http: &services.sources,
        idle_timeout: services.settings.download_idle_timeout.0,
        rate: Rate::UNLIMITED,
        cancel: &services.shutdown,
        watch: Some(&cap),
        share: None,
    };
    // Dropping the download on time stops it; the caller removes its `.part`.
    let limit = limits.download_timeout;
    match tokio::time::timeout(limit.0, downloader.fetch(url, path)).await {
        Err(_) => Err(SourceRefused::TooSlow { limit }.into()),
        Ok(Err(err)) => {
            Err(SourceRefused::from_download(&err, limits).map_or(EcsError::Source(err), EcsError::Refused))
        }
        Ok(Ok(_)) => Ok(()),
    }
}

async fn run_ffmpeg(
    services: &Services,
    key: TranscodeKey,
    source: &Path,
    output: &Path,
    duration: Duration,
) -> Result<(), EcsError> {
    let spec = Transcode {
        input: source,
        output,
        height: key.resolution.height(),
        timeout: services.settings.transcode_timeout_ecs.0,
    };
    let (progress_tx, progress_rx) = watch::channel(0u8);
    let recorder = tokio::spawn(record_progress(services.db.clone(), key, progress_rx));
    let ran = tokio::select! {
        ran = spec.run(duration, move |percent| { let _ = progress_tx.send(percent); }) => ran,
        () = services.shutdown.cancelled() => {
            recorder.abort();
            return Err(EcsError::Interrupted); // dropping the run kills ffmpeg
        }
    };
    let _ = recorder.await;
    Ok(ran?)
}

/// Writes ffmpeg's progress on the transcode (visible in its status) in steps of 5%.
async fn record_progress(db: Database, key: TranscodeKey, mut progress: watch::Receiver<u8>) {
    let mut recorded = 0u8;
    while progress.changed().await.is_ok() {
        let percent = *progress.borrow_and_update();
        if percent < recorded.saturating_add(5) && percent < 100 {
            continue;
        }
        recorded = percent;
        tracing::info!(percent, "transcoding");
        let change = transcodes::ActiveModel { progress: Set(Some(i32::from(percent))), ..Default::default() };
        if let Err(err) = store::update(&db.conn, key, &[TranscodeState::Transcoding], change).await {
            tracing::warn!(%err, "could not record the transcode's progress");
        }
    }
}

async fn check_output(output: &Path, key: TranscodeKey, source_duration: Duration) -> Result<(), EcsError> {
    let probe = ffmpeg::probe(output).await.map_err(|error| EcsError::Unreadable { what: "output", error })?;
    let height = key.resolution.height();
    if probe.height != height {
        return Err(EcsError::BadOutput(format!("the output is {} pixels high, not {height}", probe.height)));
    }
    if probe.duration.abs_diff(source_duration) > DURATION_SLACK {
        let problem = format!("the output lasts {:?}, the source {source_duration:?}", probe.duration);
        return Err(EcsError::BadOutput(problem));
    }
    Ok(())
}
