//! What every role and job handler shares: the services domain code uses, and what only the
//! job layer and the roles touch: the queues and the pub/sub publisher.

use std::{
    ops::Deref,
    sync::{Arc, OnceLock},
};

use tokio_util::sync::CancellationToken;

use crate::{
    config::{ConfigError, Settings},
    db::{Database, DbError},
    directory::Directory,
    queue::{QueueError, Queues},
    services::Services,
    tools::{
        pubsub::Publisher,
        storage::{Storage, StorageConfig},
    },
};

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
        let db = Database::connect(&settings.database_url).await?;
        let queues = Queues::connect(&settings, Some(&db)).await?;
        let directory = Directory::of_queues(&queues).unwrap_or_else(|| Directory::database(db.conn.clone()));
        let publisher = match &settings.redis_url {
            Some(url) => Some(Publisher::connect(url).await.map_err(QueueError::from)?),
            None => None,
        };
        let http = http_client()?;
        let services = Services { settings, db, http, shutdown, directory, storage, web_base: OnceLock::new() };
        Ok(Self(Arc::new(AppInner { services, queues, publisher })))
    }
}

/// The HTTP client every process uses (downloads, webhooks, the cloud providers): `tools::http`.
pub fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    crate::tools::http::client()
}

/// A push host's client: its User-Agent names the node (`tools::http::node_client`).
pub fn node_http_client(node: &crate::domain::NodeId) -> Result<reqwest::Client, reqwest::Error> {
    crate::tools::http::node_client(node)
}
