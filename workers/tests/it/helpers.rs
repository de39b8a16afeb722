//! Spawns the real app on a random port against real services, each test in its own SQLite
//! file, PostgreSQL database, Redis key prefix and pub/sub channels.

use std::{collections::HashMap, future::Future, net::SocketAddr, path::PathBuf, time::Duration};

use futures::StreamExt;
use serde_json::Value;
use shared::{App, config::Settings};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use workers::roles::{Launch, Running, launch};

pub use workers::fileserver::{FileServer, Knobs};

/// Which real services back a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stack {
    /// The embedded default: SQLite state, SQLite queues.
    Embedded,
    /// SQLite state, Redis queues.
    Redis,
    /// A fleet: PostgreSQL state, Redis queues.
    Fleet,
}

impl Stack {
    pub fn has_redis(self) -> bool {
        self != Stack::Embedded
    }
}

pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn postgres_url(db: &str) -> String {
    let base = std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    format!("{base}/{db}")
}

/// Polls `check` until it returns `Some`, or panics after `timeout` naming `what`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One test's world: its services, its settings, and the app when running.
pub struct TestEnv {
    pub stack: Stack,
    pub dir: tempfile::TempDir,
    pub pairs: HashMap<String, String>,
    pub prefix: String,
    pg_db: Option<String>,
}

impl TestEnv {
    pub async fn new(stack: Stack) -> Self {
        workers::telemetry::init_logs(shared::config::LogFormat::Text);
        let id = uuid::Uuid::new_v4().simple().to_string();
        let prefix = format!("vt-test-{}", &id[..12]);
        let dir = tempfile::tempdir().expect("temp dir");
        let mut pairs = HashMap::new();
        let mut pg_db = None;
        let database_url = match stack {
            Stack::Fleet => {
                let name = format!("vt_test_{}", &id[..16]);
                create_postgres_db(&name).await;
                let url = postgres_url(&name);
                pg_db = Some(name);
                url
            }
            _ => format!("sqlite://{}?mode=rwc", dir.path().join("vteacher.db").display()),
        };
        pairs.insert("DATABASE_URL".into(), database_url);
        if stack.has_redis() {
            pairs.insert("REDIS_URL".into(), redis_url());
        }
        for (key, value) in [
            ("PORT", "0".to_owned()),
            ("BIND", "127.0.0.1".to_owned()),
            ("NODE_ID", format!("node-{}", &id[..6])),
            ("VIDEO_ROOT", dir.path().join("video").display().to_string()),
            ("STORAGE_URL", format!("fs://{}", dir.path().join("storage").display())),
            ("TRANSCODE_WORK_DIR", dir.path().join("transcode-work").display().to_string()),
            ("QUEUE_PREFIX", prefix.clone()),
            ("CHANNEL_BOOKING", format!("{prefix}:booking")),
            ("CHANNEL_TRANSCODE", format!("{prefix}:transcoding")),
            ("CHANNEL_CLASS_END", format!("{prefix}:class_end")),
            ("CHANNEL_RESULT", format!("{prefix}:result")),
            ("DOWNLOAD_RATE", "0".to_owned()),
            ("JOB_ATTEMPTS", "3".to_owned()),
            ("JOB_BACKOFF", "200ms".to_owned()),
            ("QUEUE_LEASE", "6s".to_owned()),
            ("SHUTDOWN_TIMEOUT", "3s".to_owned()),
        ] {
            pairs.insert(key.into(), value);
        }
        Self { stack, dir, pairs, prefix, pg_db }
    }

    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.pairs.insert(key.into(), value.into());
        self
    }

    pub fn settings(&self) -> Settings {
        Settings::from_pairs(self.pairs.iter()).expect("test settings are valid")
    }

    pub fn video_root(&self) -> PathBuf {
        self.dir.path().join("video")
    }

    /// Starts every role in this process (`vteacher all`), web on a random port.
    pub async fn spawn(&self) -> TestApp {
        self.spawn_with(Launch::all()).await
    }

    pub async fn spawn_with(&self, what: Launch) -> TestApp {
        let running = launch(self.settings(), what, CancellationToken::new()).await.expect("app starts");
        let addr = running.web_addr;
        TestApp { app: running.app.clone(), addr, http: reqwest::Client::new(), running: Some(running) }
    }

    /// The `vteacher` binary with this test's settings as its whole environment.
    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_vteacher"));
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", "info")
            .envs(&self.pairs)
            .current_dir(self.dir.path())
            .kill_on_drop(true);
        command
    }

    /// Collects what is published on this test's result channel.
    pub async fn results(&self) -> Results {
        let channel = self.pairs["CHANNEL_RESULT"].clone();
        let (tx, rx) = mpsc::unbounded_channel();
        let mut messages = shared::tools::pubsub::subscribe(&redis_url(), &[channel]).await.expect("subscribe");
        tokio::spawn(async move {
            while let Some(message) = messages.next().await {
                let value: Value = serde_json::from_slice(&message.payload).expect("results are JSON");
                if tx.send(value).is_err() {
                    return;
                }
            }
        });
        Results { rx, seen: Vec::new() }
    }

    /// Waits until the bridge listens on this test's booking channel.
    pub async fn bridge_subscribed(&self) {
        let channel = self.pairs["CHANNEL_BOOKING"].clone();
        eventually("the bridge to subscribe", Duration::from_secs(10), || async {
            let client = redis::Client::open(redis_url()).unwrap();
            let mut conn = client.get_multiplexed_async_connection().await.ok()?;
            let counts: Vec<(String, i64)> =
                redis::cmd("PUBSUB").arg("NUMSUB").arg(&channel).query_async(&mut conn).await.ok()?;
            (counts.first()?.1 > 0).then_some(())
        })
        .await;
    }

    /// Publishes a raw message on this test's booking channel.
    pub async fn publish_booking(&self, payload: &str) {
        let client = redis::Client::open(redis_url()).expect("redis url");
        let mut conn = client.get_multiplexed_async_connection().await.expect("redis");
        let channel = &self.pairs["CHANNEL_BOOKING"];
        let _: i64 = redis::cmd("PUBLISH").arg(channel).arg(payload).query_async(&mut conn).await.expect("publish");
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        let prefix = self.prefix.clone();
        let pg_db = self.pg_db.take();
        let has_redis = self.stack.has_redis();
        // Cleanup needs a runtime of its own: Drop may run inside or outside one.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async move {
                if has_redis {
                    delete_redis_keys(&prefix).await;
                }
                if let Some(db) = pg_db {
                    drop_postgres_db(&db).await;
                }
            });
        })
        .join();
    }
}

