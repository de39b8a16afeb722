//! The push host's commands, run on the push host against its own index: `vteacher node
//! status`, `vteacher node scan`, `vteacher purge-legacy [--dry-run]`; and the operator's
//! `vteacher node acl` (`node_acl`).

use shared::{
    NodeApp,
    config::Settings,
    domain::Effect,
    jobs,
    node::{
        cache,
        disk::{self, Disk},
        status,
    },
};
use tokio_util::sync::CancellationToken;

use crate::{
    cli::NodeAction,
    progress::{self, Bars},
};

async fn open(settings: Settings) -> anyhow::Result<NodeApp> {
    Ok(NodeApp::connect(settings, CancellationToken::new(), None).await?)
}

/// The node, refused when its disk is not mounted: a scan there would drop every video.
async fn open_on_its_disk(settings: Settings) -> anyhow::Result<NodeApp> {
    let node = open(settings).await?;
    if let Disk::NotMounted { indexed } = disk::check(&node).await? {
        anyhow::bail!(
            "VIDEO_ROOT {} has no {} marker while the index holds {indexed} video(s) none of which is there: \
             is its disk mounted?",
            node.settings.video_root.display(),
            disk::MARKER
        );
    }
    Ok(node)
}

pub(super) async fn run(settings: Settings, action: NodeAction) -> anyhow::Result<()> {
    match action {
        NodeAction::Status => {
            let node = open(settings).await?;
            let status = status::current(&node, &node.gauges).await?;
            let evictable = status.evictable_bytes();
            let mut json = serde_json::to_value(&status)?;
            json["evictable_bytes"] = evictable.into();
            println!("{}", serde_json::to_string_pretty(&json)?);
        }
        NodeAction::Scan => {
            let node = open_on_its_disk(settings).await?;
            let scanned = scan_showing_progress(&node).await?;
            println!(
                "{} files: {} adopted, {} rows dropped (file gone), {} .part kept, {} .part removed, {} matching no layout",
                scanned.files,
                scanned.adopted,
                scanned.dropped,
                scanned.parts_kept,
                scanned.parts_removed,
                scanned.unknown.len()
            );
            for file in &scanned.unknown {
                println!("  no layout (left alone): {file}");
            }
        }
        NodeAction::Acl { node_id, apply, password_stdin } => {
            super::node_acl::run(&settings, &node_id, apply.as_deref(), password_stdin).await?;
        }
    }
    Ok(())
}

/// Scans VIDEO_ROOT, a spinner counting the files read (on a terminal).
pub(super) async fn scan_showing_progress(node: &NodeApp) -> Result<cache::scan::Scanned, sea_orm::DbErr> {
    let spinner = progress::spinner(format!("scanning {}", node.settings.video_root.display()));
    let scanned = cache::scan::scan(node, &|files| spinner.set_message(format!("{files} files"))).await;
    spinner.finish_and_clear();
    scanned
}

pub(super) async fn purge_legacy(settings: Settings, dry_run: bool) -> anyhow::Result<()> {
    let node = open_on_its_disk(settings).await?;
    scan_showing_progress(&node).await?;
    let verb = if dry_run { "would delete" } else { "deleted" };
    let bars = Bars::new();
    let counter = bars.spinner(format!("{verb} old-layout videos"));
    let freed = std::sync::atomic::AtomicU64::new(0);
    let show = |video: &cache::reserve::Evicted| {
        let bytes = freed.fetch_add(video.bytes, std::sync::atomic::Ordering::Relaxed) + video.bytes;
        counter.inc(1);
        counter.set_message(format!("{} ({bytes} bytes)", counter.position()));
        bars.line(format!("{verb} {} ({} bytes)", video.path, video.bytes));
    };
    let purged = cache::purge::purge_legacy(&node, dry_run, &show).await;
    counter.finish_and_clear();
    let purged = purged?;
    println!(
        "{verb} {} old-layout video(s), {} bytes; {} referenced by a class kept",
        purged.videos.len(),
        purged.bytes(),
        purged.referenced
    );
    if !dry_run && !purged.videos.is_empty() {
        let report = jobs::evicted(&node, &purged.videos);
        if let Err(err) = jobs::apply_node(&node, vec![Effect::Report(report)]).await {
            eprintln!("warning: could not tell the central side ({err}); the node's next holdings report will");
        }
    }
    Ok(())
}
