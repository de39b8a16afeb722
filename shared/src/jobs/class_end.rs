//! `class-end:<node>`: a class is over; this push host lets its reference on the video go
//! (num_cite drops once, whatever arrives twice). A download no class needs any more is then
//! abandoned by its own job at its next look.

use serde::{Deserialize, Serialize};

use crate::{
    config::Settings,
    domain::ClassId,
    node::cache::end_class,
    node_app::NodeApp,
    queue::{Job, JobError, QueueKind},
};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClassEndJob {
    pub class_id: ClassId,
}

impl Job for ClassEndJob {
    const QUEUE: &'static str = "class-end";
    const FETCH_AHEAD: bool = true;
    const KIND: QueueKind = QueueKind::PerNode;
    type Context = NodeApp;

    /// Short transactions on the node's own index: they keep up with any rate of bookings.
    fn concurrency(_settings: &Settings) -> usize {
        8
    }

    fn span(&self) -> tracing::Span {
        tracing::info_span!("class_end", class_id = %self.class_id)
    }

    async fn run(&self, node: &NodeApp) -> Result<(), JobError> {
        let changed = end_class(node, &self.class_id).await?;
        tracing::info!(node = node.id(), changed, "class ended on this node");
        Ok(())
    }
}
