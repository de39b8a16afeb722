//! The ecs pipeline: our own ffmpeg. Download the chosen source to a work dir, transcode it to
//! the target height (H.264, audio copied) reporting progress on the transcode, check the
//! output with ffprobe, upload it through OpenDAL, and say where it can be downloaded from.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use tokio::sync::watch;

use super::{source::Choice, store::Key};
use crate::{
    app::App,
    config::Rate,
    db::{
        now_ms,
        transcodes::{self, TranscodeState},
    },
    domain::SourceUrl,
    node::Downloader,
    queue::JobError,
    tools::ffmpeg::{self, Transcode},
};

/// The output may be this much shorter or longer than its source.
const DURATION_SLACK: Duration = Duration::from_secs(1);

/// The storage key of a rendition: `6666/6666_240P.flv`.
pub fn object_key(key: Key) -> String {
    format!("{0}/{0}_{1}.flv", key.record_id, key.resolution)
}

fn work_dir(app: &App, key: Key) -> PathBuf {
    app.settings.transcode_work_dir.join(format!("{}_{}", key.record_id, key.resolution))
}

/// Makes the rendition of `key` from `choice` and returns its public URL.
pub async fn make(app: &App, key: Key, choice: &Choice) -> Result<SourceUrl, JobError> {
    if choice.upscale {
        tracing::warn!(from = ?choice.from, to = %key.resolution, "only smaller renditions exist: upscaling the largest");
    }
    // Known before any work is done: where the rendition will be downloaded from.
    let object = object_key(key);
    let url = app.public_url_of(&object).ok_or_else(|| {
        JobError::abort("no public URL for uploads: set STORAGE_PUBLIC_URL (or run web in this process)")
    })?;
    let url: SourceUrl = url.parse().map_err(|e| JobError::abort(format!("the public URL {url} is invalid: {e}")))?;
    let started = std::time::Instant::now();
    let dir = work_dir(app, key);
    let source = dir.join("source");
    let output = dir.join(format!("{}_{}.flv", key.record_id, key.resolution));
    fetch_source(app, &choice.url, &source).await?;
    let fetched = started.elapsed();
    let probe = ffmpeg::probe(&source).await.map_err(|e| JobError::abort(format!("the source cannot be read: {e}")))?;
    run_ffmpeg(app, key, &source, &output, probe.duration).await?;
    let transcoded = started.elapsed();
    check_output(&output, key, probe.duration).await?;
    let uploaded = app.storage.upload_file(&object, &output).await.map_err(|e| {
        if e.is_retryable() { JobError::retry(format!("upload: {e}")) } else { JobError::abort(format!("upload: {e}")) }
    })?;
    let _ = tokio::fs::remove_dir_all(&dir).await;
    tracing::info!(fetched = ?fetched, transcoded = ?transcoded, done = ?started.elapsed(), bytes = uploaded, "ecs pipeline");
    Ok(url)
}

/// The source, downloaded once: a restarted job continues the `.part`, a finished one is kept.
async fn fetch_source(app: &App, url: &SourceUrl, path: &Path) -> Result<(), JobError> {
    if tokio::fs::metadata(path).await.is_ok() {
        return Ok(());
    }
    let downloader = Downloader { http: &app.http, rate: Rate::UNLIMITED, cancel: &app.shutdown };
    downloader.fetch(url, path).await.map(drop).map_err(|e| match e {
        crate::node::DownloadError::Cancelled => JobError::Interrupted,
        e if e.is_retryable() => JobError::retry(format!("source download: {e}")),
        e => JobError::abort(format!("source download: {e}")),
    })
}

async fn run_ffmpeg(app: &App, key: Key, source: &Path, output: &Path, duration: Duration) -> Result<(), JobError> {
    let spec = Transcode {
        input: source,
        output,
        height: key.resolution.height(),
        timeout: app.settings.transcode_timeout_ecs.0,
    };
    let (progress_tx, progress_rx) = watch::channel(0u8);
    let recorder = tokio::spawn(record_progress(app.clone(), key, progress_rx));
    let ran = tokio::select! {
        ran = spec.run(duration, move |percent| { let _ = progress_tx.send(percent); }) => ran,
        () = app.shutdown.cancelled() => {
            recorder.abort();
            return Err(JobError::Interrupted); // dropping the run kills ffmpeg
        }
    };
    let _ = recorder.await;
    ran.map_err(|e| {
        if e.is_retryable() { JobError::retry(format!("ffmpeg: {e}")) } else { JobError::abort(format!("ffmpeg: {e}")) }
    })
}

/// Writes ffmpeg's progress on the transcode (visible in its status) in steps of 5%.
async fn record_progress(app: App, key: Key, mut progress: watch::Receiver<u8>) {
    let mut recorded = 0u8;
    while progress.changed().await.is_ok() {
        let percent = *progress.borrow_and_update();
        if percent < recorded.saturating_add(5) && percent < 100 {
            continue;
        }
        recorded = percent;
        tracing::info!(percent, "transcoding");
        let change = transcodes::ActiveModel {
            progress: Set(Some(i32::from(percent))),
            updated_at: Set(now_ms()),
            ..Default::default()
        };
        let updated = transcodes::Entity::update_many()
            .set(change)
            .filter(transcodes::Column::RecordId.eq(key.record_id.get()))
            .filter(transcodes::Column::Resolution.eq(key.resolution.as_str()))
            .filter(transcodes::Column::State.eq(TranscodeState::Transcoding))
            .exec(&app.db.conn)
            .await;
        if let Err(err) = updated {
            tracing::warn!(%err, "could not record the transcode's progress");
        }
    }
}

async fn check_output(output: &Path, key: Key, source_duration: Duration) -> Result<(), JobError> {
    let probe = ffmpeg::probe(output).await.map_err(|e| JobError::abort(format!("the output cannot be read: {e}")))?;
    let height = key.resolution.height();
    if probe.height != height {
        return Err(JobError::abort(format!("the output is {} pixels high, not {height}", probe.height)));
    }
    if probe.duration.abs_diff(source_duration) > DURATION_SLACK {
        return Err(JobError::abort(format!("the output lasts {:?}, the source {source_duration:?}", probe.duration)));
    }
    Ok(())
}
