//! The checks a configuration passes before anything starts: each failure names its key.

use std::time::Duration;

use super::{ConfigError, OssProvider, Settings};

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
        if self.download_idle_timeout.0.is_zero() {
            return Err(ConfigError::new("DOWNLOAD_IDLE_TIMEOUT", "must be more than 0s"));
        }
        self.check_cache_limits()?;
        self.check_source_limits()?;
        if self.queue_lease.0 < Duration::from_secs(3) {
            return Err(ConfigError::new("QUEUE_LEASE", "must be at least 3s"));
        }
        // On Redis each worker's lease renewer keeps renewing through a drain (it lives as long
        // as the worker's backend, which apalis keeps until the running jobs end): no bound. On
        // SQLite apalis-sqlite heart-beats only from the worker's poll loop, which stops when the
        // drain begins, with the last heartbeat up to a third of a lease old; other workers take
        // the jobs once a whole lease has passed since it: a drain past two thirds of the lease
        // would let a job run twice.
        if self.redis_url.is_none() && self.shutdown_timeout.0 >= self.queue_lease.0 * 2 / 3 {
            return Err(ConfigError::new(
                "SHUTDOWN_TIMEOUT",
                "must be shorter than two thirds of QUEUE_LEASE when the queues are in SQLite (no REDIS_URL)",
            ));
        }
        if let Some(faults) = &self.fail_enqueue {
            super::faults(faults).map_err(|problem| ConfigError::new("FAIL_ENQUEUE", problem))?;
        }
        if self.queue_prefix.is_empty() || self.queue_prefix.contains(char::is_whitespace) {
            return Err(ConfigError::new("QUEUE_PREFIX", "must be a non-empty word"));
        }
        Ok(())
    }

    /// A node's limits: zero would make every booking fail, so it is refused at start.
    fn check_cache_limits(&self) -> Result<(), ConfigError> {
        if self.max_video_num == 0 {
            return Err(ConfigError::new("MAX_VIDEO_NUM", "must be at least 1"));
        }
        if self.max_video_size.bytes() == 0 {
            return Err(ConfigError::new("MAX_VIDEO_SIZE", "must be more than 0 GiB"));
        }
        if !(self.cache_low_water > 0.0 && self.cache_low_water <= 1.0) {
            return Err(ConfigError::new("CACHE_LOW_WATER", "must be a fraction above 0 and at most 1, such as 0.9"));
        }
        if self.node_heartbeat.0 < Duration::from_secs(1) {
            return Err(ConfigError::new("NODE_HEARTBEAT", "must be at least 1s"));
        }
        if let Some(url) = &self.node_database_url
            && !url.starts_with("sqlite:")
            && !url.starts_with("postgres")
        {
            return Err(ConfigError::new("NODE_DATABASE_URL", "must start with sqlite: or postgres://"));
        }
        Ok(())
    }

    /// The ecs source's caps and the bridge's: zero would refuse everything.
    fn check_source_limits(&self) -> Result<(), ConfigError> {
        if self.max_source_size.bytes() == 0 {
            return Err(ConfigError::new("MAX_SOURCE_SIZE", "must be more than 0 GiB"));
        }
        // Not checked against TRANSCODE_TIMEOUT_ECS: a download past the transcode's own
        // deadline is ended by that deadline first, and a short deadline alone is a valid setting.
        if self.source_download_timeout.0.is_zero() {
            return Err(ConfigError::new("SOURCE_DOWNLOAD_TIMEOUT", "must be more than 0s"));
        }
        if self.max_source_duration.0.is_zero() {
            return Err(ConfigError::new("MAX_SOURCE_DURATION", "must be more than 0s"));
        }
        // Below 1 KiB even a legacy booking message would not fit.
        if self.bridge_max_message < 1024 {
            return Err(ConfigError::new("BRIDGE_MAX_MESSAGE", "must be at least 1024 bytes"));
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
