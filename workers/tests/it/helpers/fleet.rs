//! A fleet as a school runs it: the central side in the test's process, each push host a
//! `vteacher work --queues download,class-end` process of its own (its NODE_ID, VIDEO_ROOT and
//! index, no DATABASE_URL), which a test may kill.

use std::{path::PathBuf, time::Duration};

use workers::roles::Launch;

use super::{Process, TestApp, TestEnv, eventually};

/// The central side in this process: web, the booking queues and the sweeper.
pub(crate) fn central() -> Launch {
    let queues = ["booking", "notify", "node-report", "transcode-result"].map(String::from).to_vec();
    Launch { web: true, sweeper: true, migrate: true, queues, ..Launch::default() }
}

/// A push host's process, its id and its folder.
pub(crate) struct Node {
    pub id: String,
    pub root: PathBuf,
    pub process: Process,
}

impl Node {
    pub(crate) fn video_root(&self) -> PathBuf {
        self.root.join("video")
    }

    /// How many classes reference the video at `path` in this host's index, read as a person
    /// would with the host running; `None` when the index holds no such video (or cannot be
    /// read yet).
    pub(crate) async fn num_cite(&self, path: &str) -> Option<i32> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        use shared::db::cache_videos;
        let url = format!("sqlite://{}?mode=ro", self.root.join("node.db").display());
        let index = sea_orm::Database::connect(url).await.ok()?;
        let video = cache_videos::Entity::find()
            .filter(cache_videos::Column::Node.eq(self.id.as_str()))
            .filter(cache_videos::Column::Path.eq(path))
            .one(&index)
            .await
            .ok()??;
        index.close().await.ok();
        Some(video.num_cite)
    }
}

impl TestEnv {
    /// A `node` process as a push host runs it, named `<NODE_ID>-<name>`, with `extra` settings.
    pub(crate) fn start_node(&self, name: &str, extra: &[(&str, Option<String>)]) -> Node {
        let root = self.dir.path().join(name);
        let id = format!("{}-{name}", self.pairs["NODE_ID"]);
        let mut changes = vec![
            ("DATABASE_URL", None),
            ("NODE_ID", Some(id.clone())),
            ("VIDEO_ROOT", Some(root.join("video").display().to_string())),
            ("NODE_DATABASE_URL", Some(format!("sqlite://{}?mode=rwc", root.join("node.db").display()))),
        ];
        changes.extend(extra.iter().cloned());
        std::fs::create_dir_all(&root).unwrap();
        let process = self.start_with(&id, &["work", "--queues", "download,class-end"], &changes);
        Node { id, root, process }
    }
}

/// Waits until exactly `count` push hosts are live.
pub(crate) async fn live_nodes(app: &TestApp, count: usize) {
    eventually(&format!("{count} live nodes"), Duration::from_secs(60), || async {
        let nodes: serde_json::Value = app.http.get(app.url("/api/nodes")).send().await.ok()?.json().await.ok()?;
        let live = nodes.as_array()?.iter().filter(|n| n["live"] == true).count();
        (live == count).then_some(())
    })
    .await;
}
