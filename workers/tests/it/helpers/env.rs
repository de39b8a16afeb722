//! One test's world: its services and settings.

use std::{collections::HashMap, path::PathBuf, time::Duration};

use futures::StreamExt;
use serde_json::Value;
use shared::config::Settings;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use workers::roles::{Launch, launch};

use super::{Results, TestApp, eventually, redis_url};

/// Which real services back a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stack {
    /// The embedded default: SQLite state, SQLite queues.
    Embedded,
    /// SQLite state, Redis queues.
    Redis,
    /// A fleet: PostgreSQL state, Redis queues.
    Fleet,
}

impl Stack {
    pub(crate) fn has_redis(self) -> bool {
        self != Stack::Embedded
    }
}

fn postgres_url(db: &str) -> String {
    let base = std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    format!("{base}/{db}")
}

/// One test's world: its services, its settings, and the app when running.
pub(crate) struct TestEnv {
    pub stack: Stack,
    pub dir: tempfile::TempDir,
    pub pairs: HashMap<String, String>,
    pub prefix: String,
    pg_db: Option<String>,
}

impl TestEnv {
    pub(crate) async fn new(stack: Stack) -> Self {
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
        let node_db = match stack {
            Stack::Fleet => format!("sqlite://{}?mode=rwc", dir.path().join("node.db").display()),
            _ => database_url.clone(),
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
            // The push host's own index (on the fleet stack it would default to node.db in the cwd).
            ("NODE_DATABASE_URL", node_db),
            ("STORAGE_URL", format!("fs://{}", dir.path().join("storage").display())),
            ("TRANSCODE_WORK_DIR", dir.path().join("transcode-work").display().to_string()),
            ("BRIDGE_SPOOL_DIR", dir.path().join("bridge-spool").display().to_string()),
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
            ("NODE_HEARTBEAT", "1s".to_owned()),
            // The lesson servers (and the MPS stand-in, moto, nginx) listen on 127.0.0.1, which
            // sources may not reach by default: the tests allow that address alone, so
            // 127.0.0.2 and the rest of loopback stay refused.
            ("SOURCE_ALLOW_NETS", "127.0.0.1/32".to_owned()),
        ] {
            pairs.insert(key.into(), value);
        }
        Self { stack, dir, pairs, prefix, pg_db }
    }

    /// A world at the default settings with every timer divided by `factor` (the defaults'
    /// ratios kept): the fault tests' world. Only what is not a timer of the product stays the
    /// test's own (its ports, folders, key prefix and channels).
    pub(crate) async fn at_default_timers(stack: Stack, factor: u32) -> Self {
        let mut env = Self::new(stack).await;
        for key in ["DOWNLOAD_RATE", "JOB_ATTEMPTS", "JOB_BACKOFF", "QUEUE_LEASE", "SHUTDOWN_TIMEOUT", "NODE_HEARTBEAT"]
        {
            env.pairs.remove(key);
        }
        env.pairs.extend(shared::config::scaled_timers(factor));
        env
    }

    /// The PostgreSQL server (without a database) and the test's database on it (a fleet).
    pub(crate) fn postgres(&self) -> Option<(String, String)> {
        let name = self.pg_db.clone()?;
        Some((postgres_url("").trim_end_matches('/').to_owned(), name))
    }

    pub(crate) fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.pairs.insert(key.into(), value.into());
        self
    }

    pub(crate) fn settings(&self) -> Settings {
        Settings::from_pairs(self.pairs.iter()).expect("test settings are valid")
    }

    pub(crate) fn video_root(&self) -> PathBuf {
        self.dir.path().join("video")
    }

    /// Starts every role in this process (`vteacher all`), web on a random port.
    pub(crate) async fn spawn(&self) -> TestApp {
        self.spawn_with(Launch::all()).await
    }

    pub(crate) async fn spawn_with(&self, what: Launch) -> TestApp {
        let running = launch(self.settings(), what, CancellationToken::new()).await.expect("app starts");
        let addr = running.web_addr;
        let app = running.app.clone().expect("the test app runs the central side");
        let node = running.node.clone();
        TestApp { app, node, addr, http: shared::tools::http::bare(), running: Some(running) }
    }

    /// The `vteacher` binary with this test's settings as its whole environment.
    pub(crate) fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = self.program(env!("CARGO_BIN_EXE_vteacher"), "info");
        command.args(args);
        command
    }

    /// The `vteacher` binary as a person runs it: on a terminal (a pseudo-terminal by
    /// util-linux's `script`), so what it draws for a person is drawn; stdout and stderr both
    /// come out of `script`'s stdout. The arguments must not need quoting but for `'`-free JSON.
    pub(crate) fn on_terminal(&self, args: &[&str]) -> tokio::process::Command {
        let line: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_vteacher"))
            .chain(args.iter().copied())
            .map(|arg| format!("'{arg}'"))
            .collect();
        let mut command = self.program("script", "warn");
        command
            .args(["--quiet", "--return", "--flush", "--command", &line.join(" "), "/dev/null"])
            .env("TERM", "xterm-256color")
            .env("COLUMNS", "120");
        command
    }

    /// `program` with this test's settings as its whole environment (and `PATH`), in its folder.
    fn program(&self, program: &str, log_filter: &str) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(program);
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", log_filter)
            .envs(&self.pairs)
            .current_dir(self.dir.path())
            .kill_on_drop(true);
        command
    }

    /// Collects what is published on this test's result channel.
    pub(crate) async fn results(&self) -> Results {
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
    pub(crate) async fn bridge_subscribed(&self) {
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
    pub(crate) async fn publish_booking(&self, payload: &str) {
        self.publish(&self.pairs["CHANNEL_BOOKING"], payload).await;
    }

    /// Publishes a raw message on `channel`.
    pub(crate) async fn publish(&self, channel: &str, payload: &str) {
        let client = redis::Client::open(redis_url()).expect("redis url");
        let mut conn = client.get_multiplexed_async_connection().await.expect("redis");
        let _: i64 = redis::cmd("PUBLISH").arg(channel).arg(payload).query_async(&mut conn).await.expect("publish");
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        // A failed test keeps its folder (each process's log, the node's index, a Redis of
        // its own): what happened is read there, not guessed.
        if std::thread::panicking() {
            self.dir.disable_cleanup(true);
            eprintln!("test failed: its folder (process logs, indexes) is kept at {}", self.dir.path().display());
        }
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

/// Deletes this test's keys only (never a flush: the Redis is shared): its queues' keys
/// (`{prefix:queue}:…`, hash-tagged) and the rest (`prefix:…`), found with SCAN so the shared
/// server is never blocked.
async fn delete_redis_keys(prefix: &str) {
    let Ok(client) = redis::Client::open(redis_url()) else {
        return;
    };
    let Ok(mut conn) = client.get_multiplexed_async_connection().await else {
        return;
    };
    for pattern in [format!("{{{prefix}:*"), format!("{prefix}:*")] {
        let mut cursor = 0u64;
        loop {
            let Ok((next, keys)): redis::RedisResult<(u64, Vec<String>)> = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut conn)
                .await
            else {
                break;
            };
            if !keys.is_empty() {
                let _: Result<i64, _> = redis::cmd("UNLINK").arg(&keys).query_async(&mut conn).await;
            }
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
    }
}
