//! A webhook receiver on loopback.

use std::time::Duration;

use serde_json::Value;

use super::eventually;

/// Receives webhook POSTs (`RESULT_WEBHOOK_URL`) on loopback; answers 503 while `failing`.
pub(crate) struct WebhookSink {
    pub url: String,
    received: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
    pub failing: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl WebhookSink {
    pub(crate) async fn start() -> Self {
        use std::sync::{Arc, Mutex, atomic::AtomicBool, atomic::Ordering};

        use axum::{Json, Router, extract::State, http::StatusCode, routing::post};
        type Shared = (Arc<Mutex<Vec<Value>>>, Arc<AtomicBool>);
        let received = Arc::new(Mutex::new(Vec::new()));
        let failing = Arc::new(AtomicBool::new(false));
        let router = Router::new()
            .route(
                "/hook",
                post(|State((store, failing)): State<Shared>, Json(body): Json<Value>| async move {
                    if failing.load(Ordering::SeqCst) {
                        return StatusCode::SERVICE_UNAVAILABLE;
                    }
                    store.lock().unwrap().push(body);
                    StatusCode::OK
                }),
            )
            .with_state((received.clone(), failing.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { url, received, failing }
    }

    /// Everything received so far.
    pub(crate) fn received(&self) -> Vec<Value> {
        self.received.lock().unwrap().clone()
    }

    /// Waits for a POST whose `field` is `value`.
    pub(crate) async fn one_with(&self, field: &str, value: &str) -> Value {
        eventually(&format!("a webhook POST with {field}={value}"), Duration::from_secs(30), || async {
            self.received.lock().unwrap().iter().find(|r| r[field] == value).cloned()
        })
        .await
    }

    pub(crate) async fn result_of(&self, class_id: &str) -> Value {
        eventually(&format!("a webhook result for {class_id}"), Duration::from_secs(30), || async {
            self.received.lock().unwrap().iter().find(|r| r["class_id"] == class_id).cloned()
        })
        .await
    }
}
