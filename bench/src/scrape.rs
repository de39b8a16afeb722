//! `vteacher-bench scrape`: what an operator's `/metrics` scrape and the dashboard's overview
//! cost as the fleet grows. On a redis-server of its own, for each fleet size N: N push hosts'
//! statuses (as their heartbeats write them) and a job on each of their three queues (as a
//! storm leaves them), then a `web` of the product (in this process, SQLite state) scraped and
//! its board's overview read `ROUNDS` times. It reports, per request, the commands clients sent
//! Redis (MONITOR: a script is one), the commands Redis ran (those inside scripts included),
//! Redis's CPU and the answer's latency; every size against the smallest, in the same run. The
//! hosts are statuses and queues, not processes: `vteacher-bench fleet` runs real ones.

use std::time::Instant;

use futures::{StreamExt, stream};
use shared::{
    config::Settings,
    db::now_ms,
    domain::{DownloadOrder, NodeId, NodeStatus, VideoKey},
    jobs::{ClassEndJob, DownloadJob, ReferencesJob},
};
use testkit::redis_monitor::Monitor;
use tokio_util::sync::CancellationToken;
use workers::roles::{Launch, Running, launch};

use crate::own_redis::{OwnRedis, Window};

const ROUNDS: usize = 5;
const PREFIX: &str = "vteacher-bench";

/// One request's cost, the mean of `ROUNDS`.
#[derive(Debug, Default, Clone, Copy)]
struct Cost {
    sent: f64,
    ran: f64,
    redis_ms: f64,
    latency_ms: f64,
}

struct Measured {
    hosts: usize,
    scrape: Cost,
    overview: Cost,
}

pub(crate) async fn run(sizes: &[usize]) -> anyhow::Result<()> {
    let mut redis = OwnRedis::start().await?;
    let dir = tempfile::tempdir()?;
    let web = start_web(&redis.url(), dir.path()).await?;
    let app = web.app.clone().ok_or_else(|| anyhow::anyhow!("web runs the central side"))?;
    let base = format!("http://{}", web.web_addr.ok_or_else(|| anyhow::anyhow!("web listens"))?);
    let http = reqwest::Client::new();
    let mut monitor = Monitor::start(&redis.url()).await;
    println!("vteacher-bench scrape: redis-server {}, {ROUNDS} rounds per size", redis.version().await?);
    let mut rows = Vec::new();
    for &hosts in sizes {
        redis.flush().await?;
        a_fleet_reported(&app, hosts).await?;
        let scrape = measure(&mut redis, &mut monitor, &http, &format!("{base}/metrics")).await?;
        let overview = measure(&mut redis, &mut monitor, &http, &format!("{base}/api/v1/overview")).await?;
        rows.push(Measured { hosts, scrape, overview });
        println!("  {hosts} hosts: done");
    }
    web.stop().await?;
    redis.stop().await;
    print(&rows);
    Ok(())
}

async fn start_web(redis_url: &str, dir: &std::path::Path) -> anyhow::Result<Running> {
    let database = format!("sqlite://{}?mode=rwc", dir.join("vteacher.db").display());
    let settings = Settings::from_pairs([
        ("REDIS_URL", redis_url.to_owned()),
        ("DATABASE_URL", database),
        ("QUEUE_PREFIX", PREFIX.to_owned()),
        ("PORT", "0".to_owned()),
        ("BIND", "127.0.0.1".to_owned()),
        ("METRICS_PUBLIC", "true".to_owned()),
    ])?;
    launch(settings, Launch { web: true, migrate: true, ..Launch::default() }, CancellationToken::new()).await
}

/// N push hosts as the central side sees them: a heartbeat each, a job on each of its queues.
async fn a_fleet_reported(app: &shared::App, hosts: usize) -> anyhow::Result<()> {
    let live_for = app.settings.node_live_for();
    let results: Vec<anyhow::Result<()>> = stream::iter(0..hosts)
        .map(|i| async move {
            let node: NodeId = format!("bench-host-{i:05}").parse()?;
            let status = NodeStatus::empty(node.clone(), now_ms(), 500 << 30, 900 << 30);
            app.directory.beat(&status, live_for).await?;
            let class_id: shared::domain::ClassId = format!("c-{i}").parse()?;
            let key = VideoKey::from_relative_path(&format!("{}/{}.flv", i + 1, i + 1)).expect("a layout path");
            let order = DownloadOrder {
                class_id: class_id.clone(),
                url: "http://127.0.0.1:9/v.flv".parse()?,
                key,
                class_start_at: None,
            };
            let on = Some(node.as_str());
            app.queues.enqueue(DownloadJob(order), on).await?;
            app.queues.enqueue(ClassEndJob { class_id }, on).await?;
            app.queues.enqueue(ReferencesJob { orders: Vec::new() }, on).await?;
            Ok(())
        })
        .buffer_unordered(64)
        .collect()
        .await;
    results.into_iter().collect()
}

async fn measure(
    redis: &mut OwnRedis,
    monitor: &mut Monitor,
    http: &reqwest::Client,
    url: &str,
) -> anyhow::Result<Cost> {
    let mut total = Cost::default();
    for _ in 0..ROUNDS {
        let window = Window::start(redis, None).await?;
        let started = Instant::now();
        let (answer, sent) =
            monitor.count(async { http.get(url).send().await?.error_for_status()?.text().await }).await;
        let latency = started.elapsed();
        answer?;
        let usage = window.finish(redis).await?;
        total.sent += sent.count() as f64;
        // The window's own INFO is one command Redis ran.
        total.ran += usage.total_calls().saturating_sub(1) as f64;
        total.redis_ms += usage.redis_cpu * 1e3;
        total.latency_ms += latency.as_secs_f64() * 1e3;
    }
    let n = ROUNDS as f64;
    Ok(Cost {
        sent: total.sent / n,
        ran: total.ran / n,
        redis_ms: total.redis_ms / n,
        latency_ms: total.latency_ms / n,
    })
}

fn print(rows: &[Measured]) {
    println!(
        "\n| hosts | per-node queues | scrape: commands sent / run in Redis | scrape: Redis CPU / latency | overview: commands sent / run | overview: Redis CPU / latency | scrape ÷ smallest fleet's (commands sent / Redis CPU) |"
    );
    println!("|---|---|---|---|---|---|---|");
    let Some(first) = rows.first() else { return };
    let ratio = |a: f64, b: f64| a / b.max(1e-9);
    for r in rows {
        let (s, o) = (r.scrape, r.overview);
        println!(
            "| {} | {} | {:.0} / {:.0} | {:.1} ms / {:.1} ms | {:.0} / {:.0} | {:.1} ms / {:.1} ms | {:.2} / {:.2} |",
            r.hosts,
            r.hosts * 3,
            s.sent,
            s.ran,
            s.redis_ms,
            s.latency_ms,
            o.sent,
            o.ran,
            o.redis_ms,
            o.latency_ms,
            ratio(s.sent, first.scrape.sent),
            ratio(s.redis_ms, first.scrape.redis_ms),
        );
    }
}
