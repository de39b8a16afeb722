//! Every key of DESIGN.md's configuration table, with its default.

use std::{net::IpAddr, path::PathBuf, time::Duration};

use serde::{Deserialize, Deserializer, Serialize};

use super::{
    ConfigError,
    units::{GiB, Rate, Span, text_or_number},
};
use crate::domain::NodeId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OssProvider {
    Http,
    Mps,
    Disabled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    #[serde(deserialize_with = "text")]
    pub database_url: String,
    #[serde(default, deserialize_with = "opt_text")]
    pub redis_url: Option<String>,
    pub port: u16,
    pub bind: IpAddr,
    #[serde(default, deserialize_with = "opt_text")]
    pub api_token: Option<String>,
    pub node_id: NodeId,
    pub video_root: PathBuf,
    pub download_rate: Rate,
    pub download_concurrency: usize,
    pub max_video_num: u64,
    pub max_video_size: GiB,
    pub min_free_disk: GiB,
    /// Legacy: accepted and ignored (vteacher downloads by itself).
    #[serde(default, deserialize_with = "opt_text")]
    pub wget_path: Option<String>,
    pub transcode_timeout_oss: Span,
    pub transcode_timeout_ecs: Span,
    pub oss_provider: OssProvider,
    #[serde(default, deserialize_with = "opt_text")]
    pub oss_http_url: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub mps_region: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub mps_endpoint: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub mps_pipeline_id: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub mps_output_bucket: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub mps_access_key_id: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub mps_access_key_secret: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub mps_template_id: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub mps_output_location: Option<String>,
    pub mps_poll_interval: Span,
    /// Where MPS outputs are downloaded from (a CDN in front of the output bucket); default
    /// `https://{MPS_OUTPUT_BUCKET}.{MPS_OUTPUT_LOCATION}.aliyuncs.com`.
    #[serde(default, deserialize_with = "opt_text")]
    pub mps_output_url: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub alarm_webhook_url: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub result_webhook_url: Option<String>,
    #[serde(deserialize_with = "text")]
    pub storage_url: String,
    #[serde(default, deserialize_with = "opt_text")]
    pub storage_public_url: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub storage_access_key_id: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub storage_secret_access_key: Option<String>,
    #[serde(deserialize_with = "text")]
    pub channel_booking: String,
    #[serde(deserialize_with = "text")]
    pub channel_transcode: String,
    #[serde(deserialize_with = "text")]
    pub channel_class_end: String,
    #[serde(deserialize_with = "text")]
    pub channel_result: String,
    pub job_attempts: u32,
    pub job_backoff: Span,
    pub transcode_concurrency: usize,
    pub transcode_work_dir: PathBuf,
    #[serde(deserialize_with = "text")]
    pub queue_prefix: String,
    pub queue_lease: Span,
    pub queue_retention: Span,
    pub shutdown_timeout: Span,
    pub sweep_interval: Span,
    pub log_format: LogFormat,
}

impl Default for Settings {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self {
            database_url: "sqlite://vteacher.db?mode=rwc".into(),
            redis_url: None,
            port: 8080,
            bind: IpAddr::from([127, 0, 0, 1]),
            api_token: None,
            node_id: default_node_id(),
            video_root: PathBuf::from("/home/video"),
            download_rate: "1000k".parse().expect("valid default"),
            download_concurrency: 4,
            max_video_num: 1000,
            max_video_size: "10".parse().expect("valid default"),
            min_free_disk: "1".parse().expect("valid default"),
            wget_path: None,
            transcode_timeout_oss: Span(Duration::from_secs(30 * 60)),
            transcode_timeout_ecs: Span(Duration::from_secs(2 * 3600)),
            oss_provider: OssProvider::Disabled,
            oss_http_url: None,
            mps_region: None,
            mps_endpoint: None,
            mps_pipeline_id: None,
            mps_output_bucket: None,
            mps_access_key_id: None,
            mps_access_key_secret: None,
            mps_template_id: None,
            mps_output_location: None,
            mps_poll_interval: Span(Duration::from_secs(10)),
            mps_output_url: None,
            alarm_webhook_url: None,
            result_webhook_url: None,
            storage_url: "fs://./storage".into(),
            storage_public_url: None,
            storage_access_key_id: None,
            storage_secret_access_key: None,
            channel_booking: "vteacher:booking".into(),
            channel_transcode: "vteacher:transcoding".into(),
            channel_class_end: "vteacher:class_end".into(),
            channel_result: "vteacher:result".into(),
            job_attempts: 5,
            job_backoff: Span(Duration::from_secs(2)),
            transcode_concurrency: cores,
            transcode_work_dir: std::env::temp_dir().join("vteacher-transcode"),
            queue_prefix: "vteacher".into(),
            queue_lease: Span(Duration::from_secs(30)),
            queue_retention: Span(Duration::from_secs(24 * 3600)),
            shutdown_timeout: Span(Duration::from_secs(15)),
            sweep_interval: Span(Duration::from_secs(30)),
            log_format: LogFormat::Text,
        }
    }
}

