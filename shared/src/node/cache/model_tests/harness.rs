//! The real cache code on a real SQLite file and a real `VIDEO_ROOT` in a temp dir, one step
//! at a time, with the model beside it.

use std::path::PathBuf;

use migrations::{MigratorTrait, NodeMigrator};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use tokio_util::sync::CancellationToken;

use super::model::{Held, Model, PATHS};
use crate::{
    config::Settings,
    db::{Database, cache_videos, now_ms},
    directory::Directory,
    domain::{ClassId, DownloadOrder, RefState, VideoKey},
    node::{
        NodeServices,
        cache::{claim, evict::Limits, store},
    },
};

pub(super) struct Harness {
    pub node: NodeServices,
    pub model: Model,
    pub root: PathBuf,
    _dir: tempfile::TempDir,
}

pub(super) fn class_id(class: u8) -> ClassId {
    format!("c{class}").parse().expect("a valid class id")
}

pub(super) fn order(class: u8, video: usize) -> DownloadOrder {
    DownloadOrder {
        class_id: class_id(class),
        url: "http://127.0.0.1:9/video.flv".parse().expect("a valid url"),
        key: VideoKey::from_relative_path(PATHS[video]).expect("a layout path"),
        class_start_at: None,
    }
}

impl Harness {
    pub(super) async fn open(bytes: Vec<u64>, max_count: u64, max_bytes: u64, low_water: f64) -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let root = dir.path().join("videos");
        std::fs::create_dir_all(&root).expect("VIDEO_ROOT");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("node.db").display());
        // Exact: a power of two divides it, and Display writes the shortest exact spelling.
        let gib = max_bytes as f64 / (1u64 << 30) as f64;
        let settings = Settings::from_pairs([
            ("VIDEO_ROOT", root.display().to_string()),
            ("NODE_ID", "model".to_owned()),
            ("NODE_DATABASE_URL", url.clone()),
            ("MAX_VIDEO_NUM", max_count.to_string()),
            ("MAX_VIDEO_SIZE", format!("{gib}")),
            ("MIN_FREE_DISK", "0".to_owned()),
            ("CACHE_LOW_WATER", low_water.to_string()),
        ])
        .expect("valid settings");
        let cache = Database::connect(&url, std::time::Duration::from_secs(5)).await.expect("the node's index");
        NodeMigrator::up(&cache.conn, None).await.expect("node migrations");
        let node = NodeServices {
            settings,
            directory: Directory::database(cache.conn.clone()),
            cache,
            http: crate::tools::http::bare(),
            sources: crate::tools::http::SourceClient::new(Default::default()).expect("a client"),
            shutdown: CancellationToken::new(),
            started_at: now_ms(),
            gauges: Default::default(),
            bandwidth: Default::default(),
        };
        assert_eq!(node.limits(), Limits { max_bytes, max_count, min_free_bytes: 0 });
        Self { node, model: Model::new(bytes), root, _dir: dir }
    }

    pub(super) fn file(&self, video: usize) -> PathBuf {
        self.root.join(PATHS[video])
    }

    pub(super) fn part(&self, video: usize) -> PathBuf {
        let mut name = self.file(video).into_os_string();
        name.push(".part");
        PathBuf::from(name)
    }

    pub(super) fn write(&self, path: &PathBuf, bytes: u64) {
        std::fs::create_dir_all(path.parent().expect("below the root")).expect("a video dir");
        std::fs::write(path, vec![7u8; bytes as usize]).expect("a video file");
    }

    /// The eviction candidates as the index orders them (least recently used first).
    pub(super) async fn lru(&self) -> Vec<usize> {
        let conn = &self.node.cache.conn;
        let page = store::candidates(conn, self.node.id(), 1000).await.expect("candidates");
        let mut videos = Vec::new();
        for candidate in page {
            let row = cache_videos::Entity::find_by_id(candidate.id).one(conn).await.expect("a row").expect("a row");
            let v = PATHS.iter().position(|p| *p == row.path).expect("a known video");
            assert_eq!(candidate.bytes, self.model.bytes[v]);
            videos.push(v);
        }
        videos
    }

    pub(super) fn video_of(path: &str) -> usize {
        PATHS.iter().position(|p| *p == path).expect("a known video")
    }

    /// Books `class` onto `video`, as a download job does (`fetch::take_turn`): registers it,
    /// then attaches it (a hit), waits (another download), or claims the video and downloads.
    pub(super) async fn book(&mut self, class: u8, video: usize) {
        let order = order(class, video);
        let txn = self.node.cache.write_txn().await.expect("txn");
        let state = super::super::refs::register(&txn, self.node.id(), &order, PATHS[video]).await.expect("register");
        assert_eq!(state, self.model.register(class, video), "class c{class} on {}", PATHS[video]);
        let mut claimed = None;
        if state == RefState::Pending {
            match claim::claim(&txn, self.node.id(), PATHS[video], &order.key).await.expect("claim") {
                claim::Seen::Ready(row) => {
                    assert_eq!(self.model.held[video], Held::Ready);
                    let attached = super::super::refs::attach(&txn, &row, std::slice::from_ref(&order.class_id))
                        .await
                        .expect("attach");
                    assert_eq!(attached, vec![order.class_id.clone()]);
                    self.model.hit(class, video);
                }
                claim::Seen::Busy => assert_eq!(self.model.held[video], Held::Downloading),
                claim::Seen::Claimed(claim) => {
                    assert_eq!(self.model.held[video], Held::Absent);
                    claimed = Some(claim);
                }
            }
        }
        txn.commit().await.expect("commit");
        if let Some(claim) = claimed {
            self.download(class, video, claim).await;
        }
    }

    /// Expires the leases of the downloads under way, as if their process had died.
    pub(super) async fn crash_downloads(&self) {
        let txn = self.node.cache.conn.begin().await.expect("txn");
        for (_, claim) in &self.model.downloads {
            cache_videos::Entity::update_many()
                .col_expr(cache_videos::Column::LeaseUntil, sea_orm::sea_query::Expr::value(now_ms() - 1))
                .filter(cache_videos::Column::Id.eq(claim.video_id))
                .exec(&txn)
                .await
                .expect("expire a lease");
        }
        txn.commit().await.expect("commit");
    }
}
