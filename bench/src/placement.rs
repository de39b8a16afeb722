//! `vteacher-bench placement`: what placing a booking costs as the fleet grows. On a
//! redis-server of its own, for each fleet size N: N push hosts' statuses, written as their
//! heartbeats write them (live, empty, equal), then the product's `Directory::place` (one
//! script call) for `VIDEOS_PER_HOST` × N new videos and as many repeated bookings of them. It
//! reports each call's latency as the caller sees it (p50, p99), the Redis commands and CPU
//! per placement, the spread (busiest host ÷ mean) and videos sent to two hosts; every size
//! against the smallest, measured in the same run. The hosts are statuses, not processes:
//! `vteacher-bench fleet` runs real ones.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use shared::{
    db::now_ms,
    directory::Directory,
    domain::{NodeId, NodeStatus},
};

use crate::own_redis::{OwnRedis, Usage, Window};

const VIDEOS_PER_HOST: usize = 5;
/// Long enough that no status goes stale during a run (the statuses are written once).
const LIVE_FOR: Duration = Duration::from_secs(3600);
const PREFIX: &str = "vteacher-bench";

struct Measured {
    hosts: usize,
    first: Vec<Duration>,
    repeat: Vec<Duration>,
    first_usage: Usage,
    repeat_usage: Usage,
    spread: f64,
    on_two: usize,
}

pub(crate) async fn run(sizes: &[usize]) -> anyhow::Result<()> {
    let mut redis = OwnRedis::start().await?;
    let conn = redis.manager().await?;
    println!("vteacher-bench placement: redis-server {}, {VIDEOS_PER_HOST} videos per host", redis.version().await?);
    let mut rows = Vec::new();
    for &hosts in sizes {
        redis.flush().await?;
        let directory = Directory::redis(conn.clone(), PREFIX);
        for i in 0..hosts {
            directory.beat(&status(i), LIVE_FOR).await?;
        }
        let videos: Vec<String> = (0..hosts * VIDEOS_PER_HOST).map(|v| format!("{v}/{v}_480P.mp4")).collect();
        let window = Window::start(&mut redis, None).await?;
        let (first, placed) = place_all(&directory, &videos).await?;
        let first_usage = window.finish(&mut redis).await?;
        let window = Window::start(&mut redis, None).await?;
        let (repeat, again) = place_all(&directory, &videos).await?;
        let repeat_usage = window.finish(&mut redis).await?;
        let on_two = placed.iter().zip(&again).filter(|(a, b)| a != b).count();
        rows.push(Measured { hosts, first, repeat, first_usage, repeat_usage, spread: spread(&placed, hosts), on_two });
        println!("  {hosts} hosts: done");
    }
    redis.stop().await;
    print(&mut rows);
    Ok(())
}

async fn place_all(directory: &Directory, videos: &[String]) -> anyhow::Result<(Vec<Duration>, Vec<NodeId>)> {
    let (mut took, mut placed) = (Vec::with_capacity(videos.len()), Vec::with_capacity(videos.len()));
    for video in videos {
        let started = Instant::now();
        let node =
            directory.place(video, &[], LIVE_FOR).await?.ok_or_else(|| anyhow::anyhow!("no host for {video}"))?;
        took.push(started.elapsed());
        placed.push(node);
    }
    Ok((took, placed))
}

/// The busiest host's videos over the mean.
fn spread(placed: &[NodeId], hosts: usize) -> f64 {
    let mut per_host: HashMap<&NodeId, usize> = HashMap::new();
    for node in placed {
        *per_host.entry(node).or_default() += 1;
    }
    let busiest = per_host.values().copied().max().unwrap_or(0) as f64;
    busiest / (placed.len() as f64 / hosts as f64)
}

fn quantile(took: &mut [Duration], q: f64) -> Duration {
    took.sort();
    took.get(((took.len().saturating_sub(1)) as f64 * q).round() as usize).copied().unwrap_or_default()
}

fn print(rows: &mut [Measured]) {
    println!(
        "\n| hosts | new video: p50 / p99 | repeat: p50 / p99 | commands per placement (new / repeat) | Redis CPU per placement (new / repeat) | busiest ÷ mean | videos on two hosts | p99 ÷ smallest fleet's (new / repeat) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mut base = None;
    for r in rows.iter_mut() {
        let (n, m) = (r.first.len() as f64, r.repeat.len() as f64);
        let (p50, p99) = (quantile(&mut r.first, 0.5), quantile(&mut r.first, 0.99));
        let (r50, r99) = (quantile(&mut r.repeat, 0.5), quantile(&mut r.repeat, 0.99));
        let (b_new, b_rep) = *base.get_or_insert((p99, r99));
        println!(
            "| {} | {:.3} / {:.3} ms | {:.3} / {:.3} ms | {:.1} / {:.1} | {:.1} / {:.1} µs | {:.2} | {} | {:.2} / {:.2} |",
            r.hosts,
            ms(p50),
            ms(p99),
            ms(r50),
            ms(r99),
            r.first_usage.total_calls() as f64 / n,
            r.repeat_usage.total_calls() as f64 / m,
            r.first_usage.redis_cpu * 1e6 / n,
            r.repeat_usage.redis_cpu * 1e6 / m,
            r.spread,
            r.on_two,
            p99.as_secs_f64() / b_new.as_secs_f64().max(1e-9),
            r99.as_secs_f64() / b_rep.as_secs_f64().max(1e-9),
        );
    }
}

fn status(i: usize) -> NodeStatus {
    let node = format!("bench-host-{i:05}").parse().expect("a node id");
    NodeStatus { min_free_disk_bytes: 1 << 30, ..NodeStatus::empty(node, now_ms(), 500 << 30, 900 << 30) }
}
