//! What one request to `web` costs Redis in the running fleet (its `/metrics` scrape, the
//! dashboard's overview): the commands web sent (MONITOR, only web's own connections: the
//! push hosts keep working meanwhile), and Redis's CPU over the request less the fleet's idle
//! rate (so an estimate of the request's share), and its latency.

use std::time::{Duration, Instant};

use testkit::{redis_monitor::Monitor, sockets::tcp_connections};

use crate::own_redis::{OwnRedis, Window};

#[derive(Debug, Clone, Copy, Default)]
pub struct RequestCost {
    /// Commands web sent Redis (a script call is one).
    pub sent: usize,
    /// Redis CPU seconds over the request, less the idle fleet's rate over as long.
    pub redis_cpu: f64,
    pub latency: Duration,
}

pub(super) async fn measure(
    redis: &mut OwnRedis,
    monitor: &mut Monitor,
    url: &str,
    web_pid: u32,
    idle_cpu_per_second: f64,
) -> anyhow::Result<RequestCost> {
    let http = shared::tools::http::bare();
    let web_clients: Vec<String> = tcp_connections(web_pid)
        .into_iter()
        .filter(|(_, remote)| *remote == redis.port)
        .map(|(local, _)| format!(" 127.0.0.1:{local}]"))
        .collect();
    let window = Window::start(redis, None).await?;
    let started = Instant::now();
    let (answer, sent) = monitor.count(async { http.get(url).send().await?.error_for_status()?.text().await }).await;
    let latency = started.elapsed();
    answer?;
    let usage = window.finish(redis).await?;
    let by_web = sent.commands.iter().filter(|line| web_clients.iter().any(|client| line.contains(client))).count();
    let background = idle_cpu_per_second * usage.wall;
    Ok(RequestCost { sent: by_web, redis_cpu: (usage.redis_cpu - background).max(0.0), latency })
}
