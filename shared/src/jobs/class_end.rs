//! `class-end:<node>`: a class is over; this push host lets its reference on the video go
//! (num_cite drops once, whatever arrives twice). A download no class needs any more is then
//! abandoned by its own job at its next look.

use super::{apply_node, payloads::ClassEndJob};
use crate::{
    db::DbError,
    domain::{Effect, NodeReport},
    node::cache::end_class,
    node_app::NodeApp,
};
use vteacher_queue::{Job, JobError, QueueKind};

impl Job for ClassEndJob {
    const QUEUE: &'static str = "class-end";
    const FETCH_AHEAD: bool = true;
    const KIND: QueueKind = QueueKind::PerNode;
    type Context = NodeApp;

    fn unique_key(&self) -> Option<String> {
        Some(self.class_id.to_string())
    }

    fn span(&self) -> tracing::Span {
        tracing::info_span!("class_end", class_id = %self.class_id)
    }

    async fn run(&self, node: &NodeApp) -> Result<(), JobError> {
        let changed = end_class(node, &self.class_id).await.map_err(DbError::from)?;
        tracing::info!(node = %node.id(), changed, "class ended on this node");
        // Acknowledged every time, a repeat included: the central side resends until it hears.
        let ended = NodeReport::Ended { node: node.settings.node_id.clone(), class_id: self.class_id.clone() };
        Ok(apply_node(node, vec![Effect::Report(ended)]).await?)
    }
}
