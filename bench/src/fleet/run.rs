//! The fleet's run: start it, measure it idle, storm it, stop it.

use std::{
    path::Path,
    sync::{Arc, Mutex},
    time::Duration,
};
use testkit::sockets::tcp_remote_ports;

use anyhow::{Context, bail};
use indicatif::ProgressBar;

use super::{
    FleetOptions, FleetReport, Measured, StormReport,
    db::{self, BenchDb},
    nodes,
    pgbouncer::{self, PgBouncer, Upstream},
    procs::{Procs, rss_kib},
    scrape, storm,
};
use workers::{fileserver::FileServer, progress::Bars};

use crate::own_redis::{OwnRedis, Usage, Window};

/// Nodes just started scan their disk, report their holdings and settle; the idle window
/// starts after this.
const WARM_UP: Duration = Duration::from_secs(10);
const CENTRAL: [(&str, &[&str]); 4] = [
    ("web", &["web"]),
    ("booking-1", &["work", "--queues", "booking,transcode-result,notify,node-report"]),
    ("booking-2", &["work", "--queues", "booking,transcode-result,notify,node-report"]),
    ("sweeper", &["sweeper"]),
];

pub async fn run(options: &FleetOptions) -> anyhow::Result<FleetReport> {
    let upstream = Upstream::parse(&options.postgres)?;
    // Declared first, dropped last: the database outlives every process that uses it.
    let db = BenchDb::create(&options.postgres).await?;
    let dir = tempfile::Builder::new().prefix("vt-fleet-").tempdir()?;
    let mut redis = OwnRedis::start().await?;
    let bouncer = PgBouncer::start(dir.path(), &upstream, &db.name, &options.pgbouncer_user).await?;
    let mut procs = Procs::new(options.binary.clone());
    let outcome = fleet(options, &db, &bouncer, &mut redis, &mut procs, dir.path()).await;
    procs.stop(Duration::from_secs(20)).await;
    bouncer.stop().await;
    redis.stop().await;
    outcome
}

fn env(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
}

