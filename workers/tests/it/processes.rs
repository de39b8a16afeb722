//! Whole `vteacher` processes: a node killed with SIGKILL mid-download, a node stopped with
//! SIGTERM, a worker whose Redis dies, and the tools of the command line.

use std::time::Duration;

use nix::sys::signal::Signal;
use serde_json::json;
use workers::roles::Launch;

use crate::helpers::*;

const LEN: usize = 2 * 1024 * 1024;

/// Web and the booking process's queues in this process; the node is a child process.
fn web_and_booking() -> Launch {
    let queues = vec!["booking".into(), "notify".into(), "node-report".into()];
    Launch { web: true, migrate: true, queues, ..Launch::default() }
}

/// Books `class_id` onto the test's node, for a lesson served at 400 KB/s.
async fn book_slow_lesson(env: &TestEnv, app: &TestApp, server: &FileServer, class_id: &str) -> Vec<u8> {
    let lesson = lesson_bytes(LEN);
    server.put("slow.flv", lesson.clone());
    server.set_knobs(Knobs { rate: Some(400_000), ..Knobs::default() });
    let body = json!({"class_id": class_id, "record_id": 31, "video_resolution": "480P", "node": env.pairs["NODE_ID"],
        "video_url_list": {"480P": server.url("slow.flv")}});
    assert_eq!(app.post_booking(&body).await.status(), 202);
    lesson
}

async fn part_len(env: &TestEnv) -> u64 {
    let part = env.video_root().join("31/31_480P.flv.part");
    tokio::fs::metadata(part).await.map(|m| m.len()).unwrap_or(0)
}

async fn a_node_killed_mid_download_resumes_after_restart(stack: Stack) {
    let env = TestEnv::new(stack).await;
    let server = FileServer::start().await.unwrap();
    let app = env.spawn_with(web_and_booking()).await;
    let mut node = env.start("node-1", &["work", "--queues", "download"]);
    let lesson = book_slow_lesson(&env, &app, &server, "c-kill").await;

    let had = eventually("the download to be well under way", Duration::from_secs(30), || async {
        let len = part_len(&env).await;
        (len >= LEN as u64 * 2 / 5).then_some(len)
    })
    .await;
    node.signal(Signal::SIGKILL);
    node.exit_status(Duration::from_secs(10)).await;
    assert_eq!(app.booking("c-kill").await.unwrap()["state"], "downloading");

    let mut restarted = env.start("node-2", &["work", "--queues", "download"]);
    let ready = app.wait_for_state("c-kill", "ready").await;
    assert_eq!(std::fs::read(ready["video_path"].as_str().unwrap()).unwrap(), lesson);
    let starts = server.range_starts();
    assert_eq!(starts.len(), 2, "one download, one resumption: {starts:?}");
    assert!(starts[1].is_some_and(|start| start >= had), "resumed from {:?}, {had} bytes were on disk", starts[1]);
    // Only what was in flight when the process died is sent twice.
    assert!(server.bytes_sent() <= (LEN + 512 * 1024) as u64, "sent {} for {LEN}", server.bytes_sent());
    restarted.signal(Signal::SIGTERM);
    assert!(restarted.exit_status(Duration::from_secs(10)).await.success());
    app.stop().await;
}

async fn sigterm_hands_the_running_download_back(stack: Stack) {
    let env = TestEnv::new(stack).await;
    let server = FileServer::start().await.unwrap();
    let app = env.spawn_with(web_and_booking()).await;
    let mut node = env.start("node-1", &["work", "--queues", "download"]);
    let lesson = book_slow_lesson(&env, &app, &server, "c-term").await;
    eventually("the download to start", Duration::from_secs(30), || async {
        (part_len(&env).await > 100_000).then_some(())
    })
    .await;

    node.signal(Signal::SIGTERM);
    let status = node.exit_status(Duration::from_secs(10)).await;
    assert!(status.success(), "a SIGTERM is a clean stop: {status}\n{}", node.output());
    let kept = part_len(&env).await;
    assert!(kept > 100_000, "the .part file is kept for the next run");

    let mut restarted = env.start("node-2", &["work", "--queues", "download"]);
    let ready = app.wait_for_state("c-term", "ready").await;
    assert_eq!(std::fs::read(ready["video_path"].as_str().unwrap()).unwrap(), lesson);
    let starts = server.range_starts();
    assert!(starts.last().unwrap().is_some_and(|s| s >= kept), "{starts:?}");
    restarted.signal(Signal::SIGTERM);
    restarted.exit_status(Duration::from_secs(10)).await;
    app.stop().await;
}

on_stacks!(killed = a_node_killed_mid_download_resumes_after_restart; embedded => Embedded, redis => Redis);