/// This host's name, made safe as a node id.
fn default_node_id() -> NodeId {
    let raw =
        std::fs::read_to_string("/proc/sys/kernel/hostname").or_else(|_| std::env::var("HOSTNAME")).unwrap_or_default();
    let safe: String = raw
        .trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '-' })
        .take(NodeId::MAX_LEN)
        .collect();
    safe.parse().unwrap_or_else(|_| "node-1".parse().expect("valid node id"))
}

fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    text_or_number(d)
}

fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct Visitor;
    impl<'de> serde::de::Visitor<'de> for Visitor {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string, or nothing")
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            Ok(Some(text_or_number(d)?).filter(|s| !s.trim().is_empty()))
        }
    }
    d.deserialize_option(Visitor)
}

fn check_url(key: &str, value: Option<&str>, schemes: &[&str]) -> Result<(), ConfigError> {
    let Some(value) = value else { return Ok(()) };
    let url = url::Url::parse(value).map_err(|e| ConfigError::new(key, format!("not a URL ({e})")))?;
    if !schemes.contains(&url.scheme()) {
        return Err(ConfigError::new(key, format!("scheme must be one of {schemes:?}")));
    }
    Ok(())
}

impl Settings {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let db = &self.database_url;
        if !(db.starts_with("sqlite:") || db.starts_with("postgres://") || db.starts_with("postgresql://")) {
            return Err(ConfigError::new("DATABASE_URL", "must start with sqlite: or postgres://"));
        }
        if self.is_postgres() && self.redis_url.is_none() {
            return Err(ConfigError::new(
                "REDIS_URL",
                "required when DATABASE_URL is PostgreSQL: a fleet's queues live in Redis",
            ));
        }
        check_url("REDIS_URL", self.redis_url.as_deref(), &["redis", "rediss"])?;
        check_url("OSS_HTTP_URL", self.oss_http_url.as_deref(), &["http", "https"])?;
        check_url("ALARM_WEBHOOK_URL", self.alarm_webhook_url.as_deref(), &["http", "https"])?;
        check_url("RESULT_WEBHOOK_URL", self.result_webhook_url.as_deref(), &["http", "https"])?;
        check_url("STORAGE_PUBLIC_URL", self.storage_public_url.as_deref(), &["http", "https"])?;
        if self.oss_provider == OssProvider::Http && self.oss_http_url.is_none() {
            return Err(ConfigError::new("OSS_HTTP_URL", "required when OSS_PROVIDER=http"));
        }
        if self.oss_provider == OssProvider::Mps {
            self.check_mps()?;
        }
        if self.job_attempts == 0 {
            return Err(ConfigError::new("JOB_ATTEMPTS", "must be at least 1"));
        }
        if self.download_concurrency == 0 || self.transcode_concurrency == 0 {
            let key = if self.download_concurrency == 0 { "DOWNLOAD_CONCURRENCY" } else { "TRANSCODE_CONCURRENCY" };
            return Err(ConfigError::new(key, "must be at least 1"));
        }
        if self.queue_lease.0 < Duration::from_secs(3) {
            return Err(ConfigError::new("QUEUE_LEASE", "must be at least 3s"));
        }
        // Heartbeats stop while a worker drains, and its jobs are taken for orphans once a whole
        // lease has passed since the last one (up to a third of a lease before the drain began):
        // a longer drain would let a job run twice.
        if self.shutdown_timeout.0 >= self.queue_lease.0 * 2 / 3 {
            return Err(ConfigError::new("SHUTDOWN_TIMEOUT", "must be shorter than two thirds of QUEUE_LEASE"));
        }
        if self.queue_prefix.is_empty() || self.queue_prefix.contains(char::is_whitespace) {
            return Err(ConfigError::new("QUEUE_PREFIX", "must be a non-empty word"));
        }
        Ok(())
    }

    fn check_mps(&self) -> Result<(), ConfigError> {
        let required = [
            ("MPS_ENDPOINT", &self.mps_endpoint),
            ("MPS_REGION", &self.mps_region),
            ("MPS_PIPELINE_ID", &self.mps_pipeline_id),
            ("MPS_TEMPLATE_ID", &self.mps_template_id),
            ("MPS_OUTPUT_BUCKET", &self.mps_output_bucket),
            ("MPS_OUTPUT_LOCATION", &self.mps_output_location),
            ("MPS_ACCESS_KEY_ID", &self.mps_access_key_id),
            ("MPS_ACCESS_KEY_SECRET", &self.mps_access_key_secret),
        ];
        if let Some((key, _)) = required.iter().find(|(_, value)| value.is_none()) {
            return Err(ConfigError::new(key, "required when OSS_PROVIDER=mps"));
        }
        check_url("MPS_ENDPOINT", self.mps_endpoint.as_deref(), &["http", "https"])?;
        check_url("MPS_OUTPUT_URL", self.mps_output_url.as_deref(), &["http", "https"])
    }

    pub fn is_postgres(&self) -> bool {
        self.database_url.starts_with("postgres")
    }

    /// `web` may only listen beyond loopback when `/api` is protected.
    pub fn check_web_exposure(&self) -> Result<(), ConfigError> {
        if self.api_token.is_none() && !self.bind.is_loopback() {
            return Err(ConfigError::new("API_TOKEN", "required when BIND is not a loopback address"));
        }
        Ok(())
    }
}
