//! The process types of the Procfile and the operator's commands, one subcommand each.

mod book_wait;
mod bridge;
mod commands;
mod demo;
mod glimpse;
mod launch;
mod node;
mod node_acl;
mod node_commands;
mod node_disk;
mod signal;
mod spool;
mod sweeper;

pub use launch::{Launch, Running, launch};
use shared::config::Settings;
use signal::stop_on_signal;
use tokio_util::sync::CancellationToken;

use crate::{cli::Command, telemetry};

pub async fn run(command: Command) -> anyhow::Result<()> {
    let settings = Settings::load()?;
    // The demo prints its own progress; its logs say only what went wrong.
    let filter = if matches!(command, Command::Demo { .. }) { "warn" } else { telemetry::DEFAULT_FILTER };
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
        Command::Migrate => return commands::migrate(settings).await,
        Command::Config => return commands::print_config(&settings),
        Command::Book { json, wait } => return commands::book(settings, &json, wait).await,
        Command::Status { class_id } => return commands::status(settings, &class_id).await,
        Command::Queue { action } => return commands::queue(settings, action).await,
        Command::Node { action } => return node_commands::run(settings, action).await,
        Command::PurgeLegacy { dry_run } => return node_commands::purge_legacy(settings, dry_run).await,
        Command::Demo { dir } => return demo::run(settings, &dir).await,
    };
    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    launch(settings, what, shutdown).await?.wait().await
}
