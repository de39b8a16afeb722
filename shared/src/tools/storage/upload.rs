//! Uploads that never leave a partial object under their key.

use super::*;

impl Storage {
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
