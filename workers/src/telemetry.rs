//! Logs through `tracing` (text or JSON, `RUST_LOG` filters) and metrics in Prometheus form.

use std::{
    io::IsTerminal,
    sync::{Arc, Mutex, OnceLock},
};

use apalis_board::axum::sse::{TracingBroadcaster, TracingSubscriber};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use shared::config::LogFormat;
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::progress;

/// The filter when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,apalis=warn,apalis_core=warn";

pub fn init_logs(format: LogFormat) {
    init_logs_with(format, DEFAULT_FILTER);
}

/// Logs with `default_filter` unless `RUST_LOG` says otherwise.
pub fn init_logs_with(format: LogFormat, default_filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    // The dashboard's Logs page: the same events, as JSON, to its live stream's clients. A
    // client too slow to keep up misses lines; that is no error worth printing.
    let board = TracingSubscriber::new(broadcaster()).layer().log_internal_errors(false);
    let registry = tracing_subscriber::registry().with(filter).with(board);
    let result = match format {
        // Logs go to stderr (the tools print their answers, JSON and tables, on stdout), above
        // any progress bar.
        LogFormat::Json => {
            registry.with(fmt::layer().json().with_current_span(true).with_writer(progress::log_writer)).try_init()
        }
        // Colours only for a person at a terminal: a log file or a pipe gets the plain text.
        LogFormat::Text => registry
            .with(
                fmt::layer()
                    .with_target(false)
                    .with_ansi(std::io::stderr().is_terminal())
                    .with_writer(progress::log_writer),
            )
            .try_init(),
    };
    // A second init (tests start several apps in one process) keeps the first subscriber.
    let _ = result;
}

/// The process's log broadcaster: the dashboard's `/api/v1/events` stream reads from it.
pub fn broadcaster() -> &'static Arc<Mutex<TracingBroadcaster>> {
    static BROADCASTER: OnceLock<Arc<Mutex<TracingBroadcaster>>> = OnceLock::new();
    BROADCASTER.get_or_init(TracingBroadcaster::create)
}

static METRICS: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Durations from a quick job (a few ms) to a long transcode (an hour), in seconds.
const DURATION_BUCKETS: [f64; 14] =
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0, 300.0, 900.0, 3600.0];

/// Installs the process's Prometheus recorder once; `None` if another recorder was there.
/// Every `*_seconds` histogram is a Prometheus histogram (buckets), not a summary, so that
/// a dashboard can aggregate it across processes.
pub fn metrics() -> Option<&'static PrometheusHandle> {
    METRICS
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &DURATION_BUCKETS)
                .ok()?
                .install_recorder()
                .ok()
        })
        .as_ref()
}
