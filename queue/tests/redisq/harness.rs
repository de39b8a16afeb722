//! Workers with test handlers on a queue of their own, on the engine's Redis backend.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use apalis::prelude::WorkerBuilderExt;
use apalis_core::{
    backend::{TaskSink, ext::BackendExt},
    error::{AbortError, BoxDynError},
    task::{attempt::Attempt, data::Data},
    worker::builder::WorkerBuilder,
};
use redis::aio::ConnectionManager;
use tokio_util::sync::CancellationToken;
use vteacher_queue::{
    fetch_batch,
    redisq::{QueueConfig, RedisQueue, WakeHub},
};

use testkit::{eventually, redis::redis_url};

/// What a test handler does with each job.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Behaviour {
    Succeed,
    Fail,
    Abort,
    Sleep(Duration),
    /// Sleeps as many tenths of a second as the job's number (job 45: 4.5 s).
    SleepTenths,
    /// Records its run in Redis (visible across processes), then never returns.
    RecordAndHang,
}

/// Every run of every job, as this process saw them, and how many finished.
#[derive(Default)]
pub(crate) struct Runs(Mutex<HashMap<u64, Vec<(Instant, usize)>>>, std::sync::atomic::AtomicUsize);

impl Runs {
    pub(crate) fn finished(&self) -> usize {
        self.1.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub(crate) fn of(&self, job: u64) -> Vec<(Instant, usize)> {
        self.0.lock().unwrap().get(&job).cloned().unwrap_or_default()
    }

    pub(crate) fn total(&self) -> usize {
        self.0.lock().unwrap().values().map(Vec::len).sum()
    }

    pub(crate) fn jobs_run_more_than_once(&self) -> usize {
        self.0.lock().unwrap().values().filter(|runs| runs.len() > 1).count()
    }
}

struct Ctx {
    runs: Arc<Runs>,
    behaviour: Behaviour,
    redis: ConnectionManager,
    runs_key: String,
}

async fn handler(job: u64, ctx: Data<Arc<Ctx>>, attempt: Attempt) -> Result<(), BoxDynError> {
    ctx.runs.0.lock().unwrap().entry(job).or_default().push((Instant::now(), attempt.current()));
    match ctx.behaviour {
        Behaviour::Succeed => Ok(()),
        Behaviour::Fail => Err("this job always fails".into()),
        Behaviour::Abort => Err(Box::new(AbortError::new(std::io::Error::other("cannot ever work")))),
        Behaviour::Sleep(d) => {
            tokio::time::sleep(d).await;
            ctx.runs.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        }
        Behaviour::SleepTenths => {
            tokio::time::sleep(Duration::from_millis(job * 100)).await;
            ctx.runs.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        }
        Behaviour::RecordAndHang => {
            let mut conn = ctx.redis.clone();
            let _: () = redis::cmd("RPUSH")
                .arg(&ctx.runs_key)
                .arg(format!("{job}:{}", attempt.current()))
                .query_async(&mut conn)
                .await?;
            std::future::pending().await
        }
    }
}

pub(crate) struct QueueTest {
    pub queue: String,
    pub conn: ConnectionManager,
    client: redis::Client,
    /// The wait of the per-node queues, on `conn` (as `Queues` opens them).
    hub: WakeHub,
    pub runs: Arc<Runs>,
    pub config: QueueConfig,
    stop: CancellationToken,
}

impl QueueTest {
    pub(crate) async fn new() -> Self {
        Self::on(&redis_url(), &format!("vt-qtest-{}", &uuid::Uuid::new_v4().simple().to_string()[..12])).await
    }

    /// On the Redis at `url`, queue `queue`.
    pub(crate) async fn on(url: &str, queue: &str) -> Self {
        let (client, conn, hub) = vteacher_queue::redisq::connect(url).await.unwrap();
        let mut config = QueueConfig::new(queue, &format!("{queue}:queues"));
        config.lease = Duration::from_secs(3);
        config.max_attempts = 4;
        config.backoff = Duration::from_millis(200);
        // These tests count every finished job of backlogs far above the default count.
        config.retention_count = u64::MAX;
        let (runs, stop) = (Arc::default(), CancellationToken::new());
        Self { queue: queue.to_owned(), conn, client, hub, runs, config, stop }
    }

    pub(crate) fn ours(&self) -> RedisQueue<u64> {
        RedisQueue::new(self.conn.clone(), self.config.clone())
    }

    /// The key where `RecordAndHang` records runs.
    pub(crate) fn runs_key(&self) -> String {
        format!("{}:test-runs", self.config.prefix())
    }

    pub(crate) async fn push(&self, jobs: impl IntoIterator<Item = u64>) {
        let jobs: Vec<u64> = jobs.into_iter().collect();
        self.ours().push_bulk(jobs).await.unwrap();
    }

    /// Starts a worker (until the test ends) running up to `concurrency` jobs at once. Returns
    /// its name, and a handle that ends it at once, as if its process died.
    pub(crate) fn spawn_worker(&self, concurrency: usize, behaviour: Behaviour) -> (String, tokio::task::AbortHandle) {
        let ctx =
            Arc::new(Ctx { runs: self.runs.clone(), behaviour, redis: self.conn.clone(), runs_key: self.runs_key() });
        let name = format!("{}-w-{}", self.queue, uuid::Uuid::new_v4().simple());
        let stop = self.stop.clone();
        let until = move |worker: apalis_core::worker::context::WorkerContext| {
            let stop = stop.clone();
            async move {
                stop.cancelled().await;
                worker.stop()
            }
        };
        let mut config = self.config.clone();
        config.batch = fetch_batch(concurrency, config.prefetch);
        let queue = RedisQueue::<u64>::new(self.conn.clone(), config);
        let wake = queue.wake_stream_on(&self.hub, self.client.clone());
        let queue = queue.poll_with_stream(wake);
        let worker = WorkerBuilder::new(name.as_str()).backend(queue).data(ctx).concurrency(concurrency).build(handler);
        (name, tokio::spawn(worker.run_with_ctx(until)).abort_handle())
    }

    /// Stops every worker of the test as a shutdown does (they hand back what they hold).
    pub(crate) fn stop_workers(&self) {
        self.stop.cancel();
    }

    pub(crate) async fn wait_for_runs(&self, total: usize, timeout: Duration) {
        eventually(&format!("{total} runs"), timeout, || async { (self.runs.total() >= total).then_some(()) }).await;
    }

    /// Runs recorded in Redis by `RecordAndHang` workers: (job, attempt).
    pub(crate) async fn recorded_runs(&self) -> Vec<(u64, usize)> {
        let raw: Vec<String> =
            redis::cmd("LRANGE").arg(self.runs_key()).arg(0).arg(-1).query_async(&mut self.conn.clone()).await.unwrap();
        raw.iter()
            .filter_map(|r| r.split_once(':'))
            .map(|(job, attempt)| (job.parse().unwrap(), attempt.parse().unwrap()))
            .collect()
    }
}

impl Drop for QueueTest {
    fn drop(&mut self) {
        self.stop.cancel();
        let (client, queue) = (self.client.clone(), self.queue.clone());
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                let Ok(mut conn) = client.get_multiplexed_async_connection().await else { return };
                let keys: Vec<String> =
                    redis::cmd("KEYS").arg(format!("*{queue}*")).query_async(&mut conn).await.unwrap_or_default();
                for chunk in keys.chunks(1000) {
                    let _: Result<(), _> = redis::cmd("UNLINK").arg(chunk).query_async(&mut conn).await;
                }
            });
        })
        .join();
    }
}