async fn create_postgres_db(name: &str) {
    let admin = sea_orm::Database::connect(postgres_url("postgres")).await.expect("PostgreSQL at 127.0.0.1:5432");
    use sea_orm::ConnectionTrait;
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
}

async fn drop_postgres_db(name: &str) {
    use sea_orm::ConnectionTrait;
    if let Ok(admin) = sea_orm::Database::connect(postgres_url("postgres")).await {
        let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
    }
}

/// Deletes this test's keys only (never a flush: the Redis is shared).
async fn delete_redis_keys(prefix: &str) {
    let Ok(client) = redis::Client::open(redis_url()) else {
        return;
    };
    let Ok(mut conn) = client.get_multiplexed_async_connection().await else {
        return;
    };
    let keys: Vec<String> =
        redis::cmd("KEYS").arg(format!("{prefix}:*")).query_async(&mut conn).await.unwrap_or_default();
    for chunk in keys.chunks(500) {
        let _: Result<i64, _> = redis::cmd("DEL").arg(chunk).query_async(&mut conn).await;
    }
}

pub struct Results {
    rx: mpsc::UnboundedReceiver<Value>,
    pub seen: Vec<Value>,
}

impl Results {
    /// Waits for the result of `class_id`.
    pub async fn of(&mut self, class_id: &str, timeout: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(found) = self.seen.iter().find(|r| r["class_id"] == class_id) {
                return found.clone();
            }
            let next = tokio::time::timeout_at(deadline, self.rx.recv()).await;
            let value = next.unwrap_or_else(|_| panic!("no result for {class_id} within {timeout:?}"));
            self.seen.push(value.expect("result stream open"));
        }
    }
}

pub struct TestApp {
    pub app: App,
    pub addr: Option<SocketAddr>,
    pub http: reqwest::Client,
    running: Option<Running>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr.expect("web is running"))
    }

    pub async fn post_booking(&self, body: &Value) -> reqwest::Response {
        self.http.post(self.url("/api/bookings")).json(body).send().await.expect("request")
    }

    pub async fn post_raw(&self, body: &str) -> reqwest::Response {
        self.http
            .post(self.url("/api/bookings"))
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("request")
    }

    pub async fn booking(&self, class_id: &str) -> Option<Value> {
        let response = self.http.get(self.url(&format!("/api/bookings/{class_id}"))).send().await.expect("request");
        if response.status() == 404 {
            return None;
        }
        Some(response.json().await.expect("JSON"))
    }

    /// Waits until the booking reaches `state` (panics if it settles in another).
    pub async fn wait_for_state(&self, class_id: &str, state: &str) -> Value {
        eventually(&format!("{class_id} to be {state}"), Duration::from_secs(30), || async {
            let booking = self.booking(class_id).await?;
            let now = booking["state"].as_str().unwrap_or_default().to_owned();
            if now != state && (now == "ready" || now == "failed") {
                panic!("{class_id} settled as {now}, not {state}: {booking}");
            }
            (now == state).then_some(booking)
        })
        .await
    }

    /// The sum of the Prometheus samples of `name` whose labels contain `label`.
    pub async fn metric(&self, name: &str, label: &str) -> u64 {
        let text = self.http.get(self.url("/metrics")).send().await.unwrap().text().await.unwrap();
        text.lines()
            .filter(|l| l.starts_with(name) && l.contains(label))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }

    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.expect("the app stops cleanly");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(running) = &self.running {
            running.shutdown.cancel();
        }
    }
}

