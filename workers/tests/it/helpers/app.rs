//! The app as a test drives it: over HTTP, and its published results.

use std::{net::SocketAddr, time::Duration};

use serde_json::Value;
use shared::{App, NodeApp};
use tokio::sync::mpsc;
use workers::roles::Running;

use super::eventually;

pub(crate) struct Results {
    pub(super) rx: mpsc::UnboundedReceiver<Value>,
    pub seen: Vec<Value>,
}

impl Results {
    /// Waits for the result of `class_id`.
    pub(crate) async fn of(&mut self, class_id: &str, timeout: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(found) = self.seen.iter().find(|r| r["class_id"] == class_id) {
                return found.clone();
            }
            let next = tokio::time::timeout_at(deadline, self.rx.recv()).await;
            let value = next.unwrap_or_else(|_| panic!("no result for {class_id} within {timeout:?}"));
            self.seen.push(value.expect("result stream open"));
        }
    }
}

pub(crate) struct TestApp {
    pub app: App,
    /// The push host, when the app runs a node's queues.
    pub node: Option<NodeApp>,
    pub addr: Option<SocketAddr>,
    pub http: reqwest::Client,
    pub(super) running: Option<Running>,
}

impl TestApp {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr.expect("web is running"))
    }

    pub(crate) async fn post_booking(&self, body: &Value) -> reqwest::Response {
        self.http.post(self.url("/api/bookings")).json(body).send().await.expect("request")
    }

    pub(crate) async fn post_raw(&self, body: &str) -> reqwest::Response {
        self.http
            .post(self.url("/api/bookings"))
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("request")
    }

    pub(crate) async fn booking(&self, class_id: &str) -> Option<Value> {
        let response = self.http.get(self.url(&format!("/api/bookings/{class_id}"))).send().await.expect("request");
        if response.status() == 404 {
            return None;
        }
        Some(response.json().await.expect("JSON"))
    }

    /// Waits until the booking reaches `state` (panics if it settles in another).
    pub(crate) async fn wait_for_state(&self, class_id: &str, state: &str) -> Value {
        eventually(&format!("{class_id} to be {state}"), Duration::from_secs(30), || async {
            let booking = self.booking(class_id).await?;
            let now = booking["state"].as_str().unwrap_or_default().to_owned();
            if now != state && (now == "ready" || now == "failed") {
                panic!("{class_id} settled as {now}, not {state}: {booking}");
            }
            (now == state).then_some(booking)
        })
        .await
    }

    /// Waits until the booking's result is recorded sent: the last write of a booking's life
    /// before its class ends (results sent are recorded a batch at a time).
    pub(crate) async fn wait_for_result_sent(&self, class_id: &str) {
        let class: shared::domain::ClassId = class_id.parse().expect("a valid class id");
        eventually(&format!("{class_id}'s result recorded sent"), Duration::from_secs(30), || async {
            shared::booking::store::find(&self.app.db.conn, &class).await.ok()??.notified_at.map(drop)
        })
        .await
    }

    /// The sum of the Prometheus samples of `name` whose labels contain `label`.
    pub(crate) async fn metric(&self, name: &str, label: &str) -> u64 {
        let text = self.http.get(self.url("/metrics")).send().await.unwrap().text().await.unwrap();
        text.lines()
            .filter(|l| l.starts_with(name) && l.contains(label))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }

    /// The sum of the Prometheus samples of `name` whose line contains every one of `labels`.
    pub(crate) async fn metric_with(&self, name: &str, labels: &[&str]) -> u64 {
        let text = self.http.get(self.url("/metrics")).send().await.unwrap().text().await.unwrap();
        text.lines()
            .filter(|l| l.starts_with(name) && labels.iter().all(|label| l.contains(label)))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }

    pub(crate) async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.expect("the app stops cleanly");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(running) = &self.running {
            running.shutdown.cancel();
        }
    }
}