async fn fleet(
    options: &FleetOptions,
    db: &BenchDb,
    bouncer: &PgBouncer,
    redis: &mut OwnRedis,
    procs: &mut Procs,
    dir: &Path,
) -> anyhow::Result<FleetReport> {
    let mut report = FleetReport {
        nodes: options.nodes,
        agents_per_process: options.agents_per_process.max(1),
        redis_version: redis.version().await?,
        ..Default::default()
    };
    // The lessons are on the bench's own server, on loopback, which sources may not reach by
    // default.
    let common = [
        ("REDIS_URL", redis.url()),
        ("QUEUE_PREFIX", "fleet".to_owned()),
        ("SOURCE_ALLOW_NETS", "127.0.0.1/32".to_owned()),
    ];
    let migrate = tokio::process::Command::new(&options.binary)
        .arg("migrate")
        .env_clear()
        .env("DATABASE_URL", bouncer.url(&db.name))
        .env("REDIS_URL", redis.url())
        .current_dir(dir)
        .kill_on_drop(true)
        .output()
        .await?;
    if !migrate.status.success() {
        bail!("vteacher migrate through PgBouncer: {}", String::from_utf8_lossy(&migrate.stderr));
    }
    report.redis_memory.0 = info_field(redis, "memory", "used_memory").await?;
    report.redis_keys.0 = dbsize(redis).await?;

    let mut central_pids = Vec::new();
    let mut web = String::new();
    for (name, args) in CENTRAL {
        let mut pairs = env(&common);
        pairs.extend(env(&[
            ("DATABASE_URL", bouncer.url(&db.name)),
            ("BIND", "127.0.0.1".into()),
            ("STORAGE_URL", format!("fs://{}", dir.join("storage").display())),
        ]));
        let pid = if name == "web" {
            let (pid, port) = procs.spawn_listening(name, &dir.join(name), args, &pairs, "PORT").await?;
            web = format!("http://127.0.0.1:{port}");
            pid
        } else {
            // The others serve nothing; their PORT is never bound.
            procs.spawn(name, &dir.join(name), args, &pairs)?
        };
        central_pids.push((name, pid));
    }
    let node_procs = nodes::start(options, procs, dir, &env(&common))?;
    let node_pids: Vec<u32> = node_procs.iter().map(|p| p.pid).collect();
    wait_for_fleet(&web, options.nodes, procs).await?;
    println!("  {} nodes live; warming up {WARM_UP:?}, then idle for {:?}", options.nodes, options.idle);
    tokio::time::sleep(WARM_UP).await;

    let window = Window::start(redis, None).await?;
    let bar = Bars::new().timed(options.idle, "fleet idle");
    tokio::time::sleep(options.idle).await;
    bar.finish_and_clear();
    report.idle = measured(window.finish(redis).await?);
    if let Some(died) = procs.exited() {
        bail!("a process stopped while idle: {died}");
    }
    let mut rss: Vec<u64> = node_procs.iter().filter_map(|p| Some(p.per_host(rss_kib(p.pid)?))).collect();
    rss.sort();
    report.node_rss_kib = rss;
    report.central_rss_kib =
        central_pids.iter().filter_map(|(n, pid)| Some(((*n).to_owned(), rss_kib(*pid)?))).collect();
    let to_redis = |pid: u32| tcp_remote_ports(pid).iter().filter(|p| **p == redis.port).count() as u64;
    let per_node: Vec<usize> = node_procs.iter().map(|p| p.per_host(to_redis(p.pid)) as usize).collect();
    report.node_redis_connections =
        (per_node.iter().copied().min().unwrap_or(0), per_node.iter().copied().max().unwrap_or(0));
    report.redis_clients = info_field(redis, "clients", "connected_clients").await?;
    report.redis_memory.1 = info_field(redis, "memory", "used_memory").await?;
    report.redis_keys.1 = dbsize(redis).await?;
    let pg_ports = [upstream_port(&options.postgres), bouncer.port];
    let on_postgres =
        |pids: &[u32]| pids.iter().filter(|pid| tcp_remote_ports(**pid).iter().any(|p| pg_ports.contains(p))).count();
    report.nodes_on_postgres = on_postgres(&node_pids);
    report.server_connections_idle = db.server_connections().await?;
    report.bouncer_clients_idle = bouncer.pools(&db.name).await?.0;
    let web_pid = central_pids.iter().find(|(name, _)| *name == "web").map(|(_, pid)| *pid).context("web runs")?;
    let idle_rate = report.idle.redis_cpu / report.idle.wall.max(1e-9);
    let mut monitor = testkit::redis_monitor::Monitor::start(&redis.url()).await;
    report.scrape = scrape::measure(redis, &mut monitor, &format!("{web}/metrics"), web_pid, idle_rate).await?;
    report.overview =
        scrape::measure(redis, &mut monitor, &format!("{web}/api/v1/overview"), web_pid, idle_rate).await?;
    drop(monitor);

    if options.bookings > 0 {
        report.storm = Some(storm_phase(options, db, bouncer, redis, &web, &mut report).await?);
        report.nodes_on_postgres = report.nodes_on_postgres.max(on_postgres(&node_pids));
    }
    report.server_connections_max = report.server_connections_max.max(report.server_connections_idle);
    report.bouncer_clients_max = report.bouncer_clients_max.max(report.bouncer_clients_idle);
    Ok(report)
}

