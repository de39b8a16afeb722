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
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use opendal::layers::TimeoutLayer;
use opendal::{ErrorKind, Operator, services};
use tokio::io::{AsyncRead, AsyncReadExt};

/// fs uploads are written here, inside the root (same filesystem, so the rename is atomic).
const FS_UPLOAD_DIR: &str = ".uploading";
/// Size of a multipart part on S3 and OSS (S3's minimum part is 5 MiB).
const PART_SIZE: usize = 8 * 1024 * 1024;
/// How much of the local file is read at a time.
const READ_SIZE: usize = 1024 * 1024;
const DEFAULT_S3_REGION: &str = "us-east-1";

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

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("bad storage URL: {0}")]
    BadUrl(String),
    #[error("bad storage credentials: {0}")]
    BadCredentials(String),
    #[error("bad object key {key:?}: {reason}")]
    BadKey { key: String, reason: &'static str },
    #[error("object {0:?} not found")]
    NotFound(String),
    #[error("range not satisfiable: {key:?} has {total_len} bytes")]
    RangeNotSatisfiable { key: String, total_len: u64 },
    #[error("local file {}: {reason}", path.display())]
    Local { path: PathBuf, reason: String },
    #[error("storage {op} {key:?}: {message}")]
    Io { op: &'static str, key: String, message: String, retryable: bool },
}

impl StorageError {
    /// Whether the same call may succeed later (network trouble, timeouts, throttling, 5xx).
    pub fn is_retryable(&self) -> bool {
        matches!(self, StorageError::Io { retryable: true, .. })
    }

    fn backend(op: &'static str, key: &str, err: opendal::Error) -> Self {
        if err.kind() == ErrorKind::NotFound {
            return StorageError::NotFound(key.to_owned());
        }
        StorageError::Io {
            op,
            key: key.to_owned(),
            retryable: err.is_temporary() || err.kind() == ErrorKind::RateLimited,
            message: err.to_string(),
        }
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
        opendal::install_default();
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

    /// Streams the local file at `path` to `key` and returns its length. On any failure, or if
    /// the future is dropped, `key` keeps its previous complete object or stays absent. A file
    /// whose length changes while it is read fails the upload.
    pub async fn upload_file(&self, key: &str, path: &Path) -> Result<u64, StorageError> {
        check_key(key)?;
        let local = |e: std::io::Error| StorageError::Local { path: path.to_owned(), reason: e.to_string() };
        let file = tokio::fs::File::open(path).await.map_err(local)?;
        let len = file.metadata().await.map_err(local)?.len();
        self.upload(key, file, Some(len)).await.map_err(|e| match e {
            UploadError::Read(e) => local(e),
            UploadError::Storage(e) => e,
        })
    }

    /// Like [`Storage::upload_file`] from any reader; a read error aborts the upload.
    pub async fn upload_reader<R>(&self, key: &str, reader: R) -> Result<u64, StorageError>
    where
        R: AsyncRead + Unpin + Send,
    {
        check_key(key)?;
        self.upload(key, reader, None).await.map_err(|e| match e {
            UploadError::Read(e) => StorageError::Io {
                op: "upload",
                key: key.to_owned(),
                message: format!("reading the source: {e}"),
                retryable: false,
            },
            UploadError::Storage(e) => e,
        })
    }

    async fn upload<R>(&self, key: &str, mut reader: R, expected: Option<u64>) -> Result<u64, UploadError>
    where
        R: AsyncRead + Unpin + Send,
    {
        let failed = |e| UploadError::Storage(StorageError::backend("upload", key, e));
        let mut writer = self.op.writer_with(key);
        if let Some(part) = self.part_size {
            writer = writer.chunk(part);
        }
        let mut guard = AbortOnDrop(Some(writer.await.map_err(failed)?));
        let writer = guard.0.as_mut().expect("writer present until closed");
        let mut sent = 0u64;
        let mut buf = BytesMut::with_capacity(READ_SIZE);
        let outcome = loop {
            buf.reserve(READ_SIZE);
            match reader.read_buf(&mut buf).await {
                Err(e) => break Err(UploadError::Read(e)),
                Ok(0) => break Ok(()),
                Ok(n) => sent += n as u64,
            }
            if expected.is_some_and(|len| sent > len) {
                break Err(changed_size(expected, sent));
            }
            if buf.len() >= READ_SIZE
                && let Err(e) = writer.write(buf.split().freeze()).await
            {
                break Err(failed(e));
            }
        };
        let outcome = match outcome {
            Ok(()) if expected.is_some_and(|len| len != sent) => Err(changed_size(expected, sent)),
            Ok(()) if !buf.is_empty() => writer.write(buf.split().freeze()).await.map_err(failed),
            other => other,
        };
        let outcome = match outcome {
            Ok(()) => writer.close().await.map(|_| ()).map_err(failed),
            Err(e) => Err(e),
        };
        // Failed (a failed close too): abort now, so the temporary file or the multipart upload
        // goes away. The writer stays in the guard until the abort is over, so that dropping
        // this future during the abort still aborts, in a spawned task.
        if outcome.is_err()
            && let Err(e) = writer.abort().await
        {
            tracing::warn!(key, error = %e, "storage: aborting a failed upload failed");
        }
        guard.0 = None;
        outcome.map(|()| sent)
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

enum UploadError {
    Read(std::io::Error),
    Storage(StorageError),
}

fn changed_size(expected: Option<u64>, sent: u64) -> UploadError {
    let expected = expected.unwrap_or_default();
    UploadError::Read(std::io::Error::other(format!(
        "changed size while being uploaded ({expected} bytes at start, {sent}+ read)"
    )))
}

/// Aborts an unfinished upload when the future is dropped midway: the abort runs in a spawned
/// task (it is async), so the temporary file or the multipart upload does not linger.
struct AbortOnDrop(Option<opendal::Writer>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        let Some(mut writer) = self.0.take() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(e) = writer.abort().await {
                    tracing::warn!(error = %e, "storage: aborting a dropped upload failed");
                }
            });
        }
    }
}

