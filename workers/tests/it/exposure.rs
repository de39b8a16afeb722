//! What the web process and the logs give away: `/metrics` behind the token, the login cookie
//! `Secure` behind https, no credentials of a signed source URL in the logs or in a failure's
//! reason, and a bad `/storage` key refused as such.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use workers::roles::Launch;

use crate::helpers::*;

fn web_only() -> Launch {
    Launch { web: true, migrate: true, ..Launch::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_need_the_token_unless_made_public() {
    let mut env = TestEnv::new(Stack::Embedded).await;
    env.set("API_TOKEN", "metrics-t0ken");
    let app = env.spawn_with(web_only()).await;
    let bare = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(bare.status(), 401, "no token");
    let error: Value = bare.json().await.unwrap();
    assert_eq!(error["error"]["code"], "unauthorized");
    let wrong = app.http.get(app.url("/metrics")).bearer_auth("nope").send().await.unwrap();
    assert_eq!(wrong.status(), 401, "a wrong token");
    let scraped = app.http.get(app.url("/metrics")).bearer_auth("metrics-t0ken").send().await.unwrap();
    assert_eq!(scraped.status(), 200, "a scraper with the token");
    app.stop().await;

    env.set("METRICS_PUBLIC", "true");
    let app = env.spawn_with(web_only()).await;
    assert_eq!(app.http.get(app.url("/metrics")).send().await.unwrap().status(), 200, "METRICS_PUBLIC=true");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_cookie_is_secure_behind_https() {
    let mut env = TestEnv::new(Stack::Embedded).await;
    env.set("API_TOKEN", "cookie-t0ken");
    let app = env.spawn_with(web_only()).await;
    let no_redirects = shared::tools::http::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let login = |proto: Option<&'static str>| {
        let mut request = no_redirects
            .post(app.url("/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("token=cookie-t0ken");
        if let Some(proto) = proto {
            request = request.header("x-forwarded-proto", proto);
        }
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 303);
            response.headers()["set-cookie"].to_str().unwrap().to_owned()
        }
    };
    let secure = |cookie: &str| cookie.split(';').any(|part| part.trim().eq_ignore_ascii_case("secure"));
    let over_https = login(Some("https")).await;
    assert!(secure(&over_https) && over_https.contains("HttpOnly"), "{over_https}");
    let plain = login(None).await;
    assert!(!secure(&plain), "{plain}");
    let over_http = login(Some("http")).await;
    assert!(!secure(&over_http), "{over_http}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_storage_key_is_a_400_and_no_error() {
    let env = TestEnv::new(Stack::Embedded).await;
    std::fs::create_dir_all(env.dir.path().join("storage/7")).unwrap();
    std::fs::write(env.dir.path().join("storage/7/7_240P.flv"), b"rendition").unwrap();
    std::fs::write(env.dir.path().join("outside.txt"), b"not to be served").unwrap();
    let mut web = env.start_with("web", &["web"], &[("RUST_LOG", None)]);
    let base = format!("http://{}", web.web_addr().await);
    let http = shared::tools::http::bare();

    let served = http.get(format!("{base}/storage/7/7_240P.flv")).send().await.unwrap();
    // As /api/openapi.json documents it (schemathesis found it missing).
    let kind = served.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(kind.as_deref(), Some("application/octet-stream"));
    assert_eq!((served.status().as_u16(), served.text().await.unwrap()), (200, "rendition".to_owned()));
    for bad in
        ["..%2Foutside.txt", "7%2F..%2F..%2Foutside.txt", "%2Fetc%2Fpasswd", "/etc/passwd", "7//7_240P.flv", "", "."]
    {
        let response = http.get(format!("{base}/storage/{bad}")).send().await.unwrap();
        assert_eq!(response.status(), 400, "{bad:?}");
    }
    // `..` as it is on the wire (an HTTP client would resolve it before sending).
    let mut raw = tokio::net::TcpStream::connect(base.trim_start_matches("http://")).await.unwrap();
    raw.write_all(b"GET /storage/../outside.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    raw.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");

    web.signal(nix::sys::signal::Signal::SIGTERM);
    web.exit_status(Duration::from_secs(10)).await;
    let log = web.output();
    assert!(!log.contains("ERROR"), "a client's bad key is not an error of ours:\n{log}");
}

/// A signed source URL that fails (refused, unavailable past JOB_ATTEMPTS, and as an ecs
/// transcode's source): its query string is in no log line and no reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_source_url_s_credentials_stay_out_of_logs_and_reasons() {
    let env = TestEnv::new(Stack::Embedded).await;
    let (gone, busy) = (FileServer::start().await.unwrap(), FileServer::start().await.unwrap());
    busy.put("busy.flv", lesson_bytes(1000));
    busy.set_knobs(Knobs { fail_next: 1000, fail_status: 503, ..Knobs::default() });
    let mut all = env.start_with("all", &["all"], &[("RUST_LOG", None)]);
    let base = format!("http://{}", all.web_addr().await);
    let http = shared::tools::http::bare();
    let bookings = [
        ("c-gone", json!({"record_id": 81, "video_url": format!("{}?token=secret-gone", gone.url("gone.flv"))})),
        ("c-busy", json!({"record_id": 82, "video_url": format!("{}?token=secret-busy", busy.url("busy.flv"))})),
        (
            "c-ecs",
            json!({"record_id": 83, "video_resolution": "240P",
                "video_url": format!("{}?Signature=secret-ecs&Expires=1", gone.url("src.flv"))}),
        ),
    ];
    for (class_id, body) in &bookings {
        let mut body = body.clone();
        body["class_id"] = json!(class_id);
        let response = http.post(format!("{base}/api/bookings")).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 202, "{class_id}");
    }
    for (class_id, _) in &bookings {
        let booking: Value = eventually(&format!("{class_id} to fail"), Duration::from_secs(60), || async {
            let response = http.get(format!("{base}/api/bookings/{class_id}")).send().await.ok()?;
            let booking: Value = response.json().await.ok()?;
            (booking["state"] == "failed").then_some(booking)
        })
        .await;
        let reason = booking["reason"].as_str().unwrap_or_default();
        assert!(!reason.is_empty() && !reason.contains("secret"), "{class_id}: {reason}");
    }
    let transcodes = http.get(format!("{base}/api/transcodes/83")).send().await.unwrap().text().await.unwrap();
    assert!(transcodes.contains("failed") && !transcodes.contains("secret"), "{transcodes}");

    all.signal(nix::sys::signal::Signal::SIGTERM);
    all.exit_status(Duration::from_secs(20)).await;
    let log = all.output();
    assert!(log.contains("gone.flv") && log.contains("busy.flv"), "the failures are logged:\n{log}");
    assert!(!log.contains("secret"), "a credential was logged:\n{log}");
}

/// A transcode result whose URL is signed and carries a user and password (issue 21): the
/// result's log line and the download's name it without either, and the booking is ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_result_url_s_credentials_stay_out_of_logs() {
    let mut env = TestEnv::new(Stack::Embedded).await;
    let (server, oss) = (FileServer::start().await.unwrap(), WebhookSink::start().await);
    server.put("src.flv", lesson_bytes(1000));
    server.put("91_240P.flv", lesson_bytes(1000));
    // The cloud takes the job and answers later: the result below is its answer.
    env.set("OSS_PROVIDER", "http").set("OSS_HTTP_URL", oss.url.clone());
    let mut all = env.start_with("all", &["all"], &[("RUST_LOG", None)]);
    let base = format!("http://{}", all.web_addr().await);
    let http = shared::tools::http::bare();
    let body = json!({"class_id": "c-signed", "record_id": 91, "video_resolution": "240P",
        "video_url": server.url("src.flv"), "video_url_list": {"720P": server.url("src.flv")}});
    assert_eq!(http.post(format!("{base}/api/bookings")).json(&body).send().await.unwrap().status(), 202);
    eventually("the transcode to be submitted", Duration::from_secs(30), || async {
        (!oss.received().is_empty()).then_some(())
    })
    .await;
    let signed =
        server.url("91_240P.flv?Expires=1&Signature=secret-sig").replace("http://", "http://someone:secret-pw@");
    let result = json!({"cmd": "transcoding", "record_id": 91, "video_resolution": "240P", "result": "success",
        "transcode_video_url": signed, "type": "oss"});
    let response = http.post(format!("{base}/api/transcode/result")).json(&result).send().await.unwrap();
    assert_eq!(response.status(), 202);
    eventually("c-signed to be ready", Duration::from_secs(30), || async {
        let booking: Value = http.get(format!("{base}/api/bookings/c-signed")).send().await.ok()?.json().await.ok()?;
        assert_ne!(booking["state"], "failed", "{booking}");
        (booking["state"] == "ready").then_some(())
    })
    .await;

    all.signal(nix::sys::signal::Signal::SIGTERM);
    all.exit_status(Duration::from_secs(20)).await;
    let log = all.output();
    assert!(log.contains("transcode result") && log.contains("91_240P.flv"), "the result is logged:\n{log}");
    assert!(!log.contains("secret"), "a credential was logged:\n{log}");
}
