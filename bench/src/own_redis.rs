//! A redis-server of the benchmark's own (never the shared one), and what it and a worker
//! process spend over a measured window: CPU from `INFO cpu` and /proc, commands from
//! `INFO commandstats`.

use std::{
    collections::BTreeMap,
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::bail;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use testkit::ports::start_on_free_port;
use tokio::process::{Child, Command};

/// Commands the benchmark itself sends, left out of the counts.
const OURS: [&str; 5] = ["info", "flushall", "ping", "config", "client"];

pub(super) struct OwnRedis {
    child: Child,
    pub port: u16,
    pub client: redis::Client,
    conn: MultiplexedConnection,
}

impl OwnRedis {
    pub(crate) async fn start() -> anyhow::Result<Self> {
        anyhow::ensure!(
            std::process::Command::new("redis-server").arg("--version").output().is_ok(),
            "redis-server is not installed (apt-get install redis-server)"
        );
        let (child, port) = start_on_free_port("the bench's redis-server", Duration::from_secs(10), |port| {
            Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                // Room for a fleet of 10,000 push hosts (one connection each) and its central side,
                // under this machine's open-file limit of 20,000 (Redis needs 32 more).
                .args(["--maxclients", "19000"])
                .stdout(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect("redis-server starts")
        })
        .await;
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}/"))?;
        let started = Instant::now();
        let conn = loop {
            match client.get_multiplexed_async_connection().await {
                Ok(conn) => break conn,
                Err(_) if started.elapsed() < Duration::from_secs(10) => {
                    tokio::time::sleep(Duration::from_millis(50)).await
                }
                Err(e) => bail!("our redis-server on port {port} does not answer: {e}"),
            }
        };
        Ok(Self { child, port, client, conn })
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// A connection as the product makes one (10 s response timeout).
    pub(crate) async fn manager(&self) -> anyhow::Result<ConnectionManager> {
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(Some(Duration::from_secs(10)))
            .set_connection_timeout(Some(Duration::from_secs(5)))
            .set_number_of_retries(2);
        Ok(self.client.get_connection_manager_with_config(config).await?)
    }

    /// Empties this benchmark's own server between runs.
    pub(crate) async fn flush(&mut self) -> anyhow::Result<()> {
        redis::cmd("FLUSHALL").query_async::<()>(&mut self.conn).await?;
        Ok(())
    }

    pub(crate) async fn info(&mut self, section: &str) -> anyhow::Result<String> {
        Ok(redis::cmd("INFO").arg(section).query_async(&mut self.conn).await?)
    }

    pub(crate) async fn version(&mut self) -> anyhow::Result<String> {
        let server = self.info("server").await?;
        Ok(server.lines().find_map(|l| l.strip_prefix("redis_version:")).unwrap_or("?").trim().to_owned())
    }

    async fn snapshot(&mut self) -> anyhow::Result<(f64, BTreeMap<String, u64>)> {
        let cpu = self.info("cpu").await?;
        let field = |name: &str| {
            cpu.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(':')?.trim().parse::<f64>().ok()).unwrap_or(0.0)
        };
        let used = field("used_cpu_sys") + field("used_cpu_user");
        let stats = self.info("commandstats").await?;
        let calls = stats
            .lines()
            .filter_map(|l| {
                let (name, rest) = l.strip_prefix("cmdstat_")?.split_once(':')?;
                let calls = rest.split(',').find_map(|kv| kv.strip_prefix("calls="))?.parse().ok()?;
                (!OURS.contains(&name)).then(|| (name.to_owned(), calls))
            })
            .collect();
        Ok((used, calls))
    }

    pub(crate) async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// CPU seconds a process has used (user + system), from /proc.
pub(super) fn process_cpu(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on every Linux architecture vteacher runs on.
    Some(ticks / 100.0)
}

/// A measured window: Redis's CPU and commands, and one worker process's CPU.
pub(super) struct Window {
    started: Instant,
    redis_cpu: f64,
    calls: BTreeMap<String, u64>,
    worker: Option<u32>,
    worker_cpu: f64,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Usage {
    pub wall: f64,
    pub redis_cpu: f64,
    pub worker_cpu: f64,
    /// Commands Redis ran, those run inside scripts included, by name.
    pub calls: BTreeMap<String, u64>,
}

impl Usage {
    pub(crate) fn total_calls(&self) -> u64 {
        self.calls.values().sum()
    }

    /// Script invocations (each also counted with the commands it ran).
    pub(crate) fn script_calls(&self) -> u64 {
        self.calls.iter().filter(|(name, _)| name.starts_with("eval")).map(|(_, n)| n).sum()
    }

    /// The busiest commands, "name n" each.
    pub(crate) fn top(&self, n: usize) -> String {
        let mut calls: Vec<_> = self.calls.iter().collect();
        calls.sort_by(|a, b| b.1.cmp(a.1));
        calls.iter().take(n).map(|(name, n)| format!("{name} {n}")).collect::<Vec<_>>().join(", ")
    }
}

impl Window {
    pub(crate) async fn start(redis: &mut OwnRedis, worker: Option<u32>) -> anyhow::Result<Self> {
        let (redis_cpu, calls) = redis.snapshot().await?;
        let worker_cpu = worker.and_then(process_cpu).unwrap_or(0.0);
        Ok(Self { started: Instant::now(), redis_cpu, calls, worker, worker_cpu })
    }

    pub(crate) async fn finish(self, redis: &mut OwnRedis) -> anyhow::Result<Usage> {
        let wall = self.started.elapsed().as_secs_f64();
        let worker_cpu = self.worker.and_then(process_cpu).map_or(0.0, |cpu| cpu - self.worker_cpu);
        let (redis_cpu, mut calls) = redis.snapshot().await?;
        for (name, before) in &self.calls {
            if let Some(after) = calls.get_mut(name) {
                *after -= before;
            }
        }
        calls.retain(|_, n| *n > 0);
        Ok(Usage { wall, redis_cpu: redis_cpu - self.redis_cpu, worker_cpu, calls })
    }
}