fn open_fs(rest: &str) -> Result<(Operator, PathBuf), StorageError> {
    if rest.is_empty() {
        return Err(StorageError::BadUrl("fs:// needs a directory: fs://./storage or fs:///abs/path".into()));
    }
    if rest.contains(['?', '#']) {
        return Err(StorageError::BadUrl("fs:// takes a directory only, no query".into()));
    }
    let root = Path::new(rest);
    let io = |what: &str, e: std::io::Error| StorageError::BadUrl(format!("fs://{rest}: cannot {what}: {e}"));
    std::fs::create_dir_all(root).map_err(|e| io("create the directory", e))?;
    let root = root.canonicalize().map_err(|e| io("resolve the directory", e))?;
    let root_str = root.to_str().ok_or_else(|| StorageError::BadUrl(format!("fs://{rest}: the path is not UTF-8")))?;
    let upload_dir = root.join(FS_UPLOAD_DIR);
    let builder = services::Fs::default()
        .root(root_str)
        .atomic_write_dir(upload_dir.to_str().expect("UTF-8 root joined with ASCII"));
    let op = Operator::new(builder).map_err(|e| StorageError::BadUrl(format!("fs://{rest}: {e}")))?;
    Ok((op, root))
}

fn open_bucket(
    scheme: &str,
    text: &str,
    credentials: Option<(&str, &str)>,
) -> Result<(Operator, String), StorageError> {
    let bad = |what: String| StorageError::BadUrl(format!("{scheme}://: {what}"));
    let url = url::Url::parse(text).map_err(|e| bad(format!("does not parse ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("credentials do not belong in the URL; configure the access key id and secret".into()));
    }
    let bucket = url.host_str().unwrap_or_default();
    if bucket.is_empty() {
        return Err(bad(format!("missing bucket: {scheme}://BUCKET?endpoint=…")));
    }
    if url.port().is_some() {
        return Err(bad(format!("bucket {bucket:?} has a port: put the server in endpoint=")));
    }
    if url.fragment().is_some() {
        return Err(bad("a fragment (#…) means nothing here".into()));
    }
    let root = url.path().trim_matches('/');
    let mut endpoint = None;
    let mut region = None;
    let mut virtual_host = false;
    for (name, value) in url.query_pairs() {
        match (scheme, name.as_ref()) {
            (_, "endpoint") => {
                let parsed = url::Url::parse(&value)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty()));
                if parsed.is_none() {
                    return Err(bad(format!("endpoint {value:?} is not an http(s) URL")));
                }
                endpoint = Some(value.into_owned());
            }
            ("s3", "region") => region = Some(value.into_owned()),
            ("s3", "virtual_host_style") => {
                virtual_host = match value.as_ref() {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => return Err(bad(format!("virtual_host_style={value:?}: true or false"))),
                }
            }
            (_, other) => {
                let known = if scheme == "s3" { "endpoint, region, virtual_host_style" } else { "endpoint" };
                return Err(bad(format!("unknown parameter {other:?} (known: {known})")));
            }
        }
    }
    let built = if scheme == "s3" {
        let mut b = services::S3::default()
            .bucket(bucket)
            .root(root)
            .region(region.as_deref().unwrap_or(DEFAULT_S3_REGION))
            // Credentials and endpoint only from vteacher's configuration.
            .disable_config_load()
            .disable_ec2_metadata();
        if let Some(endpoint) = &endpoint {
            b = b.endpoint(endpoint);
        }
        if virtual_host {
            b = b.enable_virtual_host_style();
        }
        b = match credentials {
            Some((id, secret)) => b.access_key_id(id).secret_access_key(secret),
            None => b.skip_signature(),
        };
        Operator::new(b)
    } else {
        let endpoint = endpoint.ok_or_else(|| {
            bad("missing endpoint: oss://BUCKET?endpoint=https://oss-cn-hangzhou.aliyuncs.com".into())
        })?;
        let mut b = services::Oss::default().bucket(bucket).root(root).endpoint(&endpoint);
        b = match credentials {
            Some((id, secret)) => b.access_key_id(id).access_key_secret(secret),
            None => b.skip_signature(),
        };
        Operator::new(b)
    };
    let op = built.map_err(|e| bad(e.to_string()))?;
    let location = if root.is_empty() { format!("{scheme}://{bucket}") } else { format!("{scheme}://{bucket}/{root}") };
    Ok((op, location))
}

