//! Starts the parts of a process (web, bridge, queue workers, sweeper) on one `App`, and runs
//! them until shutdown or until one fails, which stops the rest: the process then exits
//! non-zero for its supervisor to restart it.

use std::net::SocketAddr;

use anyhow::{Context, anyhow};
use shared::{
    App, NodeApp,
    config::{ConfigError, Settings},
    jobs::{self, Contexts, DownloadJob, ReferencesJob, TranscodeEcsJob},
};
use tokio::{net::TcpListener, task::JoinSet};
use tokio_util::sync::CancellationToken;

use super::{bridge, node, sweeper};
use crate::{telemetry, web};
use vteacher_queue::{Job, Workers};

/// Which parts a process runs.
#[derive(Debug, Clone, Default)]
pub struct Launch {
    pub web: bool,
    pub bridge: bool,
    pub sweeper: bool,
    pub queues: Vec<String>,
    pub migrate: bool,
}

impl Launch {
    /// Every role in one process (`vteacher all`).
    pub fn all() -> Self {
        let queues = jobs::queue_names().into_iter().map(str::to_owned).collect();
        Self { web: true, bridge: true, sweeper: true, queues, migrate: true }
    }

    /// Whether any part needs the central side (the state database): everything but a push
    /// host's own queues.
    fn needs_central(&self) -> anyhow::Result<bool> {
        let mut shared_queue = false;
        for queue in &self.queues {
            shared_queue |= !jobs::find(queue)?.is_per_node();
        }
        Ok(self.web || self.bridge || self.sweeper || self.migrate || shared_queue)
    }

    fn needs_node(&self) -> anyhow::Result<bool> {
        let mut per_node = false;
        for queue in &self.queues {
            per_node |= jobs::find(queue)?.is_per_node();
        }
        Ok(per_node)
    }
}

pub struct Running {
    /// The central side, unless this process is only a push host's.
    pub app: Option<App>,
    /// The push host, when this process runs a node's queues.
    pub node: Option<NodeApp>,
    pub web_addr: Option<SocketAddr>,
    pub shutdown: CancellationToken,
    parts: JoinSet<anyhow::Result<()>>,
}

pub async fn launch(settings: Settings, what: Launch, shutdown: CancellationToken) -> anyhow::Result<Running> {
    if telemetry::metrics().is_some() {
        shared::jobs::register_metric_families();
    }
    let drain = settings.shutdown_timeout.0;
    let app = match what.needs_central()? {
        true => Some(App::connect(settings.clone(), shutdown.clone()).await.context("starting")?),
        false => None,
    };
    if let Some(app) = app.as_ref().filter(|_| what.migrate) {
        shared::app::migrate(&app.db).await.context("migrating the database")?;
    }
    let node = match what.needs_node()? {
        true => Some(
            NodeApp::connect(settings.clone(), shutdown.clone(), app.as_ref()).await.context("starting the node")?,
        ),
        false => None,
    };
    let makes_renditions = what.queues.iter().any(|q| q == TranscodeEcsJob::QUEUE);
    if makes_renditions && !what.web && settings.storage_public_url.is_none() {
        // Uploads would have no URL a push host can download them from.
        let problem = "required by transcode-ecs workers unless this process also runs web (which serves /storage)";
        return Err(ConfigError::new("STORAGE_PUBLIC_URL", problem).into());
    }
    let mut parts = JoinSet::new();
    let contexts = Contexts { app: app.clone(), node: node.clone() };
    let (node_queues, central_queues) = split_queues(&what.queues)?;
    // A push host's queues start with it, once its disk is checked (`node::start`).
    let node_workers = workers_of(&contexts, &node_queues, &shutdown)?;
    if let Some(node) = &node {
        node::start(node, node_workers, drain, &mut parts).await?;
    }
    let workers = workers_of(&contexts, &central_queues, &shutdown)?;
    if !workers.is_empty() {
        parts.spawn(async move { workers.run(drain).await.map_err(anyhow::Error::from) });
    }
    let web_addr = match &app {
        Some(app) if what.web => Some(start_web(app, &mut parts).await?),
        _ => None,
    };
    if let Some(app) = &app {
        start_central_roles(app, &what, &mut parts)?;
    }
    Ok(Running { app, node, web_addr, shutdown, parts })
}

