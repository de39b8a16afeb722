//! The storm: bookings of videos served by the bench's file server, posted to the fleet's
//! `web` as fast as it takes them (a bounded number of requests in flight), each left to
//! placement; the time from its POST to its result on `CHANNEL_RESULT`, and how often each
//! video was fetched by each node (the file server counts per path and User-Agent, which names
//! the node).

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::{sync::Semaphore, task::JoinSet};

use workers::{
    fileserver::{FileServer, pattern},
    progress::Bars,
};

/// POSTs in flight at once.
const POSTS: usize = 32;

pub(super) struct Storm {
    pub bookings: usize,
    pub videos: usize,
    /// The last result must arrive this long after the first POST.
    pub deadline: Duration,
}

#[derive(Debug, Clone, Default)]
pub(super) struct StormOutcome {
    /// POST → result, per booking that got one, sorted.
    pub latencies: Vec<Duration>,
    /// First POST → last result.
    pub wall: Duration,
    /// Results by their `result` field (`success`, `fail`…).
    pub results: HashMap<String, u64>,
    /// Fetches by (video path, User-Agent).
    pub fetches: HashMap<(String, String), u64>,
}

impl StormOutcome {
    pub(super) fn quantile(&self, q: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        self.latencies[((self.latencies.len() - 1) as f64 * q).round() as usize]
    }

    /// The most times one node fetched one video.
    pub(super) fn most_fetches_by_a_node(&self) -> u64 {
        self.fetches.values().copied().max().unwrap_or(0)
    }

    /// (video, node) pairs fetched more than once.
    pub(super) fn fetched_twice(&self) -> usize {
        self.fetches.values().filter(|n| **n > 1).count()
    }

    /// How many distinct videos each node fetched (its User-Agent names it).
    pub(super) fn videos_by_node(&self) -> BTreeMap<String, usize> {
        let mut by_node = BTreeMap::new();
        for (_, agent) in self.fetches.keys() {
            *by_node.entry(agent.clone()).or_default() += 1;
        }
        by_node
    }

    /// Videos fetched by more than one node.
    pub(super) fn videos_on_two_nodes(&self) -> usize {
        let mut nodes_of: HashMap<&str, usize> = HashMap::new();
        for (path, _) in self.fetches.keys() {
            *nodes_of.entry(path.as_str()).or_default() += 1;
        }
        nodes_of.values().filter(|n| **n > 1).count()
    }
}

/// Serves `videos` small videos of distinct sizes at `/{n}.flv`.
pub(super) fn serve_videos(server: &FileServer, videos: usize) {
    for video in 0..videos {
        server.put(&format!("{video}.flv"), pattern(4_096 + video));
    }
}

pub(super) async fn run(
    storm: &Storm,
    web: &str,
    redis_url: &str,
    channel: &str,
    server: &FileServer,
) -> anyhow::Result<StormOutcome> {
    let posted: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let (tx, mut results) = tokio::sync::mpsc::unbounded_channel::<(String, String, Instant)>();
    let mut messages = shared::tools::pubsub::subscribe(redis_url, &[channel.to_owned()]).await?;
    let listener = tokio::spawn(async move {
        while let Some(message) = messages.next().await {
            let at = Instant::now();
            let Ok(result) = serde_json::from_slice::<Value>(&message.payload) else { continue };
            let class = result["class_id"].as_str().unwrap_or_default().to_owned();
            let outcome = result["result"].as_str().unwrap_or("?").to_owned();
            if tx.send((class, outcome, at)).is_err() {
                return;
            }
        }
    });

    let http = shared::tools::http::bare();
    let slots = Arc::new(Semaphore::new(POSTS));
    let mut rng = fastrand::Rng::with_seed(12);
    let started = Instant::now();
    let mut posts = JoinSet::new();
    for n in 0..storm.bookings {
        let video = rng.usize(0..storm.videos);
        let body = json!({"class_id": format!("fleet-{n}"), "record_id": 100_000 + video,
            "video_resolution": "480P", "video_url_list": {"480P": server.url(&format!("{video}.flv"))}});
        let permit = slots.clone().acquire_owned().await?;
        let (http, url, posted) = (http.clone(), format!("{web}/api/bookings"), posted.clone());
        posts.spawn(async move {
            let _permit = permit;
            posted
                .lock()
                .expect("lock")
                .insert(body["class_id"].as_str().unwrap_or_default().to_owned(), Instant::now());
            let response = http.post(url).json(&body).send().await.context("POST /api/bookings")?;
            if response.status() != 202 {
                bail!("POST /api/bookings: {} {}", response.status(), response.text().await.unwrap_or_default());
            }
            Ok(())
        });
    }
    while let Some(done) = posts.join_next().await {
        done??;
    }
    println!("  {} bookings posted in {:.1} s", storm.bookings, started.elapsed().as_secs_f64());

    let mut outcome = StormOutcome::default();
    let mut last = started;
    let deadline = tokio::time::Instant::now() + storm.deadline;
    let bar = Bars::new().steps(storm.bookings as u64, "results");
    while outcome.latencies.len() < storm.bookings {
        let Ok(Some((class, result, at))) = tokio::time::timeout_at(deadline, results.recv()).await else {
            break;
        };
        let Some(sent) = posted.lock().expect("lock").remove(&class) else { continue };
        outcome.latencies.push(at - sent);
        *outcome.results.entry(result).or_default() += 1;
        last = last.max(at);
        bar.inc(1);
    }
    bar.finish_and_clear();
    listener.abort();
    outcome.latencies.sort();
    outcome.wall = last - started;
    outcome.fetches = server.requests_by_path_and_agent();
    Ok(outcome)
}
