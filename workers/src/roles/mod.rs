//! The process types of the Procfile and the tools, one subcommand each.

pub mod bench;
mod book_wait;
mod bridge;
mod demo;
mod launch;
mod node;
mod node_tools;
mod sweeper;
mod tools;

pub use launch::{Launch, Running, launch};
use shared::config::Settings;
use tokio_util::sync::CancellationToken;

use crate::{cli::Command, telemetry};

pub async fn run(command: Command) -> anyhow::Result<()> {
    let settings = Settings::load()?;
    // The demo and the benchmarks print their own progress; their logs say only what went wrong.
    let filter = if matches!(command, Command::Demo { .. } | Command::Bench { .. }) {
        "warn"
    } else {
        telemetry::DEFAULT_FILTER
    };
    telemetry::init_logs_with(settings.log_format, filter);
    if settings.wget_path.is_some() {
        tracing::warn!("wget_path is a legacy key: accepted and ignored (vteacher downloads by itself)");
    }
    let what = match command {
        Command::All => Launch::all(),
        Command::Web => Launch { web: true, ..Launch::default() },
        Command::Bridge => Launch { bridge: true, ..Launch::default() },
        Command::Work { queues } => Launch { queues, ..Launch::default() },
        Command::Sweeper => Launch { sweeper: true, ..Launch::default() },
        Command::Migrate => return tools::migrate(settings).await,
        Command::Config => return tools::print_config(&settings),
        Command::Book { json, wait } => return tools::book(settings, &json, wait).await,
        Command::Status { class_id } => return tools::status(settings, &class_id).await,
        Command::Queue { action } => return tools::queue(settings, action).await,
        Command::Node { action } => return node_tools::run(settings, action).await,
        Command::PurgeLegacy { dry_run } => return node_tools::purge_legacy(settings, dry_run).await,
        Command::Demo { dir } => return demo::run(settings, &dir).await,
        Command::Bench { which } => return bench::run(settings, which).await,
    };
    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    launch(settings, what, shutdown).await?.wait().await
}

/// SIGTERM or SIGINT: stop taking jobs, finish or hand back the running ones.
pub async fn stop_on_signal(shutdown: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: shutting down"),
        () = shutdown.cancelled() => return,
    }
    shutdown.cancel();
}
