//! The operator's commands: `migrate`, `config`, `book`, `status`, `queue dead|redrive`.

use std::io::Read;

use anyhow::{Context, bail};
use sea_orm::ActiveEnum;
use shared::{
    App,
    booking::{BookingStatus, store},
    config::Settings,
    db::Database,
    domain::{Booking, BookingState, ClassId, NodeId},
    jobs,
};
use tokio_util::sync::CancellationToken;

use crate::cli::QueueAction;
use vteacher_queue::queue_name;

pub(super) async fn migrate(settings: Settings) -> anyhow::Result<()> {
    let db = Database::connect(&settings.database_url, settings.database_timeout.0).await?;
    shared::app::migrate(&db).await?;
    println!("database is up to date");
    Ok(())
}

pub(super) fn print_config(settings: &Settings) -> anyhow::Result<()> {
    for (key, value) in settings.describe() {
        println!("{key}={value}");
    }
    Ok(())
}

/// Takes a booking in exactly as the API does, and prints its status: at once, or with `wait`
/// once it has settled (failing unless it is ready).
pub(super) async fn book(settings: Settings, json: &str, wait: bool) -> anyhow::Result<()> {
    let text = if json == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).context("reading the booking from stdin")?;
        text
    } else {
        json.to_owned()
    };
    let booking = Booking::from_json(text.as_bytes()).context("refused")?;
    let app = App::connect(settings, CancellationToken::new()).await?;
    let submitted = jobs::submit(&app, booking).await?;
    let status = BookingStatus::from(submitted.booking());
    if !wait {
        println!("{}", serde_json::to_string_pretty(&status)?);
        return Ok(());
    }
    let settled = super::book_wait::follow(&app, &ClassId::stored(status.class_id.clone())).await?;
    println!("{}", serde_json::to_string_pretty(&settled)?);
    match settled.state {
        BookingState::Ready => Ok(()),
        state => bail!(
            "booking {} is {}: {}",
            settled.class_id,
            state.to_value(),
            settled.reason.as_deref().unwrap_or("no reason given")
        ),
    }
}

pub(super) async fn status(settings: Settings, class_id: &str) -> anyhow::Result<()> {
    let db = Database::connect(&settings.database_url, settings.database_timeout.0).await?;
    let class_id: ClassId = class_id.parse().context("class_id")?;
    let Some(row) = store::find(&db.conn, &class_id).await? else {
        bail!("no booking for class {class_id:?}");
    };
    println!("{}", serde_json::to_string_pretty(&BookingStatus::from(&row))?);
    Ok(())
}

/// `vteacher queue dead|redrive`.
pub(super) async fn queue(settings: Settings, action: QueueAction) -> anyhow::Result<()> {
    let app = App::connect(settings, CancellationToken::new()).await?;
    let full_name = |queue: &str, node: &Option<String>| -> anyhow::Result<String> {
        let per_node = jobs::find(queue)?.is_per_node();
        let node: Option<NodeId> = match (per_node, node) {
            (true, Some(node)) => Some(node.parse().context("--node")?),
            (true, None) => Some(app.settings.node_id.clone()),
            (false, _) => None,
        };
        Ok(queue_name(&app.settings.queue_prefix, queue, node.as_ref().map(NodeId::as_str)))
    };
    match action {
        QueueAction::Dead { queue, node, limit } => {
            let dead = app.queues.dead(&full_name(&queue, &node)?, limit).await?;
            println!("{}", serde_json::to_string_pretty(&dead)?);
        }
        QueueAction::Redrive { queue, node, ids, limit } => {
            let moved = app.queues.redrive(&full_name(&queue, &node)?, &ids, limit).await?;
            println!("{moved} job(s) put back");
        }
    }
    Ok(())
}
