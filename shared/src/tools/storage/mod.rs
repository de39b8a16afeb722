//! Object storage for transcoded files, through OpenDAL (`STORAGE_URL`, `STORAGE_PUBLIC_URL`).
//!
//! - `fs://./storage`, `fs:///srv/storage`: a local directory (relative to the working dir).
//! - `s3://bucket[/prefix]?endpoint=http://127.0.0.1:9000&region=us-east-1`: S3 or an
//!   S3-compatible server, path-style addressing unless `virtual_host_style=true`; the
//!   region defaults to `us-east-1`, the endpoint to AWS.
//! - `oss://bucket[/prefix]?endpoint=https://oss-cn-hangzhou.aliyuncs.com`: Aliyun OSS.
//!
//! Credentials come only from [`StorageConfig`]: never from the URL, the environment or
//! instance metadata. Without them, requests go unsigned (anonymous).
//!
//! An upload never leaves a partial object under its key. fs writes to
//! `<root>/.uploading/` and renames into place on close; S3 and OSS send one PUT, or a
//! multipart upload that only becomes an object at its completion, on close. A failed upload is
//! aborted (temporary file removed, multipart upload aborted), and so is one whose future is
//! dropped (in a spawned task).

use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use opendal::layers::TimeoutLayer;
use opendal::{ErrorKind, Operator};
use tokio::io::{AsyncRead, AsyncReadExt};

/// fs uploads are written here, inside the root (same filesystem, so the rename is atomic).
mod error;
mod open;
mod upload;

pub use error::StorageError;

#[cfg(test)]
use open::FS_UPLOAD_DIR;
use open::{check_key, open_bucket, open_fs, parse_public_base};

/// Size of a multipart part on S3 and OSS (S3's minimum part is 5 MiB).
const PART_SIZE: usize = 8 * 1024 * 1024;
/// How much of the local file is read at a time.
const READ_SIZE: usize = 1024 * 1024;

/// Where objects live, as the configuration gives it.
#[derive(Clone, Copy, Default)]
pub struct StorageConfig<'a> {
    /// `STORAGE_URL`.
    pub url: &'a str,
    /// `STORAGE_PUBLIC_URL`: base URL under which a key is downloadable.
    pub public_url: Option<&'a str>,
    pub access_key_id: Option<&'a str>,
    pub secret_access_key: Option<&'a str>,
}

impl fmt::Debug for StorageConfig<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |v: Option<&str>| if v.is_some() { "set" } else { "unset" };
        f.debug_struct("StorageConfig")
            .field("url", &crate::config::mask_url_password(self.url))
            .field("public_url", &self.public_url)
            .field("access_key_id", &set(self.access_key_id))
            .field("secret_access_key", &set(self.secret_access_key))
            .finish()
    }
}

/// A byte range of a `Range: bytes=…` header (positions inclusive, as in HTTP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `bytes=first-`
    From(u64),
    /// `bytes=first-last`
    Inclusive { first: u64, last: u64 },
    /// `bytes=-n`: the last `n` bytes.
    Suffix(u64),
}

/// What [`Storage::read_range`] returns: the object's length, the bytes chosen and their stream.
pub struct ObjectRead {
    pub total_len: u64,
    /// The bytes the stream yields (end exclusive); `0..total_len` without a range.
    pub range: Range<u64>,
    pub stream: BoxStream<'static, Result<Bytes, StorageError>>,
}

impl fmt::Debug for ObjectRead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectRead")
            .field("total_len", &self.total_len)
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

/// An object store: cheap to clone, shared by the workers and the web process.
#[derive(Clone)]
pub struct Storage {
    op: Operator,
    /// `fs:///abs/root`, `s3://bucket/prefix`…: for logs, never with credentials.
    location: String,
    public_base: Option<url::Url>,
    part_size: Option<usize>,
}

impl fmt::Debug for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Storage")
            .field("location", &self.location)
            .field("public_base", &self.public_base.as_ref().map(url::Url::as_str))
            .finish_non_exhaustive()
    }
}

