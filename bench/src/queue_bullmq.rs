//! The BullMQ contender of `vteacher-bench queue`: BullMQ 5 installed from npm into a cache
//! directory outside the repository, driven by a small script written there at run time. The
//! script pushes the backlog (`Queue.addBulk`, 1000 a call), makes a `Worker` with
//! `autorun: false`, says "pushed", waits for "go" on stdin (the benchmark starts its Redis
//! measurement then), calls `worker.run()` and times until `completed` has fired for every job
//! (BullMQ emits it once the job is moved to completed in Redis).

use std::{
    path::PathBuf,
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    process::Command,
};

use crate::{
    own_redis::{OwnRedis, Window},
    queue_drain::{Outcome, Run},
};

/// How finished jobs are kept: BullMQ's fastest documented setting, and one that keeps them
/// for a day as vteacher's QUEUE_RETENTION does.
const KEEP: [(&str, &str); 2] = [
    ("removeOn*: true", r#"{"removeOnComplete":true,"removeOnFail":true}"#),
    ("removeOn*: {age: 24 h}", r#"{"removeOnComplete":{"age":86400},"removeOnFail":{"age":86400}}"#),
];

const SCRIPT: &str = r#"'use strict';
const { Queue, Worker } = require('bullmq');
const version = require('bullmq/package.json').version;
const [port, backlog, concurrency, keep] = process.argv.slice(2);
const n = Number(backlog);
const connection = { host: '127.0.0.1', port: Number(port), maxRetriesPerRequest: null };
const say = (o) => console.log(JSON.stringify(o));
(async () => {
  const queue = new Queue('bench', { connection, defaultJobOptions: JSON.parse(keep) });
  for (let i = 0; i < n; i += 1000) {
    const jobs = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) jobs.push({ name: 'noop', data: j });
    await queue.addBulk(jobs);
  }
  let completed = 0, finished;
  const all = new Promise((resolve) => (finished = resolve));
  const worker = new Worker('bench', async () => {}, { connection, concurrency: Number(concurrency), autorun: false });
  worker.on('completed', () => { if (++completed === n) finished(); });
  worker.on('error', (e) => console.error(String(e)));
  await worker.waitUntilReady();
  say({ pushed: await queue.getWaitingCount(), version });
  await new Promise((resolve) => process.stdin.once('data', resolve));
  const t0 = process.hrtime.bigint();
  worker.run().catch((e) => { say({ error: String(e) }); process.exit(1); });
  let seen = -1, since = Date.now();
  const watch = setInterval(() => {
    if (completed !== seen) { seen = completed; since = Date.now(); }
    else if (Date.now() - since > 30000) { say({ error: `stalled after ${completed} jobs` }); process.exit(2); }
  }, 1000);
  await all;
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  say({ jobs_per_sec: n / secs, secs, completed });
  clearInterval(watch);
  await worker.close();
  await queue.close();
  process.exit(0);
})().catch((e) => { say({ error: String((e && e.stack) || e) }); process.exit(1); });
"#;

pub(super) struct BullMq {
    dir: PathBuf,
    pub version: String,
}

fn cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from).unwrap_or_else(|| {
        std::env::var_os("HOME").map_or_else(std::env::temp_dir, |home| PathBuf::from(home).join(".cache"))
    });
    base.join("vteacher-bench").join("bullmq")
}

impl BullMq {
    /// Installs BullMQ 5 with npm into the cache directory (once) and writes the script.
    pub(crate) async fn install() -> anyhow::Result<Self> {
        let dir = cache_dir();
        tokio::fs::create_dir_all(&dir).await.with_context(|| format!("creating {}", dir.display()))?;
        let package = dir.join("node_modules/bullmq/package.json");
        if !package.exists() {
            println!("installing BullMQ 5 with npm into {}", dir.display());
            tokio::fs::write(dir.join("package.json"), r#"{"private": true}"#).await?;
            let status = Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--loglevel", "error", "bullmq@5"])
                .current_dir(&dir)
                .kill_on_drop(true)
                .status()
                .await
                .context("running npm (Node 20 and npm are needed for the BullMQ comparison)")?;
            if !status.success() {
                bail!("npm install bullmq@5 failed: {status}");
            }
        }
        let meta: serde_json::Value = serde_json::from_slice(&tokio::fs::read(&package).await?)?;
        let version = meta["version"].as_str().unwrap_or("?").to_owned();
        tokio::fs::write(dir.join("bench.js"), SCRIPT).await?;
        Ok(Self { dir, version })
    }

    /// One drain of `backlog` jobs by a Worker with `concurrency`; `keep` picks from `KEEP`.
    pub(crate) async fn run(
        &self,
        redis: &mut OwnRedis,
        backlog: u64,
        concurrency: usize,
        keep: bool,
    ) -> anyhow::Result<Run> {
        redis.flush().await?;
        let (label, options) = KEEP[usize::from(keep)];
        let mut child = Command::new("node")
            .arg(self.dir.join("bench.js"))
            .args([redis.port.to_string(), backlog.to_string(), concurrency.to_string(), options.to_owned()])
            .current_dir(&self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("running node")?;
        let pid = child.id();
        let mut lines = BufReader::new(child.stdout.take().context("node's stdout")?).lines();
        let mut next = async || -> anyhow::Result<serde_json::Value> {
            let line = tokio::time::timeout(Duration::from_secs(120 + backlog / 1000), lines.next_line())
                .await
                .context("BullMQ script silent")??
                .context("BullMQ script ended")?;
            serde_json::from_str(&line).with_context(|| format!("BullMQ script said {line:?}"))
        };
        let pushed = next().await?;
        if pushed["pushed"].as_u64() != Some(backlog) {
            bail!("BullMQ backlog not pushed: {pushed}");
        }
        let window = Window::start(redis, pid).await?;
        let started = Instant::now();
        child.stdin.take().context("node's stdin")?.write_all(b"go\n").await?;
        let said = next().await;
        let usage = window.finish(redis).await?;
        let outcome = match said {
            Ok(said) => match said["secs"].as_f64() {
                Some(secs) => Outcome::Drained(Duration::from_secs_f64(secs)),
                None => Outcome::Failed(said["error"].as_str().unwrap_or("no result").to_owned()),
            },
            Err(e) => Outcome::Failed(format!("{e:#} after {:.1}s", started.elapsed().as_secs_f64())),
        };
        if tokio::time::timeout(Duration::from_secs(10), child.wait()).await.is_err() {
            let _ = child.kill().await;
        }
        Ok(Run { who: format!("BullMQ, {label}"), backlog, concurrency, outcome, usage })
    }
}
