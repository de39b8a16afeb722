//! The `mps` provider's client against the local MPS stand-in: submit and poll, failures,
//! signatures refused, sources not on OSS, transient errors, and no secret in any log line.

use std::{
    collections::BTreeMap,
    io::Write,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use serde_json::{Value, json};
use shared::{
    domain::Retryable,
    transcode::oss_mps::{MpsClient, MpsConfig, MpsError, MpsJob, percent_encode, sign},
};
use testkit::mps_standin::{Knobs, MpsStandIn};

const KEY_ID: &str = "LTAI-test-key";
const SECRET: &str = "s3cr3t-Never-Log-Me";
const SOURCE: &str = "https://vt-src.oss-cn-hangzhou.aliyuncs.com/lessons/22/6666%20a+b.flv";
const OUTPUT: &str = "22/6666/6666_240P 中.flv";

async fn standin() -> MpsStandIn {
    MpsStandIn::start(KEY_ID, SECRET).await.expect("stand-in starts")
}

fn config(standin: &MpsStandIn, secret: &str) -> MpsConfig {
    MpsConfig {
        endpoint: standin.endpoint(),
        region: "cn-hangzhou".to_owned(),
        pipeline_id: "pipeline-1".to_owned(),
        template_id: "S00000001-200010".to_owned(),
        output_bucket: "vt-out".to_owned(),
        output_location: "oss-cn-hangzhou".to_owned(),
        access_key_id: KEY_ID.to_owned(),
        access_key_secret: secret.to_owned(),
    }
}

fn client(standin: &MpsStandIn) -> MpsClient {
    MpsClient::new(local_sources(), config(standin, SECRET))
}

/// Queries until the job leaves `Running`, at most `limit` times (the stand-in moves a job
/// along per query, so no waiting is needed).
async fn poll(client: &MpsClient, job_id: &str, limit: usize) -> MpsJob {
    for _ in 0..limit {
        match client.query(job_id).await.expect("query") {
            MpsJob::Running => continue,
            done => return done,
        }
    }
    panic!("job {job_id} still running after {limit} queries");
}

#[tokio::test]
async fn submit_then_poll_until_success_gives_the_output() {
    let standin = standin().await;
    standin.set_knobs(Knobs { queries_until_done: 2, ..Knobs::default() });
    let client = client(&standin);

    let job_id = client.submit(SOURCE, OUTPUT, 240).await.expect("submitted");
    let done = poll(&client, &job_id, 10).await;
    assert_eq!(
        done,
        MpsJob::Succeeded {
            bucket: "vt-out".to_owned(),
            location: "oss-cn-hangzhou".to_owned(),
            object: OUTPUT.to_owned(),
        }
    );
    assert_eq!((standin.submits(), standin.queries()), (1, 3));

    let received = standin.received();
    let submit = &received[0];
    for (key, value) in [
        ("Action", "SubmitJobs"),
        ("Format", "JSON"),
        ("Version", "2014-06-18"),
        ("RegionId", "cn-hangzhou"),
        ("AccessKeyId", KEY_ID),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("PipelineId", "pipeline-1"),
        ("OutputBucket", "vt-out"),
        ("OutputLocation", "oss-cn-hangzhou"),
    ] {
        assert_eq!(submit.get(key).map(String::as_str), Some(value), "{key}");
    }
    let input: Value = serde_json::from_str(&submit["Input"]).expect("Input is JSON");
    assert_eq!(
        input,
        json!({"Bucket": "vt-src", "Location": "oss-cn-hangzhou",
               "Object": "lessons/22/6666%20a%2Bb.flv"})
    );
    let outputs: Value = serde_json::from_str(&submit["Outputs"]).expect("Outputs is JSON");
    assert_eq!(
        outputs,
        json!([{"OutputObject": "22/6666/6666_240P%20%E4%B8%AD.flv",
                "TemplateId": "S00000001-200010", "Video": {"Height": "240"}}])
    );
    assert_eq!(received[1]["JobIds"], job_id);
    let nonces: std::collections::HashSet<_> = received.iter().map(|p| &p["SignatureNonce"]).collect();
    assert_eq!(nonces.len(), received.len(), "a fresh nonce per request");
    assert!(standin.refusals().is_empty(), "{:?}", standin.refusals());
}

#[tokio::test]
async fn a_failing_job_reports_failed_with_the_reason() {
    let standin = standin().await;
    standin.set_knobs(Knobs {
        queries_until_done: 1,
        fail_with: Some(("InvalidParameter.ResourceContentBad".to_owned(), "cannot be decoded".to_owned())),
        ..Knobs::default()
    });
    let client = client(&standin);
    let job_id = client.submit(SOURCE, OUTPUT, 480).await.expect("submitted");
    assert_eq!(client.query(&job_id).await, Ok(MpsJob::Running));
    assert_eq!(
        client.query(&job_id).await,
        Ok(MpsJob::Failed { reason: "InvalidParameter.ResourceContentBad: cannot be decoded".to_owned() })
    );

    let unknown = client.query("0123456789abcdef0123456789abcdef").await.expect("answered");
    assert!(matches!(&unknown, MpsJob::Failed { reason } if reason.contains("does not know")), "{unknown:?}");
}

#[tokio::test]
async fn a_wrong_secret_is_refused_and_not_retried() {
    let standin = standin().await;
    let client = MpsClient::new(local_sources(), config(&standin, "not-the-secret"));
    let err = client.submit(SOURCE, OUTPUT, 240).await.expect_err("refused");
    assert!(matches!(&err, MpsError::Api { code, retryable: false, .. } if code == "SignatureDoesNotMatch"), "{err:?}");
    assert!(!err.is_retryable());
    assert_eq!(standin.refusals(), ["SignatureDoesNotMatch"]);
    assert_eq!(standin.submits(), 0);

    let mut unknown_key = config(&standin, SECRET);
    unknown_key.access_key_id = "LTAI-nobody".to_owned();
    let err = MpsClient::new(local_sources(), unknown_key).query("x").await.expect_err("refused");
    assert!(
        matches!(&err, MpsError::Api { code, retryable: false, .. } if code == "InvalidAccessKeyId.NotFound"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_source_not_on_oss_is_refused_without_a_request() {
    let standin = standin().await;
    let err =
        client(&standin).submit("https://cdn.example.com/lessons/6666.flv", OUTPUT, 240).await.expect_err("refused");
    assert!(matches!(err, MpsError::NotOnOss(_)), "{err:?}");
    assert!(!err.is_retryable());
    assert_eq!(standin.requests(), 0);
}

#[tokio::test]
async fn transient_errors_are_retryable_and_refusals_are_not() {
    let standin = standin().await;
    let client = client(&standin);
    standin.set_knobs(Knobs { reject_next: 1, reject_status: 503, ..Knobs::default() });
    let err = client.submit(SOURCE, OUTPUT, 240).await.expect_err("outage");
    assert!(matches!(&err, MpsError::Api { code, .. } if code == "ServiceUnavailable"), "{err:?}");
    assert!(err.is_retryable());
    client.submit(SOURCE, OUTPUT, 240).await.expect("the outage is over");

    standin.set_knobs(Knobs {
        reject_next: 1,
        reject_status: 400,
        reject_code: "Throttling.User".to_owned(),
        ..Knobs::default()
    });
    assert!(client.submit(SOURCE, OUTPUT, 240).await.expect_err("throttled").is_retryable());

    standin.set_knobs(Knobs {
        refuse_submit: Some(("InvalidParameter.TemplateNotFound".to_owned(), "no such template".to_owned())),
        ..Knobs::default()
    });
    let err = client.submit(SOURCE, OUTPUT, 240).await.expect_err("refused");
    assert_eq!(
        err,
        MpsError::Api {
            code: "InvalidParameter.TemplateNotFound".to_owned(),
            message: "no such template".to_owned(),
            retryable: false,
        }
    );

    let (_refusing, port) = testkit::ports::refusing_port();
    let mut gone = config(&standin, SECRET);
    gone.endpoint = format!("http://127.0.0.1:{port}");
    let err = MpsClient::new(local_sources(), gone).query("x").await.expect_err("no server");
    assert!(matches!(err, MpsError::Network(_)) && err.is_retryable(), "{err:?}");
}

/// A hand-made signed request, as a GET query or a POST form.
async fn raw(standin: &MpsStandIn, method: &str, params: &BTreeMap<String, String>) -> (u16, Value) {
    let mut params = params.clone();
    params.insert("Signature".to_owned(), sign(method, &params, SECRET));
    let encoded: Vec<String> =
        params.iter().map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v))).collect();
    let http = shared::tools::http::bare();
    let request = match method {
        "GET" => http.get(format!("{}/?{}", standin.endpoint(), encoded.join("&"))),
        _ => http
            .post(format!("{}/", standin.endpoint()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encoded.join("&")),
    };
    let response = request.send().await.expect("sent");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

fn query_params(nonce: &str, at: SystemTime) -> BTreeMap<String, String> {
    [
        ("Action", "QueryJobList"),
        ("JobIds", "abc"),
        ("Format", "JSON"),
        ("Version", "2014-06-18"),
        ("AccessKeyId", KEY_ID),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", nonce),
        ("Timestamp", &humantime::format_rfc3339_seconds(at).to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

#[tokio::test]
async fn the_standin_checks_signatures_timestamps_and_nonces_over_get_and_post() {
    let standin = standin().await;
    let now = SystemTime::now();
    let (status, body) = raw(&standin, "GET", &query_params("n-1", now)).await;
    assert_eq!((status, &body["NonExistJobIds"]["String"]), (200, &json!(["abc"])), "{body}");
    let (status, _) = raw(&standin, "POST", &query_params("n-2", now)).await;
    assert_eq!(status, 200);

    let (status, body) = raw(&standin, "POST", &query_params("n-2", now)).await;
    assert_eq!((status, body["Code"].as_str()), (400, Some("SignatureNonceUsed")));
    let stale = now - Duration::from_secs(16 * 60);
    let (status, body) = raw(&standin, "GET", &query_params("n-3", stale)).await;
    assert_eq!((status, body["Code"].as_str()), (400, Some("InvalidTimeStamp.Expired")));

    // Signed as GET, sent as POST: the method is part of what is signed.
    let mut params = query_params("n-4", now);
    params.insert("Signature".to_owned(), sign("GET", &params, SECRET));
    let body: Vec<String> =
        params.iter().map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v))).collect();
    let response = shared::tools::http::bare()
        .post(format!("{}/", standin.endpoint()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.join("&"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["Code"], "SignatureDoesNotMatch");

    // No signature at all.
    let unsigned = query_params("n-5", now);
    let query: Vec<String> =
        unsigned.iter().map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v))).collect();
    let response = reqwest::get(format!("{}/?{}", standin.endpoint(), query.join("&"))).await.expect("sent");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["Code"], "SignatureDoesNotMatch");
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_secret_never_appears_in_any_log_line() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init()
        .expect("the only subscriber of this test");

    let standin = standin().await;
    standin.set_knobs(Knobs { queries_until_done: 1, ..Knobs::default() });
    let config = config(&standin, SECRET);
    tracing::info!(?config, "the configuration, as an operator would log it");
    let client = MpsClient::new(local_sources(), config.clone());
    tracing::info!(?client, "the client");
    let job_id = client.submit(SOURCE, OUTPUT, 240).await.expect("submitted");
    let done = poll(&client, &job_id, 5).await;
    tracing::info!(?done, "done");
    let wrong = MpsClient::new(local_sources(), config_with_secret_prefix(&config));
    let err = wrong.query(&job_id).await.expect_err("refused");
    tracing::error!(%err, ?err, "refused");

    let logs = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("UTF-8");
    assert!(logs.contains("MPS request") && logs.contains(KEY_ID), "TRACE lines were captured:\n{logs}");
    assert!(logs.contains("SignatureDoesNotMatch"), "{logs}");
    assert!(!logs.contains(SECRET), "the secret is in the logs:\n{logs}");
    assert!(!format!("{config:?}").contains(SECRET));
    assert!(!format!("{client:?} {err:?} {err}").contains(SECRET));
}

/// The same config with a secret that merely starts like the real one (so a log line holding
/// it would show the real secret's text).
fn config_with_secret_prefix(config: &MpsConfig) -> MpsConfig {
    MpsConfig { access_key_secret: format!("{SECRET}-but-wrong"), ..config.clone() }
}

/// A client that may reach the stand-in on loopback, as the tests' settings allow.
fn local_sources() -> shared::tools::http::SourceClient {
    shared::tools::http::SourceClient::new(shared::tools::egress::Egress::local_lessons()).unwrap()
}