async fn storm_phase(
    options: &FleetOptions,
    db: &BenchDb,
    bouncer: &PgBouncer,
    redis: &mut OwnRedis,
    web: &str,
    report: &mut FleetReport,
) -> anyhow::Result<StormReport> {
    let server = FileServer::start().await?;
    storm::serve_videos(&server, options.videos);
    let spec = storm::Storm { bookings: options.bookings, videos: options.videos, deadline: Duration::from_secs(900) };
    // Connections sampled every second while the storm runs.
    let peaks = Arc::new(Mutex::new((0i64, 0u64)));
    let sampler = {
        let (peaks, name, server) = (peaks.clone(), db.name.clone(), db.server().to_owned());
        let (port, user) = (bouncer.port, bouncer.user().to_owned());
        tokio::spawn(async move { sample(peaks, name, server, port, user).await })
    };
    let writes = db.writes().await?;
    let window = Window::start(redis, None).await?;
    let outcome = storm::run(&spec, web, &redis.url(), "vteacher:result", &server).await;
    let usage = window.finish(redis).await?;
    let after = db.writes().await?;
    sampler.abort();
    let outcome = outcome?;
    let (servers, clients) = *peaks.lock().expect("lock");
    report.server_connections_max = servers;
    report.bouncer_clients_max = clients;
    let (states, by_node) = db.bookings().await?;
    Ok(StormReport {
        bookings: options.bookings,
        videos: options.videos,
        results: outcome.results.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        p50: outcome.quantile(0.5),
        p99: outcome.quantile(0.99),
        wall: outcome.wall,
        states,
        by_node,
        fetches: outcome.fetches.values().sum(),
        fetch_pairs: outcome.fetches.len(),
        most_fetches: outcome.most_fetches_by_a_node(),
        fetched_twice: outcome.fetched_twice(),
        videos_by_node: outcome.videos_by_node(),
        videos_on_two_nodes: outcome.videos_on_two_nodes(),
        redis: measured(usage),
        commits: after.commits - writes.commits,
        rows_written: after.rows - writes.rows,
    })
}

/// Keeps the most server connections (pg_stat_activity) and PgBouncer clients seen.
async fn sample(peaks: Arc<Mutex<(i64, u64)>>, name: String, server: String, port: u16, user: String) {
    loop {
        let servers = db::server_connections(&server, &name).await.unwrap_or(0);
        let clients = pgbouncer::pools(port, &user, &name).await.map(|p| p.0).unwrap_or(0);
        {
            let mut peaks = peaks.lock().expect("lock");
            peaks.0 = peaks.0.max(servers);
            peaks.1 = peaks.1.max(clients);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Waits for web to answer and every node to be live; fails at once when a process exits.
async fn wait_for_fleet(web: &str, nodes: usize, procs: &mut Procs) -> anyhow::Result<()> {
    let http = shared::tools::http::bare();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60 + nodes as u64 / 2);
    let bar = Bars::new().steps(nodes as u64, "nodes live");
    let up = wait_for_nodes(&http, web, nodes, procs, deadline, &bar).await;
    bar.finish_and_clear();
    up
}

async fn wait_for_nodes(
    http: &reqwest::Client,
    web: &str,
    nodes: usize,
    procs: &mut Procs,
    deadline: tokio::time::Instant,
    bar: &ProgressBar,
) -> anyhow::Result<()> {
    loop {
        if let Some(died) = procs.exited() {
            bail!("a process stopped while the fleet started: {died}");
        }
        let live = async {
            let nodes: serde_json::Value = http.get(format!("{web}/api/nodes")).send().await.ok()?.json().await.ok()?;
            Some(nodes.as_array()?.iter().filter(|n| n["live"] == true).count())
        };
        let live = live.await;
        bar.set_position(live.unwrap_or(0) as u64);
        if live == Some(nodes) {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            bail!("the fleet did not come up: fewer than {nodes} live nodes");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn measured(usage: Usage) -> Measured {
    Measured { wall: usage.wall, redis_cpu: usage.redis_cpu, calls: usage.calls }
}

fn upstream_port(url: &str) -> u16 {
    url::Url::parse(url).ok().and_then(|u| u.port()).unwrap_or(5432)
}

async fn info_field(redis: &mut OwnRedis, section: &str, field: &str) -> anyhow::Result<u64> {
    let info = redis.info(section).await?;
    let value = info.lines().find_map(|l| l.strip_prefix(field)?.strip_prefix(':')).context("INFO field")?;
    Ok(value.trim().parse()?)
}

async fn dbsize(redis: &mut OwnRedis) -> anyhow::Result<u64> {
    let keyspace = redis.info("keyspace").await?;
    Ok(keyspace
        .lines()
        .filter_map(|l| l.split_once(':')?.1.split(',').find_map(|kv| kv.strip_prefix("keys="))?.parse::<u64>().ok())
        .sum())
}
