//! The dashboard's API (apalis-board's, under `/api/v1`). Its lists (queues, workers, every
//! queue's jobs) show the shared queues and this process's node's, and its overview counts
//! every queue a page of the registry per Redis call: a page costs Redis a bounded number of
//! commands however many push hosts there are. Another host's queue is served on request: a
//! request naming one gets a router for that queue alone, built then (apalis-board builds
//! routes queue by queue; one per host of a fleet would be tens of thousands).

use std::{collections::HashSet, sync::Arc};

use axum::{
    Router,
    extract::Request,
    response::{IntoResponse, Response},
};
use shared::{App, jobs};
use tower::ServiceExt;

#[derive(Clone)]
pub(super) struct LiveBoard {
    app: App,
    home: Router,
    listed: Arc<HashSet<String>>,
}

impl LiveBoard {
    pub(super) fn new(app: App) -> Self {
        let node = &app.settings.node_id;
        let listed = jobs::board_queues(&app.queues, node).into_iter().collect();
        let home = jobs::board_api(&app.queues, node);
        Self { app, home, listed: Arc::new(listed) }
    }

    /// The router to nest under `/api/v1`: every request goes to the board.
    pub(super) fn into_router(self) -> Router {
        Router::new().fallback(move |request: Request| {
            let board = self.clone();
            async move { board.serve(request).await }
        })
    }

    async fn serve(&self, request: Request) -> Response {
        let other_host = queue_of(request.uri().path()).filter(|queue| !self.listed.contains(queue));
        let router = other_host.and_then(|queue| jobs::board_queue_api(&self.app.queues, &queue));
        router.unwrap_or_else(|| self.home.clone()).oneshot(request).await.into_response()
    }
}

/// The queue a request is about: `/queues/{queue}/…` (a client may escape its colons).
fn queue_of(path: &str) -> Option<String> {
    let queue = path.strip_prefix("/queues/")?.split('/').next()?;
    Some(queue.replace("%3A", ":").replace("%3a", ":"))
}