fn parse_public_base(text: &str) -> Result<url::Url, StorageError> {
    let bad = |what: &str| StorageError::BadUrl(format!("public URL {text:?}: {what}"));
    let url = url::Url::parse(text).map_err(|_| bad("does not parse as a URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(bad("must be an http(s) URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must have no query or fragment"));
    }
    Ok(url)
}

/// A key is a relative `/`-separated path: no empty, `.` or `..` segment, no control character,
/// not under the fs upload directory.
fn check_key(key: &str) -> Result<(), StorageError> {
    let bad = |reason| Err(StorageError::BadKey { key: key.to_owned(), reason });
    if key.is_empty() {
        return bad("empty");
    }
    if key.chars().any(|c| c.is_control() || c == '\\') {
        return bad("control character or backslash");
    }
    if key.split('/').any(|s| s.is_empty() || s == "." || s == "..") {
        return bad("empty, `.` or `..` path segment (or a leading/trailing `/`)");
    }
    if key.split('/').next() == Some(FS_UPLOAD_DIR) {
        return bad("reserved prefix .uploading/");
    }
    Ok(())
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
#[path = "storage_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "storage_s3_tests.rs"]
mod s3_tests;

#[cfg(test)]
#[path = "storage_config_tests.rs"]
mod config_tests;
