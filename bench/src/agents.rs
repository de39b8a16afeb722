//! `vteacher-bench agents` (hidden; `fleet --virtual` starts it): many push hosts in one
//! process, each the product's push host as `vteacher work --queues download,class-end` runs it
//! (its own NODE_ID, VIDEO_ROOT, SQLite index, Redis connection, heartbeat, queue waits and
//! downloads), so that a fleet of thousands fits a few processes. Its settings are its
//! environment's `REDIS_URL`, `QUEUE_PREFIX` and `SOURCE_ALLOW_NETS`, every other the
//! product's default. It runs until SIGTERM or SIGINT, then stops them all.

use std::path::Path;

use anyhow::Context;
use shared::config::Settings;
use tokio_util::sync::CancellationToken;
use workers::roles::{Launch, Running, launch};

/// What the agents take from the environment: what the fleet gives every push host.
const FROM_ENV: [&str; 3] = ["REDIS_URL", "QUEUE_PREFIX", "SOURCE_ALLOW_NETS"];

/// The agents' node ids: `fleet-node-<i>`, as the fleet names its `node` processes.
pub(crate) fn node_id(i: usize) -> String {
    format!("fleet-node-{i:05}")
}

pub(crate) async fn run(first: usize, count: usize, root: &Path) -> anyhow::Result<()> {
    let common: Vec<(String, String)> =
        FROM_ENV.iter().filter_map(|key| Some(((*key).to_owned(), std::env::var(key).ok()?))).collect();
    let shutdown = CancellationToken::new();
    let mut running: Vec<Running> = Vec::with_capacity(count);
    for i in first..first + count {
        let dir = root.join(node_id(i));
        let mut pairs = common.clone();
        pairs.push(("NODE_ID".into(), node_id(i)));
        pairs.push(("VIDEO_ROOT".into(), dir.join("video").display().to_string()));
        pairs.push(("NODE_DATABASE_URL".into(), format!("sqlite://{}?mode=rwc", dir.join("node.db").display())));
        std::fs::create_dir_all(&dir)?;
        let settings = Settings::from_pairs(pairs)?;
        let queues = vec!["download".to_owned(), "class-end".to_owned()];
        let agent = launch(settings, Launch { queues, ..Launch::default() }, shutdown.clone());
        running.push(agent.await.with_context(|| format!("starting {}", node_id(i)))?);
    }
    eprintln!("{count} agents running ({}..{})", node_id(first), node_id(first + count - 1));
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    shutdown.cancel();
    for agent in running {
        let _ = agent.stop().await;
    }
    Ok(())
}
