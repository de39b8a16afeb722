//! The dashboard's API (apalis-board's, under `/api/v1`) over every node's queues, those of
//! nodes that joined after web started included. apalis-board builds its routes queue by
//! queue, once; so when a request names a queue the routes lack, the nodes are read again and
//! the routes rebuilt. At most once per `NODE_HEARTBEAT`: a request for a name that is no
//! queue must not make web read the whole directory every time.

use std::{collections::HashSet, sync::Arc, time::Instant};

use axum::{
    Router,
    extract::Request,
    response::{IntoResponse, Response},
};
use shared::{App, domain::NodeId, jobs};
use tokio::sync::Mutex;
use tower::ServiceExt;

struct Built {
    queues: HashSet<String>,
    router: Router,
    at: Instant,
}

fn build(app: &App, nodes: &[NodeId]) -> Built {
    Built {
        queues: jobs::board_queues(&app.queues, nodes).into_iter().collect(),
        router: jobs::board_api(&app.queues, nodes),
        at: Instant::now(),
    }
}

#[derive(Clone)]
pub(super) struct LiveBoard {
    app: App,
    built: Arc<Mutex<Built>>,
}

impl LiveBoard {
    pub(super) async fn new(app: App) -> Self {
        let nodes = jobs::known_nodes(&app).await;
        let built = build(&app, &nodes);
        Self { app, built: Arc::new(Mutex::new(built)) }
    }

    /// The router to nest under `/api/v1`: every request goes to the current board.
    pub(super) fn into_router(self) -> Router {
        Router::new().fallback(move |request: Request| {
            let board = self.clone();
            async move { board.serve(request).await }
        })
    }

    async fn serve(&self, request: Request) -> Response {
        let router = {
            let mut built = self.built.lock().await;
            let unknown = queue_of(request.uri().path()).is_some_and(|queue| !built.queues.contains(&queue));
            if unknown && built.at.elapsed() >= self.app.settings.node_heartbeat.0 {
                let nodes = jobs::known_nodes(&self.app).await;
                *built = build(&self.app, &nodes);
            }
            built.router.clone()
        };
        router.oneshot(request).await.into_response()
    }
}

/// The queue a request is about: `/queues/{queue}/…` (a client may escape its colons).
fn queue_of(path: &str) -> Option<String> {
    let queue = path.strip_prefix("/queues/")?.split('/').next()?;
    Some(queue.replace("%3A", ":").replace("%3a", ":"))
}
