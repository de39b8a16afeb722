//! `/metrics` (Prometheus text): the counters and histograms this process keeps (jobs, runs
//! and their durations, transcode results and durations, alarms, the bridge's rejections), and
//! gauges read at scrape time from the shared state, so that any web process reports the
//! whole fleet: queue depth by state from the queue backend, bookings by state and transcodes
//! by state and provider from the database, and each push host's last status from the node
//! directory. Every family is listed in docs/api.md ("Metrics").

use axum::{extract::State, response::IntoResponse};
use sea_orm::{ActiveEnum, Iterable};
use shared::{
    App, booking,
    db::now_ms,
    domain::{BookingState, Provider, TranscodeState},
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

/// Every node's last report (`vteacher_node_*{node}`), and `vteacher_bookings_at_risk` (their
/// downloads not expected ready before class), read from the directory: the nodes themselves
/// serve no /metrics.
async fn node_gauges(app: &App) {
    let Ok(statuses) = app.directory.statuses().await else { return };
    let now = now_ms();
    let mut at_risk = 0;
    for s in statuses {
        let node = s.node.to_string();
        let live = shared::directory::is_live(&s, app.settings.node_live_for(), now);
        at_risk += if live { s.downloads_at_risk } else { 0 };
        let gauge = |name: &'static str, value: f64| metrics::gauge!(name, "node" => node.clone()).set(value);
        gauge("vteacher_node_live", f64::from(u8::from(live)));
        gauge("vteacher_node_cache_bytes", s.used_bytes as f64);
        gauge("vteacher_node_cache_videos", s.video_count as f64);
        gauge("vteacher_node_cache_reserved_bytes", s.reserved_bytes as f64);
        gauge("vteacher_node_cache_referenced_bytes", s.referenced_bytes as f64);
        gauge("vteacher_node_cache_evictions", s.evictions as f64);
        gauge("vteacher_node_free_disk_bytes", s.free_disk_bytes as f64);
        gauge("vteacher_node_downloads_active", s.downloads_active as f64);
        gauge("vteacher_node_downloads_at_risk", s.downloads_at_risk as f64);
        gauge("vteacher_node_downloaded_bytes", s.downloaded_bytes as f64);
        let rate =
            if s.download_millis > 0 { s.downloaded_bytes as f64 * 1000.0 / s.download_millis as f64 } else { 0.0 };
        gauge("vteacher_node_download_rate_bytes_per_second", rate);
    }
    metrics::gauge!("vteacher_bookings_at_risk").set(at_risk as f64);
}
