//! Spawns the real app on a random port against real services, each test in its own SQLite
//! file, PostgreSQL database, Redis key prefix and pub/sub channels.

mod app;
pub(crate) mod browser;
mod env;
mod fleet;
mod lessons;
mod process;
mod proxy;
pub(crate) mod screenshot;
mod small_disk;
mod tls_origin;
mod webhook;

pub(crate) use app::{Results, TestApp};
pub(crate) use env::{Stack, TestEnv};
pub(crate) use fleet::{Node, central, live_nodes};
pub(crate) use lessons::{lesson_video, slow_counting_ffmpeg, small_lesson_video};
pub(crate) use process::Process;
pub(crate) use proxy::TcpProxy;
pub(crate) use small_disk::SmallDisk;
pub(crate) use testkit::{
    eventually,
    ports::refusing_port,
    redis::{own_redis, redis_url},
};
pub(crate) use tls_origin::TlsOrigin;
pub(crate) use webhook::WebhookSink;
pub(crate) use workers::fileserver::{FileServer, Knobs};

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

/// Every file below `dir`, its subfolders included.
pub(crate) fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

/// A lesson's bytes: `len` bytes that do not repeat in short cycles.
pub(crate) fn lesson_bytes(len: usize) -> Vec<u8> {
    workers::fileserver::pattern(len)
}
