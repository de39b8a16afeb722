//! Spawns the real app on a random port against real services, each test in its own SQLite
//! file, PostgreSQL database, Redis key prefix and pub/sub channels.

mod app;
pub mod browser;
mod env;
mod process;
mod proxy;
pub mod screenshot;
mod tls_origin;
mod webhook;

use std::{future::Future, time::Duration};

pub use app::{Results, TestApp};
pub use env::{Stack, TestEnv, redis_url};
pub use process::{Process, own_redis};
pub use proxy::TcpProxy;
pub use testkit::ports::refusing_port;
pub use tls_origin::TlsOrigin;
pub use webhook::WebhookSink;
pub use workers::fileserver::{FileServer, Knobs};

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

/// Runs a test body on the stacks named, as the tests `module::stack`:
/// `on_stacks!(killed = body_fn; embedded => Embedded, redis => Redis)`.
macro_rules! on_stacks {
    ($module:ident = $body:ident; $($test:ident => $stack:ident),+ $(,)?) => {
        mod $module {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() { super::$body(Stack::$stack).await }
            )+
        }
    };
}
pub(crate) use on_stacks;

/// Runs a test body once per stack: `every_stack!(name_of_async_fn, …)`.
macro_rules! every_stack {
    ($($name:ident),* $(,)?) => {$(
        on_stacks!($name = $name; embedded => Embedded, redis => Redis, fleet => Fleet);
    )*};
}
pub(crate) use every_stack;

/// A lesson's bytes: `len` bytes that do not repeat in short cycles.
pub fn lesson_bytes(len: usize) -> Vec<u8> {
    workers::fileserver::pattern(len)
}
