//! The ecs pipeline: our own ffmpeg. Download the chosen source to a work dir, transcode it to
//! the target height (H.264, audio copied) reporting progress on the transcode, check the
//! output with ffprobe, upload it through OpenDAL, and say where it can be downloaded from.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use sea_orm::ActiveValue::Set;
use tokio::sync::watch;

use super::{source::Choice, store};
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
            Self::NoPublicUrl | Self::BadPublicUrl { .. } | Self::Unreadable { .. } | Self::BadOutput(_) => false,
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
    let started = std::time::Instant::now();
    let dir = work_dir(services, key);
    let source = dir.join("source");
    let output = dir.join(format!("{}_{}.flv", key.record_id, key.resolution));
    fetch_source(services, &choice.url, &source).await?;
    let fetched = started.elapsed();
    let probe = ffmpeg::probe(&source).await.map_err(|error| EcsError::Unreadable { what: "source", error })?;
    run_ffmpeg(services, key, &source, &output, probe.duration).await?;
    let transcoded = started.elapsed();
    check_output(&output, key, probe.duration).await?;
    let uploaded = services.storage.upload_file(&object, &output).await?;
    let _ = tokio::fs::remove_dir_all(&dir).await;
    tracing::info!(fetched = ?fetched, transcoded = ?transcoded, done = ?started.elapsed(), bytes = uploaded, "ecs pipeline");
    Ok(url)
}

/// The source, downloaded once: a restarted job continues the `.part`, a finished one is kept.
async fn fetch_source(services: &Services, url: &SourceUrl, path: &Path) -> Result<(), EcsError> {
    if tokio::fs::metadata(path).await.is_ok() {
        return Ok(());
    }
    let downloader = Downloader {
        http: &services.sources,
        idle_timeout: services.settings.download_idle_timeout.0,
        rate: Rate::UNLIMITED,
        cancel: &services.shutdown,
        watch: None,
        share: None,
    };
    downloader.fetch(url, path).await?;
    Ok(())
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
