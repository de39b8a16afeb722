//! The web process: vteacher's API under `/api`, the apalis-board dashboard at `/` (its own
//! API at `/api/v1`), `/metrics` (behind the token unless `METRICS_PUBLIC`), `/healthz` and `/readyz`,
//! and the OpenAPI document of all but the dashboard at `/api/openapi.json` (public). A route added
//! here needs its `#[utoipa::path]` in `openapi` (the `openapi` integration test walks them).

mod auth;
mod board;
mod bookings;
mod classes;
pub mod error;
mod health;
mod login_limit;
mod metrics;
mod nodes;
mod openapi;
mod session;
mod storage;
mod transcodes;

use apalis_board::axum::ui::ServeUI;
use axum::{
    Router, middleware,
    routing::{get, post},
};
use shared::App;
use tokio::net::TcpListener;

pub use openapi::build as openapi_document;

pub fn router(app: App, dashboard_api: Router) -> Router {
    // Listed route by route (not nested at /api): /api/v1 belongs to the dashboard.
    let api = Router::new()
        .route("/api/bookings", post(bookings::create))
        .route("/api/bookings/{class_id}", get(bookings::show))
        .route("/api/classes/{class_id}/end", post(classes::end))
        .route("/api/nodes", get(nodes::list))
        .route("/api/nodes/{node}", get(nodes::show))
        .route("/api/transcode/oss", post(transcodes::oss))
        .route("/api/transcode/ecs", post(transcodes::ecs))
        .route("/api/transcode/result", post(transcodes::result))
        .route("/api/transcodes/{record_id}", get(transcodes::list))
        .route("/api/transcodes/{record_id}/{resolution}/reset", post(transcodes::reset))
        .route_layer(middleware::from_fn_with_state(app.clone(), auth::require_token));
    let board = Router::new()
        .nest(
            "/api/v1",
            // `layer`, not `route_layer`: the live board is one fallback, not a route. (A request
            // without the token is sent to the login form before it gets here: `require_login`.)
            dashboard_api
                .layer(axum::Extension(crate::telemetry::broadcaster().clone()))
                .layer(middleware::from_fn_with_state(app.clone(), auth::require_token)),
        )
        .fallback_service(ServeUI::new())
        .layer(middleware::from_fn_with_state(app.clone(), auth::require_login));
    // Behind the token unless METRICS_PUBLIC (a scraper sends it as a bearer token).
    let mut metrics = Router::new().route("/metrics", get(metrics::metrics));
    if !app.settings.metrics_public {
        metrics = metrics.route_layer(middleware::from_fn_with_state(app.clone(), auth::require_token));
    }
    // Per process: each web of a fleet counts its own clients' attempts.
    let limiter = login_limit::LoginLimiter::new(app.settings.behind_proxy);
    let limit_logins = middleware::from_fn_with_state(limiter, login_limit::limit);
    api.merge(metrics)
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/api/openapi.json", get(openapi::document))
        .route("/storage/", get(storage::empty_key))
        .route("/storage/{*key}", get(storage::serve))
        .route("/login", get(auth::login_form).post(auth::login).layer(limit_logins))
        .with_state(app)
        .merge(board)
}

/// Serves until shutdown, then lets requests in flight finish for at most `SHUTDOWN_TIMEOUT`:
/// a stream that never ends (the dashboard's live logs) does not hold the process.
pub async fn serve(listener: TcpListener, app: App) -> std::io::Result<()> {
    let board = board::LiveBoard::new(app.clone()).into_router();
    let router = router(app.clone(), board);
    let shutdown = app.shutdown.clone();
    // With each connection's peer address: `/login`'s rate limit counts by it.
    let router = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, router).with_graceful_shutdown(shutdown.clone().cancelled_owned());
    let drain = app.settings.shutdown_timeout.0;
    tokio::select! {
        served = server => served,
        () = async { shutdown.cancelled().await; tokio::time::sleep(drain).await } => {
            tracing::warn!(?drain, "connections still open at the end of the drain (a live log stream?): closed");
            Ok(())
        }
    }
}
