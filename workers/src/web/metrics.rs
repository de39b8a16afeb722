//! `/metrics` (Prometheus text): the counters and histograms this process keeps (jobs, runs
//! and their durations, transcode results and durations, alarms, the bridge's rejections), and
//! gauges read at scrape time from the shared state, so that any web process reports the
//! whole fleet: queue depth by state from the queue backend (a per-host queue summed by its
//! base name), bookings by state and transcodes by state and provider from the database, and
//! the push hosts' last statuses from the node directory, summed. A scrape costs Redis a
//! bounded number of commands, not a few per push host (BENCHMARKS.md, "Scrape").
//! Every family is listed in docs/api.md ("Metrics").

use axum::{extract::State, response::IntoResponse};
use sea_orm::{ActiveEnum, Iterable};
use shared::{
    App, booking,
    db::now_ms,
    directory::is_live,
    domain::{BookingState, NodeStatus, Provider, TranscodeState},
    jobs, transcode,
};

/// Prometheus text. Behind the token unless `METRICS_PUBLIC` (the served document then says so).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses(
        (status = 200, description = "Prometheus text exposition", content_type = "text/plain", body = String,
            example = "vteacher_jobs_total{queue=\"booking\",outcome=\"done\"} 3\n"),
        (status = 401, response = super::openapi::Unauthorized)),
    security(("bearer" = []), ("cookie" = [])))]
pub(super) async fn metrics(State(app): State<App>) -> impl IntoResponse {
    queue_gauges(&app).await;
    booking_gauges(&app).await;
    transcode_gauges(&app).await;
    node_gauges(&app).await;
    let text = crate::telemetry::metrics().map(|h| h.render()).unwrap_or_default();
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}

/// `vteacher_queue_jobs{queue, state}`: every queue of `JOBS`, at zero before its first job.
async fn queue_gauges(app: &App) {
    let Ok(depths) = app.queues.depths().await else { return };
    let known = jobs::JOBS.iter().map(|job| job.queue.to_owned());
    let queues: std::collections::BTreeSet<String> = known.chain(depths.keys().cloned()).collect();
    for queue in queues {
        let depth = depths.get(&queue);
        for state in ["pending", "running", "delayed", "done", "dead"] {
            let n = depth.and_then(|d| d.get(state)).copied().unwrap_or(0);
            metrics::gauge!("vteacher_queue_jobs", "queue" => queue.clone(), "state" => state).set(n as f64);
        }
    }
}

/// `vteacher_bookings{state}`.
async fn booking_gauges(app: &App) {
    let Ok(rows) = booking::store::count_by_state(&app.db.conn).await else { return };
    for state in BookingState::iter() {
        let n = rows.iter().find(|(s, _)| *s == state).map_or(0, |(_, n)| *n);
        metrics::gauge!("vteacher_bookings", "state" => state.to_value()).set(n as f64);
    }
}

/// `vteacher_transcodes{state, provider}` (provider `none` before one took it).
async fn transcode_gauges(app: &App) {
    let Ok(rows) = transcode::store::count_by_state(&app.db.conn).await else { return };
    // Every state by each provider at zero first: a dashboard reads 0, not "no data".
    let providers = Provider::iter().map(Some).chain([None]);
    let pairs = TranscodeState::iter().flat_map(|state| providers.clone().map(move |provider| (state, provider)));
    for (state, provider) in pairs {
        let n = rows.iter().find(|(s, p, _)| (*s, *p) == (state, provider)).map_or(0, |(_, _, n)| *n);
        let provider = provider.map_or("none", Provider::as_str);
        metrics::gauge!("vteacher_transcodes", "state" => state.to_value(), "provider" => provider).set(n as f64);
    }
}

/// The push hosts in a few series, whatever their number: how many reported within a day,
/// live or silent (`vteacher_nodes{state}`), what the live ones hold and do, summed
/// (`vteacher_nodes_*`), the least free disk among them (the host nearest full), and
/// `vteacher_bookings_at_risk` (downloads not expected ready before class). A series per host
/// would be tens of thousands in a fleet; one host's figures are `GET /api/nodes/{node}`.
async fn node_gauges(app: &App) {
    let Ok(statuses) = app.directory.statuses().await else { return };
    let now = now_ms();
    let live: Vec<&NodeStatus> = statuses.iter().filter(|s| is_live(s, app.settings.node_live_for(), now)).collect();
    metrics::gauge!("vteacher_nodes", "state" => "live").set(live.len() as f64);
    metrics::gauge!("vteacher_nodes", "state" => "silent").set((statuses.len() - live.len()) as f64);
    for (name, figure) in SUMMED {
        metrics::gauge!(*name).set(live.iter().map(|s| figure(s)).sum::<f64>());
    }
    let least_free = live.iter().map(|s| s.free_disk_bytes).min().unwrap_or(0);
    metrics::gauge!("vteacher_nodes_free_disk_bytes_min").set(least_free as f64);
}

type Figure = fn(&NodeStatus) -> f64;

/// What the live push hosts' last heartbeats say, summed over them.
const SUMMED: &[(&str, Figure)] = &[
    ("vteacher_nodes_cache_bytes", |s| s.used_bytes as f64),
    ("vteacher_nodes_cache_videos", |s| s.video_count as f64),
    ("vteacher_nodes_cache_reserved_bytes", |s| s.reserved_bytes as f64),
    ("vteacher_nodes_cache_referenced_bytes", |s| s.referenced_bytes as f64),
    ("vteacher_nodes_cache_evictions", |s| s.evictions as f64),
    ("vteacher_nodes_free_disk_bytes", |s| s.free_disk_bytes as f64),
    ("vteacher_nodes_downloads_active", |s| s.downloads_active as f64),
    ("vteacher_bookings_at_risk", |s| s.downloads_at_risk as f64),
    ("vteacher_nodes_downloaded_bytes", |s| s.downloaded_bytes as f64),
    ("vteacher_nodes_download_rate_bytes_per_second", download_rate),
];

/// A host's achieved rate: bytes its finished downloads fetched ÷ the time they took.
fn download_rate(s: &NodeStatus) -> f64 {
    if s.download_millis > 0 { s.downloaded_bytes as f64 * 1000.0 / s.download_millis as f64 } else { 0.0 }
}
