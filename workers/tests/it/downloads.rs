//! The downloader against the real local file server: resuming like `wget -c`, restarting
//! when the file changed or Range is ignored, and the rate limit.

use std::time::{Duration, Instant};

use serde_json::json;
use shared::{
    config::Rate,
    domain::{Retryable, SourceUrl},
    node::{DownloadError, Downloader},
};
use tokio_util::sync::CancellationToken;
use workers::fileserver::CHUNK;

use crate::helpers::*;

const LEN: usize = 1_000_000;

struct Fixture {
    server: FileServer,
    dir: tempfile::TempDir,
    http: shared::tools::http::SourceClient,
    cancel: CancellationToken,
}

impl Fixture {
    async fn new() -> Self {
        Self {
            server: FileServer::start().await.unwrap(),
            dir: tempfile::tempdir().unwrap(),
            http: shared::tools::http::SourceClient::new(shared::tools::egress::Egress::local_lessons()).unwrap(),
            cancel: CancellationToken::new(),
        }
    }

    fn dest(&self) -> std::path::PathBuf {
        self.dir.path().join("7/7_720P.flv")
    }

    async fn fetch(&self, rate: Rate) -> Result<shared::node::Downloaded, DownloadError> {
        let url: SourceUrl = self.server.url("lesson.flv").parse().unwrap();
        Downloader {
            http: &self.http,
            idle_timeout: Duration::from_secs(30),
            rate,
            cancel: &self.cancel,
            watch: None,
            share: None,
        }
        .fetch(&url, &self.dest())
        .await
    }
}

#[tokio::test]
async fn a_download_cut_halfway_resumes_where_it_stopped() {
    let f = Fixture::new().await;
    let lesson = lesson_bytes(LEN);
    f.server.put("lesson.flv", lesson.clone());
    f.server.set_knobs(Knobs { cut_once_after: Some(LEN as u64 / 2), ..Knobs::default() });

    let cut = f.fetch(Rate::UNLIMITED).await.expect_err("the first try is cut off");
    assert!(cut.is_retryable(), "{cut}");
    assert!(!f.dest().exists(), "nothing is renamed into place before it is whole");

    let done = f.fetch(Rate::UNLIMITED).await.unwrap();
    assert_eq!(done.bytes, LEN as u64);
    // What was in flight when the connection was cut (at most one chunk) is fetched again.
    let kept = done.resumed_from;
    assert!(kept >= (LEN / 2 - CHUNK) as u64 && kept <= LEN as u64 / 2, "resumed from {kept}");
    assert_eq!(std::fs::read(f.dest()).unwrap(), lesson, "byte-identical");
    assert!(f.server.bytes_sent() <= (LEN + CHUNK) as u64, "sent {} for {LEN}", f.server.bytes_sent());
    assert!(!f.dir.path().join("7/7_720P.flv.part").exists());
}

#[tokio::test]
async fn a_changed_file_restarts_from_zero() {
    let f = Fixture::new().await;
    f.server.put("lesson.flv", lesson_bytes(LEN));
    f.server.set_knobs(Knobs { cut_once_after: Some(LEN as u64 / 2), ..Knobs::default() });
    f.fetch(Rate::UNLIMITED).await.expect_err("cut off");

    let replaced: Vec<u8> = lesson_bytes(LEN + 10).into_iter().rev().collect();
    f.server.put("lesson.flv", replaced.clone()); // a new ETag: If-Range no longer matches
    let done = f.fetch(Rate::UNLIMITED).await.unwrap();
    assert_eq!(done.resumed_from, 0);
    assert_eq!(std::fs::read(f.dest()).unwrap(), replaced, "no byte of the old file is kept");
}

#[tokio::test]
async fn a_server_that_ignores_range_restarts_cleanly() {
    let f = Fixture::new().await;
    let lesson = lesson_bytes(LEN);
    f.server.put("lesson.flv", lesson.clone());
    f.server.set_knobs(Knobs { cut_once_after: Some(LEN as u64 / 3), ignore_range: true, ..Knobs::default() });
    f.fetch(Rate::UNLIMITED).await.expect_err("cut off");

    let done = f.fetch(Rate::UNLIMITED).await.unwrap();
    assert_eq!(done.resumed_from, 0);
    assert_eq!(std::fs::read(f.dest()).unwrap(), lesson);
}

#[tokio::test]
async fn a_missing_file_is_refused_and_not_retryable() {
    let f = Fixture::new().await;
    let err = f.fetch(Rate::UNLIMITED).await.expect_err("404");
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("404"), "{err}");
}

#[tokio::test]
async fn the_rate_limit_holds() {
    let f = Fixture::new().await;
    let len = 300 * 1024;
    f.server.put("lesson.flv", lesson_bytes(len));
    let rate: Rate = "200k".parse().unwrap();
    let started = Instant::now();
    f.fetch(rate).await.unwrap();
    // 300 KiB at 200 KiB/s, less the limiter's 16 KiB burst: no faster than ~1.4 s.
    let floor = Duration::from_secs_f64((len - 16 * 1024) as f64 / (200.0 * 1024.0));
    assert!(started.elapsed() >= floor, "took {:?}, the limit allows no less than {floor:?}", started.elapsed());
}

async fn a_booking_whose_download_is_cut_resumes_and_completes(stack: Stack) {
    let env = TestEnv::new(stack).await;
    let server = FileServer::start().await.unwrap();
    let lesson = lesson_bytes(LEN);
    server.put("cut.flv", lesson.clone());
    server.set_knobs(Knobs { cut_once_after: Some(LEN as u64 / 2), ..Knobs::default() });
    let app = env.spawn().await;

    let body = json!({"class_id": "c-cut", "record_id": 8, "video_url": server.url("cut.flv")});
    assert_eq!(app.post_booking(&body).await.status(), 202);
    let ready = app.wait_for_state("c-cut", "ready").await;
    assert_eq!(std::fs::read(ready["video_path"].as_str().unwrap()).unwrap(), lesson);
    assert_eq!(server.requests(), 2);
    assert!(server.bytes_sent() <= (LEN + CHUNK) as u64, "sent {}", server.bytes_sent());
    app.stop().await;
}

every_stack!(a_booking_whose_download_is_cut_resumes_and_completes);
