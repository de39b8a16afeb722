//! An https source whose certificate no one here vouches for: the download fails saying so. It
//! runs the product's own client through a real TLS handshake (rustls with the ring provider
//! that the process installs, reqwest having none of its own) against nginx, whose certificate
//! is signed by an authority only the test knows (`https.rs` has a node that trusts it).

use std::time::Duration;

use shared::{
    config::Rate,
    domain::SourceUrl,
    node::{DownloadError, Downloader},
};
use tokio_util::sync::CancellationToken;

use crate::helpers::*;

#[tokio::test]
async fn an_https_source_with_an_untrusted_certificate_fails_naming_the_certificate() {
    let origin = TlsOrigin::start(&[("lesson.flv", &lesson_bytes(10_000))]).await;
    let dir = tempfile::tempdir().unwrap();
    let http = shared::tools::http::SourceClient::new(shared::tools::egress::Egress::local_lessons()).unwrap();
    let cancel = CancellationToken::new();
    let downloader = Downloader {
        http: &http,
        idle_timeout: Duration::from_secs(5),
        rate: Rate::UNLIMITED,
        cancel: &cancel,
        watch: None,
        share: None,
    };
    let url: SourceUrl = origin.url("lesson.flv").parse().unwrap();
    let dest = dir.path().join("9/9.flv");

    let err = downloader.fetch(&url, &dest).await.expect_err("an untrusted certificate");
    assert!(matches!(err, DownloadError::Network(_)), "{err:?}");
    let text = err.to_string().to_ascii_lowercase();
    assert!(text.contains(&format!("127.0.0.1:{}", origin.port())), "names the host: {err}");
    assert!(text.contains("certificate"), "says the certificate is why: {err}");
    assert!(!dest.exists(), "nothing is put in place");
    assert!(origin.requests().is_empty(), "no request went past the handshake");
}
