//! Tests only: a real S3-compatible server (moto, from PyPI: `pip install "moto[server]"`,
//! which `.ci/run` does) on a free loopback port, and an independent S3 client to check what
//! the code under test wrote.

use std::process::Stdio;
use std::time::{Duration, Instant};

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::ConnectorError;
use aws_sdk_s3::primitives::SdkBody;
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorFuture, SharedHttpConnector, http_client_fn};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};

use crate::ports::start_on_free_port;

const START_DEADLINE: Duration = Duration::from_secs(30);
const INSTALL_HINT: &str = "moto_server is not installed: run `pip install \"moto[server]\"` (or `bash .ci/run`)";

/// A running `moto_server`; killed when dropped.
pub struct Moto {
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    _child: tokio::process::Child,
}

impl Moto {
    /// Starts moto on a port of its own and waits until it answers (or panics, naming the cause).
    pub async fn start() -> Moto {
        let (child, port) =
            start_on_free_port("moto_server", START_DEADLINE, |port| {
                match tokio::process::Command::new("moto_server")
                    .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .kill_on_drop(true)
                    .spawn()
                {
                    Ok(child) => child,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!("{INSTALL_HINT}"),
                    Err(e) => panic!("starting moto_server: {e}"),
                }
            })
            .await;
        let endpoint = format!("http://127.0.0.1:{port}");
        let http = shared::tools::http::bare();
        let deadline = Instant::now() + START_DEADLINE;
        // Listening is not yet serving: werkzeug answers once its app is loaded.
        while http.get(format!("{endpoint}/")).timeout(Duration::from_secs(2)).send().await.is_err() {
            assert!(Instant::now() < deadline, "moto_server did not answer on {endpoint} within {START_DEADLINE:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Moto { endpoint, _child: child }
    }

    /// An aws-sdk-s3 client for this server: path-style, dummy credentials, us-east-1.
    pub fn client(&self) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .force_path_style(true)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
            .http_client(http_client_fn(|_, _| SharedHttpConnector::new(ReqwestConnector(shared::tools::http::bare()))))
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// Creates `bucket` and returns a client for it.
    pub async fn bucket(&self, bucket: &str) -> aws_sdk_s3::Client {
        let client = self.client();
        client.create_bucket().bucket(bucket).send().await.unwrap_or_else(|e| panic!("create bucket {bucket}: {e:?}"));
        client
    }

    /// The `STORAGE_URL` of `bucket` on this server.
    pub fn storage_url(&self, bucket: &str) -> String {
        format!("s3://{bucket}?endpoint={}&region=us-east-1", self.endpoint)
    }
}

/// aws-sdk-s3's HTTP over reqwest (plain HTTP to moto). The SDK's own HTTPS client would turn on
/// hyper's http2 and more rustls features in test builds only, so that test and normal builds
/// would compile most of the dependency graph twice. The S3 protocol (signing, requests, XML)
/// stays the SDK's own, independent of OpenDAL.
#[derive(Debug)]
struct ReqwestConnector(reqwest::Client);

impl HttpConnector for ReqwestConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let client = self.0.clone();
        HttpConnectorFuture::new(async move {
            let other = |e: String| ConnectorError::other(e.into(), None);
            let request = request.try_into_http1x().map_err(|e| other(e.to_string()))?;
            let (parts, body) = request.into_parts();
            let body = body.bytes().ok_or_else(|| other("streaming request bodies are not supported".into()))?.to_vec();
            let response = client
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                .map_err(|e| ConnectorError::io(e.into()))?;
            let mut http = axum::http::Response::builder().status(response.status());
            if let Some(headers) = http.headers_mut() {
                *headers = response.headers().clone();
            }
            let body = response.bytes().await.map_err(|e| ConnectorError::io(e.into()))?;
            let http = http.body(SdkBody::from(body)).map_err(|e| other(e.to_string()))?;
            HttpResponse::try_from(http).map_err(|e| other(e.to_string()))
        })
    }
}
