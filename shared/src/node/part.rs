//! The `.part` file of a download in progress, and beside it `.part.json`: the URL and the
//! validator (strong ETag or Last-Modified) it was started with, for `If-Range`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokio::{
    fs::{self, File, OpenOptions},
    io::{AsyncWriteExt, BufWriter},
};

use super::download::DownloadError;

/// Writes are batched: a killed process loses at most this much of what it had received.
const WRITE_BUFFER: usize = 256 * 1024;

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Meta {
    url: String,
    validator: Option<String>,
}

pub(super) struct PartFile {
    path: PathBuf,
    meta_path: PathBuf,
    file: BufWriter<File>,
    len: u64,
    meta: Meta,
}

fn with_suffix(dest: &Path, suffix: &str) -> PathBuf {
    let mut name = dest.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

impl PartFile {
    /// Opens the `.part` of `dest`, keeping what it holds if it was started from `url`.
    pub(super) async fn open(dest: &Path, url: &str) -> Result<Self, DownloadError> {
        let path = with_suffix(dest, ".part");
        let meta_path = with_suffix(dest, ".part.json");
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).await.map_err(|e| DownloadError::io(parent, e))?;
        }
        let stored: Option<Meta> = fs::read(&meta_path).await.ok().and_then(|b| serde_json::from_slice(&b).ok());
        let meta = match stored {
            Some(meta) if meta.url == url => meta,
            // Started from another URL (or never described): its bytes cannot be trusted.
            Some(_) => {
                let _ = fs::remove_file(&path).await;
                Meta { url: url.to_owned(), validator: None }
            }
            None => Meta { url: url.to_owned(), validator: None },
        };
        let file =
            OpenOptions::new().create(true).append(true).open(&path).await.map_err(|e| DownloadError::io(&path, e))?;
        let len = file.metadata().await.map_err(|e| DownloadError::io(&path, e))?.len();
        Ok(Self { path, meta_path, file: BufWriter::with_capacity(WRITE_BUFFER, file), len, meta })
    }

    /// Removes the `.part` of `dest` and its description.
    pub(super) async fn remove(dest: &Path) {
        let _ = fs::remove_file(with_suffix(dest, ".part")).await;
        let _ = fs::remove_file(with_suffix(dest, ".part.json")).await;
    }

    pub(super) fn len(&self) -> u64 {
        self.len
    }

    pub(super) fn validator(&self) -> Option<&str> {
        self.meta.validator.as_deref()
    }

    /// Empties the file and remembers the new validator: the download starts from zero.
    pub(super) async fn restart(&mut self, validator: Option<String>) -> Result<(), DownloadError> {
        self.file.flush().await.map_err(|e| DownloadError::io(&self.path, e))?;
        self.file.get_ref().set_len(0).await.map_err(|e| DownloadError::io(&self.path, e))?;
        self.len = 0;
        self.meta.validator = validator;
        let bytes = serde_json::to_vec(&self.meta).expect("meta serializes");
        fs::write(&self.meta_path, bytes).await.map_err(|e| DownloadError::io(&self.meta_path, e))
    }

    pub(super) async fn write(&mut self, bytes: &[u8]) -> Result<(), DownloadError> {
        self.file.write_all(bytes).await.map_err(|e| DownloadError::io(&self.path, e))?;
        self.len += bytes.len() as u64;
        Ok(())
    }

    pub(super) async fn flush(&mut self) -> Result<(), DownloadError> {
        self.file.flush().await.map_err(|e| DownloadError::io(&self.path, e))
    }

    /// Makes the file durable and renames it to `dest` in one step: a reader sees the whole
    /// video or none.
    pub(super) async fn commit(mut self, dest: &Path) -> Result<(), DownloadError> {
        self.flush().await?;
        self.file.get_ref().sync_all().await.map_err(|e| DownloadError::io(&self.path, e))?;
        fs::rename(&self.path, dest).await.map_err(|e| DownloadError::io(dest, e))?;
        let _ = fs::remove_file(&self.meta_path).await;
        if let Some(parent) = dest.parent()
            && let Ok(dir) = File::open(parent).await
        {
            let _ = dir.sync_all().await;
        }
        Ok(())
    }
}
