//! What a push host's jobs and tasks hold: its `NodeServices` (settings, its own cache index,
//! the node directory) plus the queues, to report to the central side and to queue its own
//! downloads. A `node` process in a fleet builds only this: it never opens `DATABASE_URL`.

use std::{ops::Deref, path::PathBuf, sync::Arc};

use migrations::{MigratorTrait, NodeMigrator};
use tokio_util::sync::CancellationToken;

use crate::{
    app::{App, AppError, directory_beside, http_client, node_source_client, queue_settings},
    config::{ConfigError, Settings},
    db::{Database, DbError, now_ms},
    directory::Directory,
    node::{NodeServices, bandwidth::Bandwidth, gauges::Gauges},
};
use vteacher_queue::Queues;

pub struct NodeAppInner {
    pub node: NodeServices,
    pub queues: Queues,
    /// Where a corrupt index was moved at this start (a fresh one is rebuilt in its place).
    pub index_set_aside: Option<PathBuf>,
}

impl Deref for NodeAppInner {
    type Target = NodeServices;
    fn deref(&self) -> &NodeServices {
        &self.node
    }
}

/// Cheap to clone: one `Arc`.
#[derive(Clone)]
pub struct NodeApp(Arc<NodeAppInner>);

impl Deref for NodeApp {
    type Target = NodeAppInner;
    fn deref(&self) -> &NodeAppInner {
        &self.0
    }
}

/// How long opening a push host's own index (a SQLite file) may take.
const INDEX_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

impl NodeApp {
    /// Opens (and migrates) the node's cache index. With `central` (one process running both
    /// sides) it shares its queues, its directory, and its database when that is the same file.
    pub async fn connect(
        settings: Settings,
        shutdown: CancellationToken,
        central: Option<&App>,
    ) -> Result<Self, AppError> {
        check_video_root(&settings)?;
        let url = settings.node_database_url();
        let (cache, index_set_aside) = match central {
            Some(app) if url == app.settings.database_url => (app.db.clone(), None),
            // An index in the state file is never set aside: it is not the node's alone.
            _ if url == settings.database_url => (Database::connect(&url, settings.database_timeout.0).await?, None),
            _ => open_index(&url).await?,
        };
        NodeMigrator::up(&cache.conn, None).await.map_err(DbError::from)?;
        let (queues, directory) = match central {
            Some(app) => (app.queues.clone(), app.directory.clone()),
            None => {
                // Without Redis the queues live in the state file, which is then this machine's.
                let state = match settings.redis_url {
                    Some(_) => None,
                    None => Some(Database::connect(&settings.database_url, settings.database_timeout.0).await?),
                };
                let sqlite = state.as_ref().and_then(|state| state.sqlite.as_ref());
                let queues = Queues::connect(&queue_settings(&settings), sqlite).await?;
                let directory = match (directory_beside(&queues), state) {
                    (Some(directory), _) => directory,
                    (None, Some(state)) => Directory::database(state.conn),
                    (None, None) => unreachable!("no Redis means a state database was opened"),
                };
                (queues, directory)
            }
        };
        let http = http_client()?;
        let sources = node_source_client(&settings)?;
        let node = NodeServices {
            bandwidth: Bandwidth::new(settings.node_bandwidth),
            settings,
            cache,
            http,
            sources,
            directory,
            shutdown,
            started_at: now_ms(),
            gauges: Gauges::default(),
        };
        Ok(Self(Arc::new(NodeAppInner { node, queues, index_set_aside })))
    }
}

/// Opens the node's own index. A SQLite file that SQLite says is corrupt or not a database
/// (codes 11 and 26; never a busy or locked one) is moved aside (`<file>.corrupt-<unix ms>`, with its `-wal` and `-shm`) and a fresh one made:
/// the start then finds the index lost and rebuilds it (`node::disk`).
async fn open_index(url: &str) -> Result<(Database, Option<PathBuf>), AppError> {
    let opened = match Database::connect(url, INDEX_TIMEOUT).await {
        Ok(db) => NodeMigrator::up(&db.conn, None).await.map(|()| db).map_err(DbError::from),
        Err(err) => Err(err),
    };
    let err = match opened {
        Ok(db) => return Ok((db, None)),
        Err(err) => err,
    };
    let said = err.to_string();
    let corrupt = said.contains("(code: 26)") || said.contains("(code: 11)");
    let Some(file) = sqlite_file(url).filter(|file| corrupt && file.is_file()) else { return Err(err.into()) };
    let aside = PathBuf::from(format!("{}.corrupt-{}", file.display(), now_ms()));
    tracing::error!(index = %file.display(), %err, aside = %aside.display(), "the node's cache index is corrupt: set aside");
    for suffix in ["", "-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{suffix}", file.display()));
        if from.exists() {
            let to = PathBuf::from(format!("{}{suffix}", aside.display()));
            std::fs::rename(&from, &to)
                .map_err(|e| ConfigError::new("NODE_DATABASE_URL", format!("{}: {e}", from.display())))?;
        }
    }
    Ok((Database::connect(url, INDEX_TIMEOUT).await?, Some(aside)))
}

/// The file of a `sqlite://path?…` URL.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// `VIDEO_ROOT` must exist (it is created) and be writable, or the node does not start.
fn check_video_root(settings: &Settings) -> Result<(), ConfigError> {
    let root = &settings.video_root;
    let problem =
        |what: &str, e: std::io::Error| ConfigError::new("VIDEO_ROOT", format!("{}: {what}: {e}", root.display()));
    std::fs::create_dir_all(root).map_err(|e| problem("cannot be created", e))?;
    let probe = root.join(format!(".vteacher-write-check-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| problem("is not writable", e))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}
