//! A running app whose transcode queues nobody consumes (so a test sees exactly which
//! transcode jobs were queued), with result and alarm webhooks, and a lesson server.

use std::time::Duration;

use serde_json::{Value, json};
use shared::jobs::{TranscodeEcsJob, TranscodeOssJob};
use workers::roles::Launch;

use crate::helpers::*;

pub(super) struct Fixture {
    pub env: TestEnv,
    pub app: TestApp,
    pub server: FileServer,
    pub results: WebhookSink,
    pub alarms: WebhookSink,
}

pub(super) const LESSON: usize = 40_000;

impl Fixture {
    /// Everything but the transcode workers.
    pub(super) async fn new(stack: Stack) -> Self {
        Self::with(stack, |_| {}).await
    }

    pub(super) async fn with(stack: Stack, configure: impl FnOnce(&mut TestEnv)) -> Self {
        let mut env = TestEnv::new(stack).await;
        let results = WebhookSink::start().await;
        let alarms = WebhookSink::start().await;
        env.set("RESULT_WEBHOOK_URL", results.url.clone());
        env.set("ALARM_WEBHOOK_URL", alarms.url.clone());
        configure(&mut env);
        let queues = ["booking", "transcode-result", "notify", "node-report", "download", "class-end"]
            .map(String::from)
            .to_vec();
        let app = env.spawn_with(Launch { web: true, migrate: true, queues, ..Launch::default() }).await;
        let server = FileServer::start().await.unwrap();
        server.put("src.flv", lesson_bytes(LESSON));
        server.put("6666_240P.flv", lesson_bytes(LESSON));
        Self { env, app, server, results, alarms }
    }

    /// Books an unlisted 240P of record 6666 for `class_id`.
    pub(super) async fn book(&self, class_id: &str) -> reqwest::Response {
        let body = json!({"class_id": class_id, "record_id": 6666, "video_resolution": "240P",
            "video_url": self.server.url("src.flv"), "video_url_list": {"720P": self.server.url("src.flv")}});
        self.app.post_booking(&body).await
    }

    pub(super) async fn transcode(&self) -> Option<Value> {
        let response = self.app.http.get(self.app.url("/api/transcodes/6666")).send().await.unwrap();
        if response.status() == 404 {
            return None;
        }
        let all: Vec<Value> = response.json().await.unwrap();
        all.into_iter().find(|t| t["video_resolution"] == "240P")
    }

    /// Waits until the transcode of 6666 240P is in `state` (with `provider`, when given).
    pub(super) async fn transcode_becomes(&self, state: &str, provider: Option<&str>) -> Value {
        eventually(&format!("the transcode to be {state} ({provider:?})"), Duration::from_secs(20), || async {
            let t = self.transcode().await?;
            (t["state"] == state && provider.is_none_or(|p| t["provider"] == p)).then_some(t)
        })
        .await
    }

    pub(super) async fn oss_jobs(&self) -> Vec<TranscodeOssJob> {
        self.app.app.queues.waiting::<TranscodeOssJob>(None).await.unwrap()
    }

    /// How many oss jobs wait, once at least `n` do: a decision commits its state, then
    /// enqueues, so the state can be seen before its job.
    pub(super) async fn oss_jobs_at_least(&self, n: usize) -> usize {
        eventually(&format!("{n} oss job(s) queued"), Duration::from_secs(10), || async {
            let count = self.oss_jobs().await.len();
            (count >= n).then_some(count)
        })
        .await
    }

    pub(super) async fn ecs_jobs(&self) -> Vec<TranscodeEcsJob> {
        self.app.app.queues.waiting::<TranscodeEcsJob>(None).await.unwrap()
    }

    /// Sends a transcode result through `POST /api/transcode/result`.
    pub(super) async fn post_result(&self, provider: &str, result: &str, url: Option<&str>) -> reqwest::Response {
        let body = json!({"cmd": "transcoding", "record_id": 6666, "video_resolution": "240P",
            "result": result, "transcode_video_url": url, "type": provider});
        self.app.http.post(self.app.url("/api/transcode/result")).json(&body).send().await.unwrap()
    }

    /// The rendition's URL on the lesson server.
    pub(super) fn rendition_url(&self) -> String {
        self.server.url("6666_240P.flv")
    }

    pub(super) async fn stop(self) {
        self.app.stop().await;
    }
}
