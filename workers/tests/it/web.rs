//! The web process around the API: the bearer token, the dashboard and its login, health.

use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_routes_need_the_bearer_token_when_one_is_set() {
    let mut env = TestEnv::new(Stack::Embedded).await;
    env.set("API_TOKEN", "t0k-for-tests");
    let server = FileServer::start().await.unwrap();
    server.put("a.flv", lesson_bytes(1000));
    let app = env.spawn().await;
    let body = json!({"class_id": "c-auth", "record_id": 1, "video_url": server.url("a.flv")});

    for token in [None, Some("wrong"), Some("t0k-for-tests-but-longer")] {
        let mut request = app.http.post(app.url("/api/bookings")).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{token:?}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], "unauthorized");
    }
    let status = app.http.get(app.url("/api/bookings/c-auth")).send().await.unwrap().status();
    assert_eq!(status, 401);

    let accepted =
        app.http.post(app.url("/api/bookings")).bearer_auth("t0k-for-tests").json(&body).send().await.unwrap();
    assert_eq!(accepted.status(), 202);
    assert_eq!(app.http.get(app.url("/healthz")).send().await.unwrap().status(), 200, "health stays open");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_opens_after_login_and_lists_the_queues() {
    let mut env = TestEnv::new(Stack::Embedded).await;
    env.set("API_TOKEN", "dash-token");
    let app = env.spawn().await;
    let no_redirects = shared::tools::http::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    let page = no_redirects.get(app.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 303, "to the login form");
    assert_eq!(page.headers()["location"], "/login");
    let wrong = no_redirects
        .post(app.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("token=nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let login = no_redirects
        .post(app.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("token=dash-token")
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 303);
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly"));
    let cookie = cookie.split(';').next().unwrap().to_owned();

    let page = no_redirects.get(app.url("/")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<html"), "the dashboard's page");
    // A queue is listed once its worker has registered.
    let wanted = ["booking", "notify"].map(|queue| format!("{}:{queue}", env.prefix));
    eventually("the booking and notify queues to be listed", std::time::Duration::from_secs(10), || async {
        let response = no_redirects.get(app.url("/api/v1/queues")).header("cookie", &cookie).send().await.ok()?;
        let queues: Value = response.json().await.ok()?;
        let names: Vec<&str> = queues.as_array()?.iter().filter_map(|q| q["name"].as_str()).collect();
        wanted.iter().all(|w| names.contains(&w.as_str())).then_some(())
    })
    .await;
    app.stop().await;
}

#[tokio::test]
async fn web_refuses_to_listen_beyond_loopback_without_a_token() {
    let mut env = TestEnv::new(Stack::Embedded).await;
    env.set("BIND", "0.0.0.0");
    let output = env.command(&["web"]).output().await.unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("API_TOKEN"));
}

/// The dashboard's API over the queues, on both backends: the queues with their counts, and
/// the jobs of a queue.
async fn the_dashboard_shows_queues_and_their_jobs(stack: Stack) {
    let env = TestEnv::new(stack).await;
    // Only web: jobs stay in their queues for the dashboard to show.
    let app = env.spawn_with(workers::roles::Launch { web: true, migrate: true, ..Default::default() }).await;
    for class_id in ["c-1", "c-2"] {
        let body = serde_json::json!({"class_id": class_id, "record_id": 1, "video_url": "http://127.0.0.1:9/a.flv"});
        assert_eq!(app.post_booking(&body).await.status(), 202);
    }
    let booking_queue = format!("{}:booking", env.prefix);
    let queues: Value = app.http.get(app.url("/api/v1/queues")).send().await.unwrap().json().await.unwrap();
    let booking =
        queues.as_array().unwrap().iter().find(|q| q["name"] == booking_queue.as_str()).expect("the booking queue");
    let pending = booking["stats"].as_array().unwrap().iter().find(|s| s["title"] == "PENDING_JOBS").unwrap();
    assert_eq!(pending["value"], "2", "{booking}");

    let tasks: Value = app
        .http
        .get(app.url(&format!("/api/v1/queues/{booking_queue}/tasks?status=Pending&page=1")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let classes: Vec<&str> = tasks.as_array().unwrap().iter().filter_map(|t| t["args"]["class_id"].as_str()).collect();
    assert_eq!(classes.len(), 2, "{tasks}");
    app.stop().await;
}

on_stacks!(dashboard = the_dashboard_shows_queues_and_their_jobs; embedded => Embedded, redis => Redis);

/// The dashboard's live stream (its Logs page): `/api/v1/events` serves the log events of the
/// process's jobs as they happen, each with its task id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_streams_the_process_logs() {
    use futures::StreamExt;
    let env = TestEnv::new(Stack::Embedded).await;
    let app = env.spawn().await;
    let response = app.http.get(app.url("/api/v1/events")).send().await.unwrap();
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    let kind = response.headers()[reqwest::header::CONTENT_TYPE].to_str().unwrap().to_owned();
    assert!(kind.starts_with("text/event-stream"), "{kind}");
    let body = serde_json::json!({"class_id": "c-logs", "record_id": 1, "video_url": "http://127.0.0.1:9/a.flv"});
    assert_eq!(app.post_booking(&body).await.status(), 202);
    let mut stream = response.bytes_stream();
    let mut seen = String::new();
    let found = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        while let Some(Ok(chunk)) = stream.next().await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("normal booking: download") && seen.contains("task_id") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(found, Ok(true), "the booking job's log line on the stream: {seen}");
    // The stream stays open: stopping must not wait on it for longer than the drain.
    env_stop_within_drain(app).await;
}

async fn env_stop_within_drain(app: TestApp) {
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(30), app.stop()).await;
    assert!(stopped.is_ok(), "web stops though a log stream is still open");
}
