//! The dashboard in a real browser: a headless Chromium logs in with the token, and the
//! apalis-board UI shows every queue (a push host's too), a job that failed for good with its
//! error, a healthy live stream, and an overview without made-up dates.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{browser::Browser, screenshot::distinct_colours, *};

const TOKEN: &str = "board-token";
/// Long enough for a cold Chromium to load the board's WASM on a busy machine.
const PAGE_TIMEOUT: Duration = Duration::from_secs(60);

/// Every queue the board must list: each job's, a per-node job's on this test's node.
fn queue_names(env: &TestEnv) -> Vec<String> {
    let node = &env.pairs["NODE_ID"];
    shared::jobs::JOBS
        .iter()
        .map(|job| match job.is_per_node() {
            true => format!("{}:{}:{node}", env.prefix, job.queue),
            false => format!("{}:{}", env.prefix, job.queue),
        })
        .collect()
}

/// A JavaScript string literal.
fn js(text: &str) -> String {
    serde_json::to_string(text).expect("a string")
}

/// The id of the job that failed for good on `queue`, as the board's API lists it.
async fn dead_job(app: &TestApp, queue: &str) -> String {
    eventually("the failed download job on the board's API", Duration::from_secs(30), || async {
        for status in ["Killed", "Failed"] {
            let url = app.url(&format!("/api/v1/queues/{queue}/tasks?status={status}&page=1"));
            let tasks: Value = app.http.get(url).bearer_auth(TOKEN).send().await.ok()?.json().await.ok()?;
            if let Some(id) = tasks.as_array()?.iter().find_map(|t| t["ctx"]["task_id"].as_str()) {
                return Some(id.to_owned());
            }
        }
        None
    })
    .await
}

async fn the_board_shows_the_queues_a_failure_and_health_in_a_browser(stack: Stack) {
    let mut env = TestEnv::new(stack).await;
    env.set("API_TOKEN", TOKEN).set("JOB_ATTEMPTS", "2").set("JOB_BACKOFF", "100ms");
    // A source that refuses connections: the download fails for good.
    let (_refusing, port) = refusing_port();
    let app = env.spawn().await;
    let body = json!({"class_id": "c-board", "record_id": 7, "video_url": format!("http://127.0.0.1:{port}/gone.flv")});
    let response = app.http.post(app.url("/api/bookings")).bearer_auth(TOKEN).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 202);
    let download_queue = format!("{}:download:{}", env.prefix, env.pairs["NODE_ID"]);
    let task_id = dead_job(&app, &download_queue).await;

    let mut browser = Browser::start(env.dir.path()).await;
    browser.open(&app.url("/login")).await;
    browser.wait_for("the login form", "!!document.querySelector('input[name=token]')", PAGE_TIMEOUT).await;
    browser.eval("document.querySelector('input[name=token]').focus()").await;
    browser.type_text(TOKEN).await;
    browser.eval("document.querySelector('form button').click()").await;
    // The home page: the overview's stats, the sidebar's status fed by the live stream, and
    // every queue. The home page, not the Queues page: apalis-board 1.0.0's Queues page shows
    // one row whatever the backend lists (its table's `row_count` is a constant 1).
    browser
        .wait_for(
            "the overview after login",
            "location.pathname === '/' && /pending/i.test(document.body.innerText) \
             && document.body.innerText.includes('Healthy')",
            PAGE_TIMEOUT,
        )
        .await;
    if env.stack == Stack::Redis {
        // The overview counts every queue's jobs, under titles the UI knows (it shows a title
        // it does not know as "Total Jobs"): the dead download is one of them.
        let counted = r"/Killed Jobs\s*1\b/.test(document.body.innerText)";
        browser.wait_for("the overview to count the dead download", counted, PAGE_TIMEOUT).await;
    }
    let names = queue_names(&env);
    let all_listed = names.iter().map(|n| format!("document.body.innerText.includes({})", js(n))).collect::<Vec<_>>();
    browser.wait_for("every queue on the home page", &all_listed.join(" && "), PAGE_TIMEOUT).await;
    let home = browser.text().await;
    // An empty stat must not read as a date (a 0 timestamp shows as January 01, 1970).
    assert!(!home.contains("1970"), "the overview shows a date from a zero timestamp:\n{home}");

    // The failed job's page: its error, as the runner recorded it.
    browser.open(&app.url(&format!("/queues/{download_queue}/tasks/{task_id}"))).await;
    let error = format!("127.0.0.1:{port}");
    let shows_error = format!(
        "document.body.innerText.includes({}) && /connection refused/i.test(document.body.innerText)",
        js(&error)
    );
    browser.wait_for("the failed job's error", &shows_error, PAGE_TIMEOUT).await;
    // Healthy only means something once the stream has been open a while: it turns unhealthy
    // on the stream's first error and never back.
    browser
        .wait_for(
            "the status to stay healthy with the stream open 5 s",
            "performance.now() > 5000 && document.body.innerText.includes('Healthy') \
             && !document.body.innerText.includes('Unhealthy')",
            PAGE_TIMEOUT,
        )
        .await;

    let shot = browser.screenshot("board.png").await;
    let colours = distinct_colours(&shot, 16);
    assert!(colours >= 16, "the screenshot at {} is nearly blank: {colours} colours", shot.display());
    app.stop().await;
}

on_stacks!(board = the_board_shows_the_queues_a_failure_and_health_in_a_browser; embedded => Embedded, redis => Redis);

/// A push host that starts after web has its queues' pages on the board too, though the
/// board's routes are per queue and were built when web started.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_joins_after_web_has_its_queues_on_the_board() {
    let mut env = TestEnv::new(Stack::Redis).await;
    env.set("API_TOKEN", TOKEN);
    let app = env.spawn().await;
    // The whole of the board's API is behind the login, whatever the path (to the login form).
    let no_redirects = shared::tools::http::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for path in ["/api/v1/queues", "/api/v1/queues/no-such-queue/tasks"] {
        let status = no_redirects.get(app.url(path)).send().await.unwrap().status();
        assert!(status == 303 || status == 401, "{path}: {status}");
    }
    let late = "node-late";
    let index = format!("sqlite://{}?mode=rwc", env.dir.path().join("late.db").display());
    let root = env.dir.path().join("late-video").display().to_string();
    let changes = [("NODE_ID", Some(late.to_owned())), ("NODE_DATABASE_URL", Some(index)), ("VIDEO_ROOT", Some(root))];
    let mut node = env.start_with("late-node", &["work", "--queues", "download,class-end"], &changes);
    for queue in ["download", "class-end"] {
        let tasks = app.url(&format!("/api/v1/queues/{}:{queue}:{late}/tasks?status=Pending&page=1", env.prefix));
        eventually(&format!("the late node's {queue} queue on the board"), Duration::from_secs(30), || async {
            // A queue the board has no route for gets the UI's page (200, HTML), not a list.
            let response = app.http.get(&tasks).bearer_auth(TOKEN).send().await.ok()?;
            let listed: Value = response.json().await.ok()?;
            listed.is_array().then_some(())
        })
        .await;
    }
    node.child.kill().await.unwrap();
    app.stop().await;
}
