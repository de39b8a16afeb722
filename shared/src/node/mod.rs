//! A push host: its downloads, its video cache and its heartbeat.

pub mod cache;
pub mod download;
pub mod heartbeat;
mod part;
pub mod placement;
mod throttle;

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

pub use download::{DownloadError, Downloaded, Downloader};

use crate::{domain::SourceUrl, services::Services};

/// One lock per video path on this node, so two bookings of the same video download it once:
/// the second waits, then finds the file in place.
#[derive(Default)]
pub struct DownloadLocks {
    locks: Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>,
}

impl DownloadLocks {
    async fn lock(&self, path: &Path) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
            locks.retain(|_, lock| Arc::strong_count(lock) > 1);
            locks.entry(path.to_owned()).or_default().clone()
        };
        lock.lock_owned().await
    }
}

/// How a video came to be on the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetched {
    /// Already there: no byte downloaded.
    CacheHit {
        bytes: u64,
    },
    Downloaded(Downloaded),
}

impl Fetched {
    pub fn bytes(self) -> u64 {
        match self {
            Self::CacheHit { bytes } => bytes,
            Self::Downloaded(d) => d.bytes,
        }
    }
}

/// Puts the video at `path`, downloading it from `url` unless it is already there.
pub async fn fetch_video(services: &Services, url: &SourceUrl, path: &Path) -> Result<Fetched, DownloadError> {
    let _guard = services.downloads.lock(path).await;
    if let Ok(meta) = tokio::fs::metadata(path).await
        && meta.is_file()
    {
        return Ok(Fetched::CacheHit { bytes: meta.len() });
    }
    let downloader =
        Downloader { http: &services.http, rate: services.settings.download_rate, cancel: &services.shutdown };
    downloader.fetch(url, path).await.map(Fetched::Downloaded)
}
