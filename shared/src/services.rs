//! What central domain code may use: settings, the state database, an HTTP client, object
//! storage, the node directory and the shutdown signal. No queues and no publisher: domain code
//! returns effects, and only the job layer (`jobs/`, through `App`) sends anything on. A push
//! host's code has its own (`node::NodeServices`).

use std::sync::OnceLock;

use tokio_util::sync::CancellationToken;

use crate::{config::Settings, db::Database, directory::Directory, tools::storage::Storage};

pub struct Services {
    pub settings: Settings,
    pub db: Database,
    /// For endpoints the operator configured (webhooks, alarms, the transcoding service).
    pub http: reqwest::Client,
    /// For what a booking, a transcode request or a result names: the ecs source, MPS
    /// (`tools::egress` decides what it may reach).
    pub sources: crate::tools::http::SourceClient,
    pub shutdown: CancellationToken,
    /// What the push hosts report about themselves.
    pub directory: Directory,
    /// Where ecs uploads go (`STORAGE_URL`).
    pub storage: Storage,
    /// This process's web address once it listens: the base of storage-served URLs when
    /// `STORAGE_PUBLIC_URL` is not set.
    pub web_base: OnceLock<String>,
}

impl Services {
    /// The URL a push host downloads the stored object `key` from.
    pub fn public_url_of(&self, key: &str) -> Option<String> {
        self.storage.public_url(key).or_else(|| self.web_base.get().map(|base| format!("{base}/storage/{key}")))
    }
}
