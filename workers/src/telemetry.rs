//! Logs through `tracing` (text or JSON, `RUST_LOG` filters) and metrics in Prometheus form.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use shared::config::LogFormat;
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// The filter when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,apalis=warn,apalis_core=warn";

pub fn init_logs(format: LogFormat) {
    init_logs_with(format, DEFAULT_FILTER);
}

/// Logs with `default_filter` unless `RUST_LOG` says otherwise.
pub fn init_logs_with(format: LogFormat, default_filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        // Logs go to stderr: the tools print their answers (JSON, tables) on stdout.
        LogFormat::Json => {
            registry.with(fmt::layer().json().with_current_span(true).with_writer(std::io::stderr)).try_init()
        }
        LogFormat::Text => registry.with(fmt::layer().with_target(false).with_writer(std::io::stderr)).try_init(),
    };
    // A second init (tests start several apps in one process) keeps the first subscriber.
    let _ = result;
}

static METRICS: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's Prometheus recorder once; `None` if another recorder was there.
pub fn metrics() -> Option<&'static PrometheusHandle> {
    METRICS.get_or_init(|| PrometheusBuilder::new().install_recorder().ok()).as_ref()
}
