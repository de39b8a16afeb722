//! The shared Redis the tests use (each under a prefix of its own), and a redis-server of a
//! test's own for a test that must stop, flush or count it.

use std::time::Duration;

use crate::ports::{start_on_free_port, wait_listening};

/// The shared Redis: `TEST_REDIS_URL`, else the local one on 6379.
pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A Redis server of this test's own, on a port of its own, so it can be killed; it keeps
/// nothing on disk. The child is killed when dropped.
pub async fn own_redis() -> (tokio::process::Child, String) {
    own_redis_with(&[]).await
}

/// A redis-server of a test's own that keeps nothing on disk and can be restarted empty on
/// the same port: a Redis that lost its data (restarted without persistence, or a failover
/// that lost its last writes), as clients see it.
pub struct ForgetfulRedis {
    child: tokio::process::Child,
    port: u16,
}

impl ForgetfulRedis {
    pub async fn start() -> Self {
        let (child, port) = start_on_free_port("our redis-server", Duration::from_secs(10), spawn_empty).await;
        Self { child, port }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// SIGKILLs the server and starts it again, empty, on the same port.
    pub async fn restart_empty(&mut self) {
        self.child.kill().await.expect("redis-server killed");
        self.child = spawn_empty(self.port);
        let listening = wait_listening(&mut self.child, self.port, Duration::from_secs(10)).await;
        assert!(listening.is_ok(), "the restarted redis-server listens on its port again: {listening:?}");
    }
}

fn spawn_empty(port: u16) -> tokio::process::Child {
    tokio::process::Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("redis-server is installed")
}

/// `own_redis` with more of redis-server's options (`["--maxmemory-policy", "allkeys-lru"]`).
pub async fn own_redis_with(options: &[&str]) -> (tokio::process::Child, String) {
    let (child, port) = start_on_free_port("our redis-server", Duration::from_secs(10), |port| {
        tokio::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(options)
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server is installed")
    })
    .await;
    (child, format!("redis://127.0.0.1:{port}"))
}
