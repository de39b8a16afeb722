//! Every configuration key, with its default. `.env.example` documents each one (its unit and
//! default); the layers are in docs/operations.md "Configuration".

use std::{net::IpAddr, path::PathBuf, time::Duration};

use serde::{Deserialize, Deserializer, Serialize};

use super::units::{FrameSize, GiB, Nets, Rate, Span, text_or_number};
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
    /// `/metrics` without the token (for a scraper that cannot send one).
    pub metrics_public: bool,
    /// `web` is reached only through a reverse proxy that appends the client's address to
    /// `X-Forwarded-For`: `/login`'s rate limit counts by that address, not the proxy's.
    pub behind_proxy: bool,
    pub node_id: NodeId,
    pub video_root: PathBuf,
    pub download_rate: Rate,
    pub download_concurrency: usize,
    /// A download that receives no byte for this long (a stalled source) is dropped, to be
    /// resumed on the next attempt.
    pub download_idle_timeout: Span,
    /// Internal networks a source may still be fetched from (empty: none; sources on loopback,
    /// private, link-local, CGNAT … addresses are refused: `tools::egress`).
    pub source_allow_nets: Nets,
    pub max_video_num: u64,
    pub max_video_size: GiB,
    pub min_free_disk: GiB,
    /// The push host's own cache index (SQLite); unset: the state file when that is SQLite,
    /// else `sqlite://node.db?mode=rwc`.
    #[serde(default, deserialize_with = "opt_text")]
    pub node_database_url: Option<String>,
    /// All downloads of one node together, wget units; 0 = no cap beyond `DOWNLOAD_RATE`.
    pub node_bandwidth: Rate,
    /// How often a node reports that it is alive (and its totals); live while its last report
    /// is younger than three of these.
    pub node_heartbeat: Span,
    /// How long a booking waits for the node it is placed on (or names) to be live.
    pub node_wait: Span,
    /// The cache manager evicts down to this fraction of every limit ahead of need.
    pub cache_low_water: f64,
    /// `.part` files untouched for this long are removed by the start-up scan.
    pub part_max_age: Span,
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
    /// The most an ecs source may be: a larger length announced is refused before a byte is
    /// read, a body past it (chunked, endless) is stopped and removed.
    pub max_source_size: GiB,
    /// The longest an ecs source's download may take in all (a slow drip would hold a
    /// transcode slot, its lease renewed, for ever).
    pub source_download_timeout: Span,
    /// The longest video ecs transcodes (ffprobe's duration). A length of video, not a timer:
    /// `scaled_timers` leaves it.
    pub max_source_duration: Span,
    /// The largest frame ecs transcodes, either way up.
    pub max_source_pixels: FrameSize,
    #[serde(deserialize_with = "text")]
    pub queue_prefix: String,
    pub queue_lease: Span,
    pub queue_retention: Span,
    pub queue_retention_count: u64,
    pub dependency_wait: Span,
    pub database_timeout: Span,
    pub bridge_spool_dir: PathBuf,
    pub bridge_spool_max: usize,
    /// The largest pub/sub message the bridge reads, in bytes; a larger one is refused unread.
    pub bridge_max_message: usize,
    pub shutdown_timeout: Span,
    pub sweep_interval: Span,
    pub log_format: LogFormat,
    /// A fault injected for tests and fire drills: `queue:N,…` makes this process's next N
    /// enqueues on each queue fail, as a Redis outage right after a commit would. Never in
    /// production.
    #[serde(default, deserialize_with = "opt_text")]
    pub fail_enqueue: Option<String>,
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
            metrics_public: false,
            behind_proxy: false,
            node_id: default_node_id(),
            video_root: PathBuf::from("/home/video"),
            download_rate: "1000k".parse().expect("valid default"),
            download_concurrency: 4,
            download_idle_timeout: Span(Duration::from_secs(30)),
            source_allow_nets: Nets::default(),
            max_video_num: 1000,
            max_video_size: "10".parse().expect("valid default"),
            min_free_disk: "1".parse().expect("valid default"),
            node_database_url: None,
            node_bandwidth: Rate::UNLIMITED,
            node_heartbeat: Span(Duration::from_secs(30)),
            node_wait: Span(Duration::from_secs(10 * 60)),
            cache_low_water: 0.9,
            part_max_age: Span(Duration::from_secs(24 * 3600)),
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
            max_source_size: "4".parse().expect("valid default"),
            source_download_timeout: Span(Duration::from_secs(30 * 60)),
            max_source_duration: Span(Duration::from_secs(4 * 3600)),
            max_source_pixels: FrameSize { width: 3840, height: 2160 },
            queue_prefix: "vteacher".into(),
            queue_lease: Span(Duration::from_secs(30)),
            queue_retention: Span(Duration::from_secs(24 * 3600)),
            queue_retention_count: 10_000,
            dependency_wait: Span(Duration::from_secs(30 * 60)),
            database_timeout: Span(Duration::from_secs(5)),
            bridge_spool_dir: PathBuf::from("bridge-spool"),
            bridge_spool_max: 100_000,
            bridge_max_message: 64 * 1024,
            shutdown_timeout: Span(Duration::from_secs(15)),
            sweep_interval: Span(Duration::from_secs(30)),
            log_format: LogFormat::Text,
            fail_enqueue: None,
        }
    }
}

impl Settings {
    /// The push host's cache index: `NODE_DATABASE_URL`, else the state file when that is
    /// SQLite (the embedded default shares it), else `node.db` beside the process.
    pub fn node_database_url(&self) -> String {
        match &self.node_database_url {
            Some(url) => url.clone(),
            None if self.database_url.starts_with("sqlite:") => self.database_url.clone(),
            None => "sqlite://node.db?mode=rwc".to_owned(),
        }
    }

    /// A node whose last report is older than this is not live.
    pub fn node_live_for(&self) -> Duration {
        self.node_heartbeat.0 * 3
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