/// Runs a test body once per stack: `every_stack!(name_of_async_fn, …)`.
macro_rules! every_stack {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn embedded() { super::$name(Stack::Embedded).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn redis() { super::$name(Stack::Redis).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn fleet() { super::$name(Stack::Fleet).await }
        }
    )*};
}
pub(crate) use every_stack;

/// A lesson's bytes: `len` bytes that do not repeat in short cycles.
pub fn lesson_bytes(len: usize) -> Vec<u8> {
    workers::fileserver::pattern(len)
}

/// Receives webhook POSTs (`RESULT_WEBHOOK_URL`) on loopback; answers 503 while `failing`.
pub struct WebhookSink {
    pub url: String,
    received: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
    pub failing: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl WebhookSink {
    pub async fn start() -> Self {
        use std::sync::{Arc, Mutex, atomic::AtomicBool, atomic::Ordering};

        use axum::{Json, Router, extract::State, http::StatusCode, routing::post};
        type Shared = (Arc<Mutex<Vec<Value>>>, Arc<AtomicBool>);
        let received = Arc::new(Mutex::new(Vec::new()));
        let failing = Arc::new(AtomicBool::new(false));
        let router = Router::new()
            .route(
                "/hook",
                post(|State((store, failing)): State<Shared>, Json(body): Json<Value>| async move {
                    if failing.load(Ordering::SeqCst) {
                        return StatusCode::SERVICE_UNAVAILABLE;
                    }
                    store.lock().unwrap().push(body);
                    StatusCode::OK
                }),
            )
            .with_state((received.clone(), failing.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { url, received, failing }
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Value> {
        self.received.lock().unwrap().clone()
    }

    /// Waits for a POST whose `field` is `value`.
    pub async fn one_with(&self, field: &str, value: &str) -> Value {
        eventually(&format!("a webhook POST with {field}={value}"), Duration::from_secs(30), || async {
            self.received.lock().unwrap().iter().find(|r| r[field] == value).cloned()
        })
        .await
    }

    pub async fn result_of(&self, class_id: &str) -> Value {
        eventually(&format!("a webhook result for {class_id}"), Duration::from_secs(30), || async {
            self.received.lock().unwrap().iter().find(|r| r["class_id"] == class_id).cloned()
        })
        .await
    }
}

/// A `vteacher` process of this test's, its output kept in the test's directory.
pub struct Process {
    pub child: tokio::process::Child,
    pub log: PathBuf,
}

impl TestEnv {
    /// Starts `vteacher <args…>` as a child process.
    pub fn start(&self, name: &str, args: &[&str]) -> Process {
        let log = self.dir.path().join(format!("{name}.log"));
        let file = std::fs::OpenOptions::new().create(true).append(true).open(&log).expect("log file");
        let mut command = self.command(args);
        command.stdout(file.try_clone().expect("log file")).stderr(file);
        Process { child: command.spawn().expect("vteacher starts"), log }
    }
}

impl Process {
    pub fn pid(&self) -> nix::unistd::Pid {
        nix::unistd::Pid::from_raw(self.child.id().expect("running") as i32)
    }

    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        nix::sys::signal::kill(self.pid(), signal).expect("signal delivered");
    }

    /// Waits for the process to end; panics with its log if it takes longer than `timeout`.
    pub async fn exit_status(&mut self, timeout: Duration) -> std::process::ExitStatus {
        match tokio::time::timeout(timeout, self.child.wait()).await {
            Ok(status) => status.expect("wait"),
            Err(_) => panic!("process still running after {timeout:?}; log:\n{}", self.output()),
        }
    }

    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// A Redis server of this test's own, on a port of its own, so it can be killed.
pub async fn own_redis() -> (tokio::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = tokio::process::Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("redis-server is installed");
    let url = format!("redis://127.0.0.1:{port}");
    let probe = url.clone();
    eventually("our redis-server to answer", Duration::from_secs(10), || {
        let url = probe.clone();
        async move {
            let client = redis::Client::open(url).ok()?;
            let mut conn = client.get_multiplexed_async_connection().await.ok()?;
            redis::cmd("PING").query_async::<String>(&mut conn).await.ok()
        }
    })
    .await;
    (child, url)
}
