//! How a process is asked to stop.

use tokio_util::sync::CancellationToken;

/// SIGTERM or SIGINT: stop taking jobs, finish or hand back the running ones.
pub(super) async fn stop_on_signal(shutdown: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: shutting down"),
        () = shutdown.cancelled() => return,
    }
    shutdown.cancel();
}
