//! `references:<node>`: the central side's answer to a push host whose index was rebuilt: the
//! download order of every booking placed there that has not ended. The host attaches the
//! classes whose video it has, downloads the others, and releases its hold on eviction.
//! Worked by every process that works the node's `download` queue.

use super::{apply_node, download::reports, payloads::ReferencesJob};
use crate::{domain::Effect, node::cache::restore::restore, node_app::NodeApp};
use vteacher_queue::{Job, JobError, QueueKind};

impl Job for ReferencesJob {
    const QUEUE: &'static str = "references";
    const KIND: QueueKind = QueueKind::PerNode;
    type Context = NodeApp;

    fn span(&self) -> tracing::Span {
        tracing::info_span!("references", classes = self.orders.len())
    }

    async fn run(&self, node: &NodeApp) -> Result<(), JobError> {
        let restored = restore(node, &self.orders).await?;
        let me = node.settings.node_id.clone();
        let mut effects: Vec<Effect> = restored.attached.iter().flat_map(|put| reports(node, put)).collect();
        effects.extend(restored.to_download.into_iter().map(|order| Effect::Download { node: me.clone(), order }));
        Ok(apply_node(node, effects).await?)
    }
}
