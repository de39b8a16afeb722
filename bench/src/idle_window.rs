//! Idle workers left alone for a measured window: what Redis spends on them meanwhile.

use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use workers::progress::Bars;

use crate::own_redis::{OwnRedis, Usage, Window};

/// Long enough for every worker to register, look once and settle into its wait.
pub(crate) const WARM_UP: Duration = Duration::from_secs(5);

/// Lets the running workers idle for `seconds` and measures Redis meanwhile, then stops them.
pub(crate) async fn measure<T: 'static>(
    redis: &mut OwnRedis,
    who: &str,
    mut running: JoinSet<T>,
    stop: CancellationToken,
    seconds: u64,
) -> anyhow::Result<Usage> {
    tokio::time::sleep(WARM_UP).await;
    let clients = redis.info("clients").await?;
    let connected = clients.lines().find_map(|l| l.strip_prefix("connected_clients:")).unwrap_or("?").trim().to_owned();
    let window = Window::start(redis, Some(std::process::id())).await?;
    let bar = Bars::new().timed(Duration::from_secs(seconds), format!("idle: {who}"));
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    bar.finish_and_clear();
    let usage = window.finish(redis).await?;
    let died = running.try_join_next().is_some();
    stop.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(15), async { while running.join_next().await.is_some() {} }).await;
    running.abort_all();
    println!(
        "  {who}: {connected} Redis clients while idle{}",
        if died { "; SOME WORKERS STOPPED during the window" } else { "" }
    );
    Ok(usage)
}