impl Storage {
    /// Opens the store `config.url` names (an fs root directory is created if missing).
    pub fn open(config: StorageConfig<'_>) -> Result<Storage, StorageError> {
        // opendal's own reqwest transport feature would bring reqwest's aws-lc-rs back
        // (tools::http): its transport crate is built without a provider, and given ours.
        crate::tools::http::install_crypto();
        opendal::init_default_registry();
        opendal_http_transport_reqwest::install_default();
        let public_base = config.public_url.map(parse_public_base).transpose()?;
        let (scheme, rest) = config
            .url
            .split_once("://")
            .ok_or_else(|| StorageError::BadUrl("no scheme: expected fs://, s3:// or oss://".into()))?;
        let scheme = scheme.to_ascii_lowercase();
        let credentials = match (config.access_key_id, config.secret_access_key) {
            (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => Some((id, secret)),
            (None | Some(""), None | Some("")) => None,
            _ => {
                return Err(StorageError::BadCredentials(
                    "an access key id needs its secret access key, and the other way round".into(),
                ));
            }
        };
        let (op, location, part_size) = match scheme.as_str() {
            "fs" => {
                if credentials.is_some() {
                    return Err(StorageError::BadCredentials("fs:// takes no credentials".into()));
                }
                let (op, root) = open_fs(rest)?;
                (op, format!("fs://{}", root.display()), None)
            }
            "s3" | "oss" => {
                let (op, location) = open_bucket(&scheme, config.url, credentials)?;
                (op, location, Some(PART_SIZE))
            }
            other => {
                return Err(StorageError::BadUrl(format!(
                    "unsupported scheme {other:?}: expected fs://, s3:// or oss://"
                )));
            }
        };
        let op = op
            .layer(TimeoutLayer::new().with_timeout(Duration::from_secs(60)).with_io_timeout(Duration::from_secs(120)));
        Ok(Storage { op, location, public_base, part_size })
    }

    /// `fs:///abs/root`, `s3://bucket/prefix`…: where objects go, for logs.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The size of `key`, or `None` when there is no such object.
    pub async fn stat(&self, key: &str) -> Result<Option<u64>, StorageError> {
        check_key(key)?;
        match self.op.stat(key).await {
            Ok(meta) if meta.mode().is_file() => Ok(Some(meta.content_length())),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StorageError::backend("stat", key, e)),
        }
    }

    /// Streams `key`, whole or the `range` of it (clamped to its length, as HTTP does). The
    /// length comes from a stat just before the read: an object replaced in between can make
    /// the stream end early or fail (objects here are written once per key, so this is rare).
    pub async fn read_range(&self, key: &str, range: Option<ByteRange>) -> Result<ObjectRead, StorageError> {
        let total_len = self.stat(key).await?.ok_or_else(|| StorageError::NotFound(key.to_owned()))?;
        let range = resolve_range(range, total_len)
            .ok_or_else(|| StorageError::RangeNotSatisfiable { key: key.to_owned(), total_len })?;
        let failed = |e| StorageError::backend("read", key, e);
        let stream = if range.is_empty() {
            futures::stream::empty().boxed()
        } else {
            let reader = self.op.reader(key).await.map_err(failed)?;
            let owned_key = key.to_owned();
            reader
                .into_bytes_stream(range.clone())
                .await
                .map_err(failed)?
                .map_err(move |e| StorageError::Io {
                    op: "read",
                    key: owned_key.clone(),
                    message: e.to_string(),
                    retryable: true,
                })
                .boxed()
        };
        Ok(ObjectRead { total_len, range, stream })
    }

    /// The URL a push host downloads `key` from: `STORAGE_PUBLIC_URL` + `/` + the key, each
    /// path segment percent-encoded; `None` without a public URL.
    pub fn public_url(&self, key: &str) -> Option<String> {
        let mut url = self.public_base.clone()?;
        url.path_segments_mut()
            .expect("checked at open: the base can have a path")
            .pop_if_empty()
            .extend(key.split('/'));
        Some(url.into())
    }
}

/// The bytes a range selects (end exclusive), or `None` when it is not satisfiable.
fn resolve_range(range: Option<ByteRange>, total_len: u64) -> Option<Range<u64>> {
    let last = total_len.checked_sub(1);
    match range {
        None => Some(0..total_len),
        Some(ByteRange::From(first)) if first < total_len => Some(first..total_len),
        Some(ByteRange::Inclusive { first, last: end }) if first <= end && first < total_len => {
            Some(first..end.min(last?) + 1)
        }
        Some(ByteRange::Suffix(n)) if n > 0 && total_len > 0 => Some(total_len - n.min(total_len)..total_len),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod s3_tests;

#[cfg(test)]
mod config_tests;