on_stacks!(terminated = sigterm_hands_the_running_download_back; embedded => Embedded, redis => Redis);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_whose_redis_dies_for_good_exits_non_zero() {
    let (mut redis_server, url) = own_redis().await;
    let mut env = TestEnv::new(Stack::Embedded).await;
    // A restart is waited out (faults::redis_forgets); gone for longer than DEPENDENCY_WAIT,
    // Redis is gone for good, and the worker stops for its supervisor to see.
    env.set("REDIS_URL", url).set("DEPENDENCY_WAIT", "5s");
    let mut worker = env.start("worker", &["work", "--queues", "booking"]);
    // Registered: the worker heart-beats into its Redis.
    let probe = env.pairs["REDIS_URL"].clone();
    eventually("the worker to register in its Redis", Duration::from_secs(20), || {
        let url = probe.clone();
        async move {
            let client = redis::Client::open(url).ok()?;
            let mut conn = client.get_multiplexed_async_connection().await.ok()?;
            let keys: Vec<String> = redis::cmd("KEYS").arg("*:workers").query_async(&mut conn).await.ok()?;
            (!keys.is_empty()).then_some(())
        }
    })
    .await;
    assert!(worker.child.try_wait().unwrap().is_none(), "running before Redis dies:\n{}", worker.output());
    redis_server.kill().await.unwrap();
    let status = worker.exit_status(Duration::from_secs(60)).await;
    assert!(!status.success(), "exits non-zero rather than idling; log:\n{}", worker.output());
    assert!(worker.output().contains("worker died"), "{}", worker.output());
}

#[tokio::test]
async fn config_prints_effective_settings_with_secrets_masked() {
    let mut env = TestEnv::new(Stack::Embedded).await;
    env.set("API_TOKEN", "tok-3f9a2c").set("wget_path", "/usr/bin/wget").set("DOWNLOAD_RATE", "300k");
    let output = env.command(&["config"]).output().await.unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("DOWNLOAD_RATE=300k"), "{text}");
    assert!(text.contains("WGET_PATH=/usr/bin/wget"), "{text}");
    assert!(text.contains("API_TOKEN=********"), "{text}");
    assert!(!text.contains("tok-3f9a2c"), "{text}");
}

#[tokio::test]
async fn a_bad_setting_stops_start_up_naming_the_key() {
    let mut env = TestEnv::new(Stack::Embedded).await;
    env.set("MAX_VIDEO_NUM", "lots");
    let output = env.command(&["all"]).output().await.unwrap();
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("MAX_VIDEO_NUM"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_video_root_stops_a_node_naming_it() {
    let mut env = TestEnv::new(Stack::Embedded).await;
    // A file where the directory should be: neither root nor anyone can create it.
    let blocked = env.dir.path().join("blocked");
    std::fs::write(&blocked, b"").unwrap();
    env.set("VIDEO_ROOT", blocked.join("video").display().to_string());
    let output = env.command(&["work", "--queues", "download"]).output().await.unwrap();
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(
        text.contains("VIDEO_ROOT") && text.contains("blocked/video") && text.contains("cannot be created"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shell_books_and_reads_status() {
    let env = TestEnv::new(Stack::Embedded).await;
    let server = FileServer::start().await.unwrap();
    server.put("cli.flv", lesson_bytes(10_000));
    let app = env.spawn().await;
    let body = json!({"class_id": "c-cli", "record_id": 4, "video_url": server.url("cli.flv")}).to_string();
    let booked = env.command(&["book", &body]).output().await.unwrap();
    assert!(booked.status.success(), "{}", String::from_utf8_lossy(&booked.stderr));
    app.wait_for_state("c-cli", "ready").await;

    let status = env.command(&["status", "c-cli"]).output().await.unwrap();
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["state"], "ready");

    let refused = env.command(&["book", "{\"class_id\": \"x\"}"]).output().await.unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("record_id"));
    app.stop().await;
}

async fn an_operator_lists_and_redrives_dead_jobs(stack: Stack) {
    let mut env = TestEnv::new(stack).await;
    let hook = WebhookSink::start().await;
    hook.failing.store(true, std::sync::atomic::Ordering::SeqCst);
    env.set("RESULT_WEBHOOK_URL", hook.url.clone());
    let server = FileServer::start().await.unwrap();
    server.put("a.flv", lesson_bytes(1000));
    let app = env.spawn().await;
    let body = json!({"class_id": "c-dead", "record_id": 3, "video_url": server.url("a.flv")});
    assert_eq!(app.post_booking(&body).await.status(), 202);
    app.wait_for_state("c-dead", "ready").await;

    // The result cannot be sent: after JOB_ATTEMPTS the notify job is dead.
    let dead = eventually("the notify job to be dead", Duration::from_secs(20), || async {
        let out = env.command(&["queue", "dead", "notify"]).output().await.ok()?;
        let dead: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).ok()?;
        (!dead.is_empty()).then_some(dead)
    })
    .await;
    assert_eq!(dead[0]["payload"]["class_id"], "c-dead");
    assert!(dead[0]["error"].as_str().unwrap().contains("503"), "{dead:?}");

    hook.failing.store(false, std::sync::atomic::Ordering::SeqCst);
    let redriven = env.command(&["queue", "redrive", "notify"]).output().await.unwrap();
    assert!(String::from_utf8_lossy(&redriven.stdout).contains("1 job(s) put back"), "{redriven:?}");
    assert_eq!(hook.result_of("c-dead").await["result"], "success");
    let after = env.command(&["queue", "dead", "notify"]).output().await.unwrap();
    assert_eq!(serde_json::from_slice::<Vec<serde_json::Value>>(&after.stdout).unwrap().len(), 0);
    app.stop().await;
}

on_stacks!(dead_jobs = an_operator_lists_and_redrives_dead_jobs; embedded => Embedded, redis => Redis);
