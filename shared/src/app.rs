//! What every role and job handler shares: the services domain code uses, and what only the
//! job layer and the roles touch: the queues and the pub/sub publisher.

use std::{
    ops::Deref,
    sync::{Arc, OnceLock},
};

use tokio_util::sync::CancellationToken;

use crate::{
    booking::sent_marks::SentMarks,
    config::{ConfigError, Settings},
    db::{Database, DbError},
    directory::Directory,
    services::Services,
    tools::{
        egress::Egress,
        http::SourceClient,
        pubsub::Publisher,
        storage::{Storage, StorageConfig},
    },
};
use vteacher_queue::{QueueError, QueueSettings, Queues};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

pub struct AppInner {
    pub services: Services,
    pub queues: Queues,
    /// Redis pub/sub, when `REDIS_URL` is set (results go out on `CHANNEL_RESULT`).
    pub publisher: Option<Publisher>,
    /// Records results sent, many to a commit.
    pub sent: SentMarks,
}

/// Domain code is handed `&App` as `&Services` (deref coercion): it reads the same settings
/// and state, and cannot reach the queues.
impl Deref for AppInner {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.services
    }
}

/// Cheap to clone: one `Arc`.
#[derive(Clone)]
pub struct App(Arc<AppInner>);

impl Deref for App {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

impl App {
    /// Connects to the state database and the queues. Does not migrate: `vteacher migrate`
    /// (and `all`) does.
    pub async fn connect(settings: Settings, shutdown: CancellationToken) -> Result<Self, AppError> {
        let storage = Storage::open(StorageConfig {
            url: &settings.storage_url,
            public_url: settings.storage_public_url.as_deref(),
            access_key_id: settings.storage_access_key_id.as_deref(),
            secret_access_key: settings.storage_secret_access_key.as_deref(),
        })
        .map_err(|e| ConfigError::new("STORAGE_URL", e.to_string()))?;
        let db = Database::connect(&settings.database_url, settings.database_timeout.0).await?;
        let queues = Queues::connect(&queue_settings(&settings), db.sqlite.as_ref()).await?;
        let directory = directory_beside(&queues).unwrap_or_else(|| Directory::database(db.conn.clone()));
        let publisher = match &settings.redis_url {
            Some(url) => Some(Publisher::connect(url).await.map_err(QueueError::from)?),
            None => None,
        };
        let http = http_client()?;
        let sources = SourceClient::new(Egress::allowing(settings.source_allow_nets.0.clone()))?;
        let services =
            Services { settings, db, http, sources, shutdown, directory, storage, web_base: OnceLock::new() };
        let sent = SentMarks::start(services.db.conn.clone());
        Ok(Self(Arc::new(AppInner { services, queues, publisher, sent })))
    }
}

/// What the queue engine is given of the settings.
pub fn queue_settings(settings: &Settings) -> QueueSettings {
    QueueSettings {
        redis_url: settings.redis_url.clone(),
        prefix: settings.queue_prefix.clone(),
        lease: settings.queue_lease.0,
        attempts: settings.job_attempts,
        backoff: settings.job_backoff.0,
        retention: settings.queue_retention.0,
        retention_count: settings.queue_retention_count,
        dependency_wait: settings.dependency_wait.0,
        // Checked when the settings were read (`config::validate`).
        fail_enqueue: settings
            .fail_enqueue
            .as_deref()
            .and_then(|text| crate::config::faults(text).ok())
            .unwrap_or_default()
            .into_iter()
            .collect(),
    }
}

/// The node directory beside the queues, in Redis under the queues' prefix; `None` when they
/// are not in Redis.
pub fn directory_beside(queues: &Queues) -> Option<Directory> {
    queues.redis().map(|conn| Directory::redis(conn, queues.prefix()))
}

/// Creates or updates the state database's tables, and the queues' when they live in it (SQLite).
pub async fn migrate(db: &Database) -> Result<(), DbError> {
    db.migrate().await?;
    if let Some(pool) = &db.sqlite {
        Queues::migrate_sqlite(pool).await?;
    }
    Ok(())
}

/// The HTTP client every process uses (downloads, webhooks, the cloud providers): `tools::http`.
pub fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    crate::tools::http::client()
}

/// A push host's client for sources: its User-Agent names the node (`SourceClient::for_node`).
pub fn node_source_client(settings: &Settings) -> Result<SourceClient, reqwest::Error> {
    SourceClient::for_node(Egress::allowing(settings.source_allow_nets.0.clone()), &settings.node_id)
}
