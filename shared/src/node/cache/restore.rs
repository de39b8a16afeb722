//! A rebuilt index gets its references back (docs/design/push-hosts.md "A lost index"): the
//! central side sends the download order of every booking placed on this node that has not
//! ended. Each class whose video is on the disk is attached to it (adopted in place when the
//! scan has not reached it yet: no download); each whose video is not is downloaded as any
//! order is. Then the hold on eviction is released. Idempotent: a repeat attaches nothing twice.

use super::{
    CacheError,
    fetch::{Put, put_on_disk},
    hold,
};
use crate::{domain::DownloadOrder, node::NodeServices};

/// What restoring found: the classes attached (their `Put`s), the orders still to download.
#[derive(Debug, Default)]
pub struct Restored {
    pub attached: Vec<Put>,
    pub to_download: Vec<DownloadOrder>,
}

pub async fn restore(node: &NodeServices, orders: &[DownloadOrder]) -> Result<Restored, CacheError> {
    let root = &node.settings.video_root;
    let mut restored = Restored::default();
    for order in orders {
        if root.join(order.key.relative_path_text()).is_file() {
            restored.attached.push(put_on_disk(node, order).await?);
        } else {
            restored.to_download.push(order.clone());
        }
    }
    hold::release(root).await.map_err(|e| CacheError::Hold(e.to_string()))?;
    tracing::info!(
        node = %node.id(),
        attached = restored.attached.len(),
        to_download = restored.to_download.len(),
        "references restored from the central side; eviction may go on"
    );
    Ok(restored)
}
