//! What an operator's scrape and board pages cost Redis in a fleet of 10,000 push hosts
//! (issue 22, item 2): a bounded number of commands, not a few per host; a host's own figures
//! and queues on request. Counted by the server itself (MONITOR), on a Redis of the test's own.

use std::time::Duration;

use futures::{StreamExt, stream};
use serde_json::Value;
use shared::{
    db::now_ms,
    domain::{NodeId, NodeStatus},
    jobs::{ClassEndJob, ReferencesJob},
};
use testkit::redis_monitor::{Monitor, Sent};
use workers::roles::Launch;

use crate::helpers::*;

const HOSTS: usize = 10_000;
const TOKEN: &str = "scale-token";
/// The issue's bound for one scrape at 10,000 push hosts; a board page is held to the same.
const MOST_COMMANDS: usize = 100;

fn host(i: usize) -> NodeId {
    format!("host-{i:05}").parse().expect("a valid node id")
}

/// 10,000 push hosts as the central side sees them once they started: each one's heartbeat in
/// the directory, and a job waiting on two of its own queues.
async fn a_fleet_reported(app: &TestApp) {
    let live_for = app.app.settings.node_live_for();
    stream::iter(0..HOSTS)
        .for_each_concurrent(64, |i| async move {
            let node = host(i);
            let status = NodeStatus::empty(node.clone(), now_ms(), 1 << 30, 10 << 30);
            app.app.directory.beat(&status, live_for).await.expect("a heartbeat stored");
            let class_id = format!("c-{i}").parse().expect("a valid class id");
            let queues = &app.app.queues;
            queues.enqueue(ClassEndJob { class_id }, Some(node.as_str())).await.expect("a class end queued");
            queues.enqueue(ReferencesJob { orders: Vec::new() }, Some(node.as_str())).await.expect("references queued");
        })
        .await;
}

fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    let request = app.http.get(app.url(path)).bearer_auth(TOKEN).timeout(Duration::from_secs(300));
    let response = request.send().await.unwrap_or_else(|e| panic!("GET {path}: {e}"));
    assert_eq!(response.status(), 200, "GET {path}");
    response
}

fn assert_bounded(what: &str, sent: &Sent) {
    tracing::info!(commands = sent.count(), "{what}: Redis commands");
    let shown: Vec<&String> = sent.commands.iter().take(20).collect();
    assert!(
        sent.count() <= MOST_COMMANDS,
        "{what} with {HOSTS} push hosts sent Redis {} commands (at most {MOST_COMMANDS}); the first: {shown:#?}",
        sent.count()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scrape_and_the_board_cost_a_bounded_number_of_redis_commands_at_10000_push_hosts() {
    let (_redis, url) = testkit::redis::own_redis().await;
    let mut env = TestEnv::new(Stack::Redis).await;
    env.set("REDIS_URL", url.clone()).set("API_TOKEN", TOKEN);
    let app = env.spawn_with(Launch { web: true, migrate: true, ..Launch::default() }).await;
    a_fleet_reported(&app).await;
    let mut monitor = Monitor::start(&url).await;

    let (text, sent) = monitor.count(async { get(&app, "/metrics").await.text().await.unwrap() }).await;
    assert_bounded("one scrape of /metrics", &sent);
    // The fleet in a few series, not a series per host.
    let class_ends = sample(&text, r#"vteacher_queue_jobs{queue="class-end",state="pending"}"#);
    assert_eq!(class_ends, Some(HOSTS as f64), "every host's class end counted");
    assert_eq!(sample(&text, r#"vteacher_nodes{state="live"}"#), Some(HOSTS as f64), "every host live");
    assert_eq!(sample(&text, "vteacher_nodes_free_disk_bytes_min"), Some((10u64 << 30) as f64));
    let per_host = text.lines().filter(|line| line.contains("node=\"")).count();
    assert_eq!(per_host, 0, "series per push host in /metrics");

    for page in ["/api/v1/queues", "/api/v1/overview", "/api/v1/workers", "/api/v1/tasks?status=Pending&page=1"] {
        let (_, sent) = monitor.count(get(&app, page)).await;
        assert_bounded(&format!("the board's {page}"), &sent);
    }

    // One host's own figures and queue, on request.
    let last = host(HOSTS - 1);
    let (shown, sent) =
        monitor.count(async { get(&app, &format!("/api/nodes/{last}")).await.json::<Value>().await }).await;
    assert_eq!(shown.expect("a push host as JSON")["live"], Value::Bool(true));
    assert_bounded("one push host's status", &sent);
    let queue = format!("{}:class-end:{last}", env.prefix);
    let tasks = format!("/api/v1/queues/{queue}/tasks?status=Pending&page=1");
    let (listed, sent) = monitor.count(async { get(&app, &tasks).await.json::<Value>().await }).await;
    let listed = listed.expect("the host's queue as JSON");
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "the host's class end on its queue's page: {listed}");
    assert_bounded("one push host's queue page", &sent);
    app.stop().await;
}
