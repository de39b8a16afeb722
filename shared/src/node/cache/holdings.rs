//! The full report of what a node holds, sent at start (after the scan) and every hour, so a
//! report the central side missed is repaired rather than trusted forever. In chunks: one
//! report per `CHUNK` videos, the last one ending the generation.

use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::{
    db::{cache_videos, now_ms},
    domain::{Holding, NodeReport, VideoKey, VideoState},
    node::NodeServices,
};

pub const CHUNK: u64 = 500;

/// Every ready video of the node, as reports.
pub async fn full_report(node: &NodeServices) -> Result<Vec<NodeReport>, DbErr> {
    let generation = now_ms();
    let me = node.settings.node_id.clone();
    let mut reports = Vec::new();
    let mut after = 0;
    loop {
        let page = cache_videos::Entity::find()
            .filter(cache_videos::Column::Node.eq(node.id()))
            .filter(cache_videos::Column::State.eq(VideoState::Ready))
            .filter(cache_videos::Column::Id.gt(after))
            .order_by_asc(cache_videos::Column::Id)
            .limit(CHUNK)
            .all(&node.cache.conn)
            .await?;
        let last = (page.len() as u64) < CHUNK;
        after = page.last().map_or(after, |v| v.id);
        let videos = page
            .iter()
            .filter_map(|v| {
                Some(Holding { key: VideoKey::from_relative_path(&v.path)?, bytes: v.size_bytes.max(0) as u64 })
            })
            .collect();
        reports.push(NodeReport::Holdings { node: me.clone(), generation, videos, last });
        if last {
            return Ok(reports);
        }
    }
}
