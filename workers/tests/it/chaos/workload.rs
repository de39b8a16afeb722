//! The mixed workload: listed renditions, legacy bookings, unlisted ones that ecs makes with
//! ffmpeg, bookings sent twice, and class ends (some before the video is ready). Every request
//! is retried until the web process answers: it is killed too, as a web app would see it.

use std::{sync::Arc, time::Duration};

use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::helpers::{FileServer, lesson_bytes, small_lesson_video};

/// What the harness did to one class.
#[derive(Debug, Clone)]
pub(crate) struct Class {
    pub class_id: String,
    pub ended: bool,
}

pub(crate) struct Workload {
    pub base: String,
    pub http: reqwest::Client,
}

impl Workload {
    pub(crate) fn new(base: String) -> Self {
        let http = shared::tools::http::builder().timeout(Duration::from_secs(5)).build().unwrap();
        Self { base, http }
    }

    /// POSTs until the web process takes it (2xx) or refuses it for good (4xx).
    async fn post(&self, path: &str, body: Option<&Value>) -> u16 {
        loop {
            let mut request = self.http.post(format!("{}{path}", self.base));
            if let Some(body) = body {
                request = request.json(body);
            }
            match request.send().await {
                Ok(response) if response.status().as_u16() < 500 => return response.status().as_u16(),
                _ => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Option<Value> {
        let response = self.http.get(format!("{}{path}", self.base)).send().await.ok()?;
        if !response.status().is_success() {
            return None;
        }
        response.json().await.ok()
    }

    /// Runs `count` classes over `window`, returns what was done to each.
    pub(crate) async fn run(self: Arc<Self>, urls: Arc<Urls>, count: usize, window: Duration, seed: u64) -> Vec<Class> {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut classes = JoinSet::new();
        for n in 0..count {
            let start = window.mul_f64(n as f64 / count as f64);
            let body = urls.booking(&mut rng, n);
            let twice = rng.u8(0..5) == 0;
            let end_after = (rng.u8(0..2) == 0).then(|| Duration::from_millis(rng.u64(0..4000)));
            let this = self.clone();
            classes.spawn(async move {
                tokio::time::sleep(start).await;
                let class_id = body["class_id"].as_str().unwrap().to_owned();
                assert!(this.post("/api/bookings", Some(&body)).await < 300, "{body}");
                if twice {
                    this.post("/api/bookings", Some(&body)).await;
                }
                if let Some(after) = end_after {
                    tokio::time::sleep(after).await;
                    assert_eq!(this.post(&format!("/api/classes/{class_id}/end"), None).await, 200);
                }
                Class { class_id, ended: end_after.is_some() }
            });
        }
        classes.join_all().await
    }
}

/// Where the lessons are served.
pub(crate) struct Urls {
    pub lesson: String,
    pub videos: Vec<String>,
}

impl Urls {
    /// Serves the workload's lessons on `server`: twelve listed videos and a short lesson ecs
    /// can transcode (made with ffmpeg in `dir`).
    pub(crate) async fn serve(server: &FileServer, dir: &std::path::Path) -> Self {
        let videos = (0..12)
            .map(|v| {
                server.put(&format!("v{v}.flv"), lesson_bytes(40_000 + v * 1000));
                server.url(&format!("v{v}.flv"))
            })
            .collect();
        server.put("lesson.flv", small_lesson_video(dir, "short", 2).await);
        Self { lesson: server.url("lesson.flv"), videos }
    }

    /// A booking: a listed 480P of one of the videos (60%), a legacy one (20%), an unlisted
    /// 240P that ecs makes from the lesson (20%).
    fn booking(&self, rng: &mut fastrand::Rng, n: usize) -> Value {
        let class_id = format!("chaos-{n}");
        let video = rng.usize(0..self.videos.len());
        let record = 300 + video as i64;
        match rng.u8(0..10) {
            0..=5 => json!({"class_id": class_id, "record_id": record, "video_resolution": "480P",
                "video_url_list": {"480P": self.videos[video]}}),
            6 | 7 => json!({"class_id": class_id, "record_id": record, "video_url": self.videos[video]}),
            _ => json!({"class_id": class_id, "record_id": 290 + rng.i64(0..3), "video_resolution": "240P",
                "video_url": self.lesson}),
        }
    }
}