fn start_central_roles(app: &App, what: &Launch, parts: &mut JoinSet<anyhow::Result<()>>) -> anyhow::Result<()> {
    if what.bridge {
        match app.settings.redis_url.clone() {
            Some(url) => {
                parts.spawn(bridge::run(app.clone(), url));
            }
            None if !what.web => {
                return Err(anyhow!("the bridge needs REDIS_URL: the legacy channels are Redis pub/sub"));
            }
            None => tracing::info!("no REDIS_URL: no pub/sub bridge (bookings come through the API)"),
        }
    }
    if what.sweeper {
        parts.spawn(sweeper::run(app.clone()));
    }
    Ok(())
}

/// The queues asked for: a push host's, and the central side's. A process that works a
/// node's `download` queue works its `references` too (the central side's answer to a rebuilt
/// index), so that the hosts' command lines need not change.
fn split_queues(queues: &[String]) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let (mut per_node, mut central) = (Vec::new(), Vec::new());
    for queue in queues {
        match jobs::find(queue)?.is_per_node() {
            true => per_node.push(queue.clone()),
            false => central.push(queue.clone()),
        }
    }
    let references = ReferencesJob::QUEUE.to_owned();
    if per_node.iter().any(|q| q == DownloadJob::QUEUE) && !per_node.contains(&references) {
        per_node.push(references);
    }
    Ok((per_node, central))
}

/// The workers of `queues`, not yet running.
fn workers_of(contexts: &Contexts, queues: &[String], shutdown: &CancellationToken) -> anyhow::Result<Workers> {
    let mut workers = Workers::new(shutdown.clone());
    for queue in queues {
        jobs::spawn_worker(&mut workers, contexts, queue)?;
    }
    Ok(workers)
}

async fn start_web(app: &App, parts: &mut JoinSet<anyhow::Result<()>>) -> anyhow::Result<SocketAddr> {
    app.settings.check_web_exposure()?;
    let bind = (app.settings.bind, app.settings.port);
    let listener = TcpListener::bind(bind).await.with_context(|| format!("listening on {}:{}", bind.0, bind.1))?;
    let addr = listener.local_addr()?;
    // Storage-served URLs for this machine's own workers when STORAGE_PUBLIC_URL is not set.
    let reachable = match addr.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::from(([127, 0, 0, 1], addr.port())),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, addr.port()))
        }
        _ => addr,
    };
    let _ = app.web_base.set(format!("http://{reachable}"));
    tracing::info!(%addr, "web listening: API at /api, dashboard at /");
    let app = app.clone();
    parts.spawn(async move { web::serve(listener, app).await.context("web server") });
    Ok(addr)
}

impl Running {
    /// Runs until shutdown; if a part fails or ends by itself, stops the others and reports it.
    pub async fn wait(mut self) -> anyhow::Result<()> {
        let mut failure = None;
        while let Some(joined) = self.parts.join_next().await {
            let result = joined.map_err(anyhow::Error::from).and_then(|r| r);
            let failed = match result {
                Err(err) => Some(err),
                Ok(()) if !self.shutdown.is_cancelled() => Some(anyhow!("a part of the process stopped by itself")),
                Ok(()) => None,
            };
            if let Some(err) = failed {
                tracing::error!("{err:#}; stopping");
                failure.get_or_insert(err);
                self.shutdown.cancel();
            }
        }
        if let Some(app) = &self.app {
            app.sent.flush().await;
        }
        failure.map_or(Ok(()), Err)
    }

    /// Asks every part to stop and waits for them.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.wait().await
    }
}
