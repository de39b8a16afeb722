//! The shared Redis the tests use (each under a prefix of its own), and a redis-server of a
//! test's own for a test that must stop, flush or count it.

use std::time::Duration;

use crate::ports::start_on_free_port;

/// The shared Redis: `TEST_REDIS_URL`, else the local one on 6379.
pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A Redis server of this test's own, on a port of its own, so it can be killed; it keeps
/// nothing on disk. The child is killed when dropped.
pub async fn own_redis() -> (tokio::process::Child, String) {
    own_redis_with(&[]).await
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
