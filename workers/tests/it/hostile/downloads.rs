//! The downloader against sources that misbehave, each served by the project's own file
//! server (or, where HTTP framing forbids it there, a raw socket): a clear error, retryable
//! only where waiting can help, no file at the destination, and a `.part` kept only where it
//! can be resumed.

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use shared::{
    config::Rate,
    domain::{Retryable, SourceUrl},
    node::{DownloadError, Downloaded, Downloader},
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

use crate::helpers::*;

const LEN: usize = 1_000_000;
const IDLE: Duration = Duration::from_secs(1);

struct Fixture {
    server: FileServer,
    dir: tempfile::TempDir,
    http: shared::tools::http::SourceClient,
    cancel: CancellationToken,
}

impl Fixture {
    async fn new() -> Self {
        let server = FileServer::start().await.unwrap();
        server.put("lesson.flv", lesson_bytes(LEN));
        let http = shared::tools::http::SourceClient::new(shared::tools::egress::Egress::local_lessons()).unwrap();
        Self { server, dir: tempfile::tempdir().unwrap(), http, cancel: CancellationToken::new() }
    }

    fn dest(&self) -> PathBuf {
        self.dir.path().join("7/7_720P.flv")
    }

    fn part(&self) -> PathBuf {
        self.dir.path().join("7/7_720P.flv.part")
    }

    async fn fetch_url(&self, url: &str) -> Result<Downloaded, DownloadError> {
        let url: SourceUrl = url.parse().unwrap();
        let downloader = Downloader {
            http: &self.http,
            idle_timeout: IDLE,
            rate: Rate::UNLIMITED,
            cancel: &self.cancel,
            watch: None,
            share: None,
        };
        downloader.fetch(&url, &self.dest()).await
    }

    async fn fetch(&self) -> Result<Downloaded, DownloadError> {
        self.fetch_url(&self.server.url("lesson.flv")).await
    }

    /// A failure that leaves nothing where the video goes, and a `.part` only if `resumable`.
    fn assert_failed_cleanly(&self, err: &DownloadError, resumable: bool) {
        assert!(!self.dest().exists(), "{err}: nothing is renamed into place");
        assert_eq!(self.part().exists(), resumable, "{err}: a .part is kept only to be resumed");
    }
}

#[tokio::test]
async fn a_truncated_source_fails_saying_how_far_it_got_and_resumes_once_whole() {
    let f = Fixture::new().await;
    f.server.set_knobs(Knobs { truncate_at: Some(LEN as u64 / 2), ..Knobs::default() });
    for _ in 0..2 {
        let err = f.fetch().await.expect_err("the source ends early");
        assert!(err.is_retryable(), "{err}");
        assert!(err.to_string().contains(&format!("of {LEN} bytes")), "says how far it got: {err}");
        f.assert_failed_cleanly(&err, true);
    }
    f.server.set_knobs(Knobs::default());
    let done = f.fetch().await.unwrap();
    assert_eq!(done.resumed_from, LEN as u64 / 2);
    assert_eq!(std::fs::read(f.dest()).unwrap(), lesson_bytes(LEN));
}

#[tokio::test]
async fn a_resumed_answer_longer_than_it_says_is_refused_and_started_afresh() {
    let f = Fixture::new().await;
    f.server.set_knobs(Knobs { cut_once_after: Some(LEN as u64 / 2), overlong_by: 4096, ..Knobs::default() });
    f.fetch().await.expect_err("cut off");
    assert!(f.part().exists());

    let err = f.fetch().await.expect_err("the 206 runs past its Content-Range");
    assert!(err.to_string().contains(&format!("more than the {LEN} bytes")), "{err}");
    f.assert_failed_cleanly(&err, false);

    let done = f.fetch().await.unwrap();
    assert_eq!(done.resumed_from, 0);
    assert_eq!(std::fs::read(f.dest()).unwrap(), lesson_bytes(LEN), "not one surplus byte kept");
}

/// HTTP/1.1 framing ends the body at its Content-Length: what comes after is no part of it,
/// and never reaches the disk.
#[tokio::test]
async fn bytes_past_the_content_length_never_reach_the_disk() {
    let f = Fixture::new().await;
    let announced = lesson_bytes(1000);
    let mut response = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n".to_vec();
    response.extend_from_slice(&announced);
    response.extend_from_slice(&[0xAB; 5000]);
    let url = raw_server(response).await;
    let done = f.fetch_url(&url).await.unwrap();
    assert_eq!(done.bytes, 1000);
    assert_eq!(std::fs::read(f.dest()).unwrap(), announced);
}

#[tokio::test]
async fn a_stalled_source_is_dropped_after_the_idle_timeout_and_resumed() {
    let f = Fixture::new().await;
    f.server.set_knobs(Knobs { stall_after: Some(LEN as u64 / 2), ..Knobs::default() });
    let started = Instant::now();
    let err = f.fetch().await.expect_err("stalled");
    assert!(matches!(err, DownloadError::Stalled(_)), "{err}");
    assert!(started.elapsed() < IDLE * 5, "dropped after {:?}", started.elapsed());
    assert!(err.is_retryable());
    assert!(err.to_string().contains("1s"), "names the timeout: {err}");
    f.assert_failed_cleanly(&err, true);

    f.server.set_knobs(Knobs::default());
    assert_eq!(f.fetch().await.unwrap().resumed_from, LEN as u64 / 2);
}

#[tokio::test]
async fn a_redirect_loop_fails_for_good() {
    let f = Fixture::new().await;
    f.server.redirect("a.flv", &f.server.url("b.flv"));
    f.server.redirect("b.flv", &f.server.url("a.flv"));
    let err = f.fetch_url(&f.server.url("a.flv")).await.expect_err("a loop");
    assert!(!err.is_retryable(), "{err}");
    assert!(err.to_string().contains("redirects"), "{err}");
    f.assert_failed_cleanly(&err, false);
    assert!(f.server.requests() <= 12, "{} requests", f.server.requests());
}

#[tokio::test]
async fn a_redirect_to_another_scheme_is_refused_naming_it() {
    for target in ["ftp://127.0.0.1/lesson.flv", "file:///etc/passwd"] {
        let f = Fixture::new().await;
        f.server.redirect("away.flv", target);
        let err = f.fetch_url(&f.server.url("away.flv")).await.expect_err(target);
        assert!(!err.is_retryable(), "{target}: {err}");
        let scheme = target.split(':').next().unwrap();
        assert!(err.to_string().contains(&format!("{scheme}://")), "names where it led: {err}");
        assert!(err.to_string().contains("only http and https"), "{err}");
        f.assert_failed_cleanly(&err, false);
    }
}

#[tokio::test]
async fn ordinary_redirects_are_still_followed() {
    let f = Fixture::new().await;
    f.server.redirect("1.flv", &f.server.url("2.flv"));
    f.server.redirect("2.flv", &f.server.url("lesson.flv"));
    assert_eq!(f.fetch_url(&f.server.url("1.flv")).await.unwrap().bytes, LEN as u64);
}

/// Serves `response` as it is to every connection, then closes it.
async fn raw_server(response: Vec<u8>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let response = response.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = socket.write_all(&response).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{addr}/lesson.flv")
}
