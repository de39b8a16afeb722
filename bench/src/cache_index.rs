//! The cache indexes `vteacher-bench cache` measures: a push host's index on SQLite (a file in
//! the bench's directory) or on PostgreSQL (a database of the bench's own, dropped after),
//! opened and migrated as a node opens it (`NodeApp::connect`), and filled fast with ready
//! videos (bulk inserts, then the totals and DIR_INFO summed once).

use std::{path::Path, time::Duration};

use anyhow::Context;
use reqwest::Url;
use sea_orm::{ActiveValue::Set, ConnectOptions, ConnectionTrait, DatabaseConnection, EntityTrait, TransactionTrait};
use shared::{
    NodeApp,
    config::Settings,
    db::{cache_videos, now_ms},
    domain::VideoState,
    node::cache::store,
};
use tokio_util::sync::CancellationToken;

/// The bench's node id.
pub(crate) const NODE: &str = "bench";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

/// xorshift64*: reproducible figures without a dependency.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

/// The server's URL with another database.
fn with_database(server: &str, database: &str) -> anyhow::Result<String> {
    let mut url = Url::parse(server).with_context(|| format!("--postgres {server}"))?;
    url.set_path(&format!("/{database}"));
    Ok(url.to_string())
}

async fn admin(server: &str) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(with_database(server, "postgres")?);
    options.connect_timeout(Duration::from_secs(3)).max_connections(1).sqlx_logging(false);
    let conn = sea_orm::Database::connect(options).await?;
    conn.execute_unprepared("SELECT 1").await?;
    Ok(conn)
}

/// Why PostgreSQL cannot be used, if it cannot.
pub(crate) async fn postgres_unreachable(server: &str) -> Option<String> {
    match admin(server).await {
        Ok(conn) => {
            let _ = conn.close().await;
            None
        }
        Err(e) => Some(e.to_string()),
    }
}

/// A node's index, open.
pub(crate) struct Index {
    pub node: NodeApp,
    pub backend: Backend,
    /// PostgreSQL: the server and the database to drop.
    created: Option<(String, String)>,
}

impl Index {
    /// A fresh index in `work` (SQLite) or on `server` (PostgreSQL), for `VIDEO_ROOT` `root`.
    pub(crate) async fn open(backend: Backend, server: &str, work: &Path, root: &Path) -> anyhow::Result<Self> {
        tokio::fs::create_dir_all(work).await?;
        let (url, created) = match backend {
            Backend::Sqlite => (format!("sqlite://{}?mode=rwc", work.join("node.db").display()), None),
            Backend::Postgres => {
                let name = format!("vt_cachebench_{}", uuid::Uuid::new_v4().simple());
                admin(server).await?.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
                (with_database(server, &name)?, Some((server.to_owned(), name)))
            }
        };
        let settings = Settings::from_pairs([
            ("DATABASE_URL", format!("sqlite://{}?mode=rwc", work.join("state.db").display())),
            ("NODE_DATABASE_URL", url),
            ("VIDEO_ROOT", root.display().to_string()),
            ("NODE_ID", NODE.to_owned()),
        ])?;
        let node = NodeApp::connect(settings, CancellationToken::new(), None).await?;
        Ok(Self { node, backend, created })
    }

    /// Closes the index and drops its PostgreSQL database.
    pub(crate) async fn close(self) -> anyhow::Result<()> {
        self.node.cache.conn.clone().close().await?;
        if let Some((server, name)) = self.created {
            admin(&server).await?.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
        }
        Ok(())
    }

    /// Inserts `videos` ready videos (50 MiB – 2 GiB, used in the last 30 days, one in ten
    /// referenced), then sums the totals and DIR_INFO once as the start-up scan does.
    pub(crate) async fn fill(&self, videos: u64, rng: &mut Rng) -> anyhow::Result<()> {
        let conn = &self.node.cache.conn;
        let now = now_ms();
        let txn = conn.begin().await?;
        for start in (0..videos).step_by(1000) {
            let rows: Vec<_> = (start..videos.min(start + 1000)).map(|i| row(i, now, rng)).collect();
            cache_videos::Entity::insert_many(rows).exec_without_returning(&txn).await?;
        }
        txn.commit().await?;
        store::recount(self.node.cache.write_txn().await?, self.node.id()).await?;
        if self.backend == Backend::Postgres {
            // As autovacuum would by then (and so that it does not run during the timing): the
            // planner knows the table, the visibility map is set.
            conn.execute_unprepared("VACUUM ANALYZE cache_videos").await?;
        }
        Ok(())
    }
}

fn row(i: u64, now: i64, rng: &mut Rng) -> cache_videos::ActiveModel {
    let record = 1_000_000 + i as i64;
    let org = 10 + i % 50;
    let referenced = rng.below(10) == 0;
    cache_videos::ActiveModel {
        node: Set(NODE.to_owned()),
        path: Set(format!("{org}/{record}/{record}_720P.flv")),
        record_id: Set(record),
        resolution: Set(Some("720P".to_owned())),
        org_id: Set(Some(org.to_string())),
        size_bytes: Set((50 << 20) + rng.below(2 << 30) as i64),
        state: Set(VideoState::Ready),
        num_cite: Set(if referenced { 1 + rng.below(3) as i32 } else { 0 }),
        last_used_at: Set(now - rng.below(30 * 86_400_000) as i64),
        created_at: Set(now),
        owner: Set(None),
        lease_until: Set(None),
        ..Default::default()
    }
}
