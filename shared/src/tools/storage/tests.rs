//! The fs backend, and helpers shared with `storage_s3_tests.rs` (the S3 backend against moto)
//! and `storage_config_tests.rs` (URLs, keys, public URLs).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::oneshot;

use super::*;
use crate::domain::Retryable;

pub(super) fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8 ^ seed).collect()
}

pub(super) async fn read_all(storage: &Storage, key: &str, range: Option<ByteRange>) -> Vec<u8> {
    let read = storage.read_range(key, range).await.expect("read_range");
    let bytes: Vec<Bytes> = read.stream.try_collect().await.expect("read stream");
    let body = bytes.concat();
    assert_eq!(body.len() as u64, read.range.end - read.range.start, "{:?}", read.range);
    body
}

/// Serves `data`, then fails, or signals and stalls forever, instead of reaching its end.
pub(super) struct BrokenReader {
    data: Vec<u8>,
    pos: usize,
    /// `Some` for a stalling reader: signalled at the first stall.
    stall: Option<Option<oneshot::Sender<()>>>,
}

impl BrokenReader {
    pub(super) fn failing(data: Vec<u8>) -> Self {
        BrokenReader { data, pos: 0, stall: None }
    }
    pub(super) fn stalling(data: Vec<u8>) -> (Self, oneshot::Receiver<()>) {
        let (tx, rx) = oneshot::channel();
        (BrokenReader { data, pos: 0, stall: Some(Some(tx)) }, rx)
    }
}

impl AsyncRead for BrokenReader {
    fn poll_read(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.pos < this.data.len() {
            let n = buf.remaining().min(this.data.len() - this.pos);
            buf.put_slice(&this.data[this.pos..this.pos + n]);
            this.pos += n;
            return Poll::Ready(Ok(()));
        }
        match &mut this.stall {
            Some(signal) => {
                if let Some(tx) = signal.take() {
                    let _ = tx.send(());
                }
                Poll::Pending
            }
            None => Poll::Ready(Err(io::Error::other("source went away"))),
        }
    }
}

/// Polls `check` until it holds, for at most 10 s.
pub(super) async fn eventually<F: AsyncFnMut() -> bool>(what: &str, mut check: F) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub(super) fn fs_storage(dir: &Path) -> Storage {
    let url = format!("fs://{}", dir.join("store").display());
    Storage::open(StorageConfig { url: &url, ..Default::default() }).expect("open fs")
}

fn uploads_left(dir: &Path) -> usize {
    walk(&dir.join("store").join(FS_UPLOAD_DIR))
}

fn walk(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map_or(0, |entries| entries.map(|e| e.unwrap().path()).map(|p| if p.is_dir() { walk(&p) } else { 1 }).sum())
}

#[tokio::test]
async fn fs_upload_lands_at_its_path_with_parents_created() {
    let dir = tempfile::tempdir().unwrap();
    let storage = fs_storage(dir.path());
    let data = pattern(3 * 1024 * 1024 + 17, 1);
    let local = dir.path().join("out.flv");
    std::fs::write(&local, &data).unwrap();

    let key = "transcodes/6666/6666_720P.flv";
    assert_eq!(storage.stat(key).await.unwrap(), None);
    assert_eq!(storage.upload_file(key, &local).await.unwrap(), data.len() as u64);

    let landed = dir.path().join("store/transcodes/6666/6666_720P.flv");
    assert!(std::fs::read(&landed).unwrap() == data, "byte-identical at {landed:?}");
    assert_eq!(storage.stat(key).await.unwrap(), Some(data.len() as u64));
    assert_eq!(storage.stat("transcodes/6666").await.unwrap(), None, "a directory is no object");
    assert_eq!(uploads_left(dir.path()), 0);
    assert!(storage.location().starts_with("fs:///"), "{}", storage.location());

    let missing = storage.upload_file("x", &dir.path().join("nope")).await.unwrap_err();
    assert!(matches!(missing, StorageError::Local { .. }), "{missing}");
    assert!(!missing.is_retryable());
}

#[tokio::test]
async fn fs_failed_or_dropped_upload_leaves_no_object() {
    let dir = tempfile::tempdir().unwrap();
    let storage = fs_storage(dir.path());
    let old = pattern(1000, 2);
    storage.upload_reader("a/kept.flv", &old[..]).await.unwrap();

    // The source fails after 3 MiB: the key keeps the previous object, or stays absent.
    for key in ["a/kept.flv", "a/new.flv"] {
        let err = storage.upload_reader(key, BrokenReader::failing(pattern(3 << 20, 3))).await.unwrap_err();
        assert!(err.to_string().contains("source went away"), "{err}");
    }
    assert!(std::fs::read(dir.path().join("store/a/kept.flv")).unwrap() == old);
    assert!(!dir.path().join("store/a/new.flv").exists());
    assert_eq!(storage.stat("a/new.flv").await.unwrap(), None);
    assert_eq!(uploads_left(dir.path()), 0, "a failed upload removes its temporary file");

    // The upload future is dropped after 3 MiB went to the temporary file.
    let (reader, stalled) = BrokenReader::stalling(pattern(3 << 20, 4));
    let mut upload = Box::pin(storage.upload_reader("a/dropped.flv", reader));
    tokio::select! {
        r = &mut upload => panic!("upload ended: {r:?}"),
        _ = stalled => {}
    }
    assert_eq!(uploads_left(dir.path()), 1, "the upload is under way in .uploading/");
    drop(upload);
    assert!(!dir.path().join("store/a/dropped.flv").exists());
    eventually("the dropped upload's temporary file is removed", async || uploads_left(dir.path()) == 0).await;
}

#[tokio::test]
async fn fs_read_range_returns_the_requested_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let storage = fs_storage(dir.path());
    let data = pattern(1000, 5);
    storage.upload_reader("r.bin", &data[..]).await.unwrap();

    assert!(read_all(&storage, "r.bin", None).await == data);
    let cases = [
        (ByteRange::From(990), 990..1000),
        (ByteRange::Inclusive { first: 10, last: 19 }, 10..20),
        (ByteRange::Inclusive { first: 990, last: 5000 }, 990..1000),
        (ByteRange::Suffix(5), 995..1000),
        (ByteRange::Suffix(5000), 0..1000),
    ];
    for (range, want) in cases {
        let read = storage.read_range("r.bin", Some(range)).await.unwrap();
        assert_eq!((read.total_len, read.range.clone()), (1000, want.clone()), "{range:?}");
        let got = read_all(&storage, "r.bin", Some(range)).await;
        assert!(got == data[want.start as usize..want.end as usize], "{range:?}");
    }
    for bad in [ByteRange::From(1000), ByteRange::Inclusive { first: 5, last: 4 }, ByteRange::Suffix(0)] {
        let err = storage.read_range("r.bin", Some(bad)).await.unwrap_err();
        assert!(matches!(err, StorageError::RangeNotSatisfiable { total_len: 1000, .. }), "{bad:?}: {err}");
    }
    let err = storage.read_range("nope.bin", None).await.unwrap_err();
    assert!(matches!(err, StorageError::NotFound(_)), "{err}");

    storage.upload_reader("empty.bin", &b""[..]).await.unwrap();
    assert_eq!(storage.stat("empty.bin").await.unwrap(), Some(0));
    assert!(read_all(&storage, "empty.bin", None).await.is_empty());
}
