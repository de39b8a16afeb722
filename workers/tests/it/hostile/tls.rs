//! An https source whose certificate no one vouches for: the download fails saying so. It runs
//! the product's own client through a real TLS handshake (rustls with the ring provider that
//! the process installs, reqwest having none of its own) against `openssl s_server`.

use std::{process::Stdio, time::Duration};

use shared::{
    config::Rate,
    domain::SourceUrl,
    node::{DownloadError, Downloader},
};
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;

use crate::helpers::*;

/// `openssl s_server` on a port of its own, with a self-signed certificate made for it.
async fn untrusted_tls_server(dir: &std::path::Path) -> (Child, u16) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .await
        .expect("openssl runs");
    assert!(made.success(), "a self-signed certificate is made");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = Command::new("openssl")
        .args(["s_server", "-quiet", "-www", "-accept", &format!("127.0.0.1:{port}")])
        .arg("-cert")
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("openssl s_server starts");
    eventually("openssl s_server to listen", Duration::from_secs(10), || async {
        tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()
    })
    .await;
    (server, port)
}

#[tokio::test]
async fn an_https_source_with_an_untrusted_certificate_fails_naming_the_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, port) = untrusted_tls_server(dir.path()).await;
    let http = shared::app::http_client().unwrap();
    let cancel = CancellationToken::new();
    let downloader = Downloader {
        http: &http,
        idle_timeout: Duration::from_secs(5),
        rate: Rate::UNLIMITED,
        cancel: &cancel,
        watch: None,
        share: None,
    };
    let url: SourceUrl = format!("https://127.0.0.1:{port}/lesson.flv").parse().unwrap();
    let dest = dir.path().join("9/9.flv");

    let err = downloader.fetch(&url, &dest).await.expect_err("an untrusted certificate");
    assert!(matches!(err, DownloadError::Network(_)), "{err:?}");
    let text = err.to_string().to_ascii_lowercase();
    assert!(text.contains(&format!("127.0.0.1:{port}")), "names the host: {err}");
    assert!(text.contains("certificate"), "says the certificate is why: {err}");
    assert!(!dest.exists(), "nothing is put in place");
}
