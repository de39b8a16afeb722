//! One test's queues on one backend, its own (a Redis prefix, or a SQLite file), with a job
//! type whose behaviour the test chooses and whose every run, retry and give-up is recorded.

use std::{
    collections::HashMap,
    str::FromStr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde::{Deserialize, Serialize};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use vteacher_queue::{Depth, Job, JobError, QueueSettings, Queues, RetryNotice, Workers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Redis,
    Sqlite,
}

/// What a job does when it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Behaviour {
    Succeed,
    /// Fails with an error that heals (so it is retried).
    Fail,
    /// Fails with an error that never heals.
    Abort,
    Sleep(Duration),
    /// Runs until the process shuts down, then hands itself back.
    UntilShutdown,
    /// Never returns (its worker is then killed).
    Hang,
}

/// Every run, retry and give-up of every job, as this process saw them.
#[derive(Default)]
pub(crate) struct Record {
    pub runs: Mutex<HashMap<u64, Vec<Instant>>>,
    pub retries: Mutex<HashMap<u64, Vec<RetryNotice>>>,
    pub given_up: Mutex<HashMap<u64, Vec<String>>>,
    pub finished: std::sync::atomic::AtomicUsize,
}

impl Record {
    pub(crate) fn runs_of(&self, job: u64) -> Vec<Instant> {
        self.runs.lock().unwrap().get(&job).cloned().unwrap_or_default()
    }

    pub(crate) fn total_runs(&self) -> usize {
        self.runs.lock().unwrap().values().map(Vec::len).sum()
    }

    pub(crate) fn run_more_than_once(&self) -> usize {
        self.runs.lock().unwrap().values().filter(|runs| runs.len() > 1).count()
    }

    pub(crate) fn retries_of(&self, job: u64) -> Vec<RetryNotice> {
        self.retries.lock().unwrap().get(&job).cloned().unwrap_or_default()
    }

    pub(crate) fn given_up_of(&self, job: u64) -> Vec<String> {
        self.given_up.lock().unwrap().get(&job).cloned().unwrap_or_default()
    }
}

#[derive(Clone)]
pub(crate) struct Ctx {
    pub record: Arc<Record>,
    pub behaviour: Behaviour,
    pub shutdown: CancellationToken,
}

/// The test's job: a number, which is also its unique key (two jobs of one number are one
/// while they wait).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Numbered(pub u64);

#[derive(Debug, thiserror::Error)]
#[error("job {0} failed: {1}")]
struct Failure(u64, &'static str);

impl Job for Numbered {
    const QUEUE: &'static str = "semantics";
    type Context = Ctx;

    fn unique_key(&self) -> Option<String> {
        Some(self.0.to_string())
    }

    async fn run(&self, ctx: &Ctx) -> Result<(), JobError> {
        ctx.record.runs.lock().unwrap().entry(self.0).or_default().push(Instant::now());
        let done = || {
            ctx.record.finished.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        };
        match ctx.behaviour {
            Behaviour::Succeed => done(),
            Behaviour::Fail => return Err(JobError::retry(Failure(self.0, "it always fails"))),
            Behaviour::Abort => return Err(JobError::abort(Failure(self.0, "it can never work"))),
            Behaviour::Sleep(duration) => {
                tokio::time::sleep(duration).await;
                done();
            }
            Behaviour::UntilShutdown => {
                ctx.shutdown.cancelled().await;
                return Err(JobError::Interrupted);
            }
            Behaviour::Hang => std::future::pending::<()>().await,
        }
        Ok(())
    }

    async fn give_up(&self, ctx: &Ctx, error: &JobError) -> Result<(), JobError> {
        ctx.record.given_up.lock().unwrap().entry(self.0).or_default().push(error.reason().to_owned());
        Ok(())
    }

    async fn on_retry(&self, ctx: &Ctx, retry: &RetryNotice) {
        ctx.record.retries.lock().unwrap().entry(self.0).or_default().push(retry.clone());
    }

    fn span(&self) -> tracing::Span {
        tracing::info_span!("numbered", job = self.0)
    }
}

/// Workers running until stopped (a shutdown) or killed (as if their process died).
pub(crate) struct Running {
    stop: CancellationToken,
    run: JoinHandle<Result<(), String>>,
}

impl Running {
    /// A graceful shutdown: the workers stop fetching, hand back what they hold, and end.
    pub(crate) async fn stop(self) {
        self.stop.cancel();
        let ended = tokio::time::timeout(Duration::from_secs(30), self.run).await.expect("the workers stop");
        assert!(ended.expect("not panicked").is_ok(), "the workers ended with an error");
    }

    /// Ends them at once, as a SIGKILL would: nothing handed back, no lease renewed again.
    pub(crate) fn kill(self) {
        self.run.abort();
    }
}

pub(crate) struct Fixture {
    pub queues: Queues,
    pub settings: QueueSettings,
    pub record: Arc<Record>,
    _dir: tempfile::TempDir,
}

impl Fixture {
    /// The engine's defaults but for shorter timers, the same for both backends: a 3 s lease,
    /// 4 attempts, 200 ms first backoff.
    pub(crate) async fn new(backend: Backend) -> Self {
        Self::with(backend, |_| {}).await
    }

    pub(crate) async fn with(backend: Backend, tune: impl FnOnce(&mut QueueSettings)) -> Self {
        let prefix = format!("vt-sem-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let mut settings = QueueSettings {
            redis_url: (backend == Backend::Redis).then(testkit::redis::redis_url),
            prefix,
            lease: Duration::from_secs(3),
            attempts: 4,
            backoff: Duration::from_millis(200),
            ..QueueSettings::default()
        };
        tune(&mut settings);
        let dir = tempfile::tempdir().expect("a temp dir");
        let pool = match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("queues.db").display());
                let options = SqliteConnectOptions::from_str(&url)
                    .expect("a SQLite URL")
                    .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                    .busy_timeout(Duration::from_secs(30));
                let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await.expect("SQLite");
                Queues::migrate_sqlite(&pool).await.expect("the queue tables");
                Some(pool)
            }
            Backend::Redis => None,
        };
        let queues = Queues::connect(&settings, pool.as_ref()).await.expect("the queues");
        Self { queues, settings, record: Arc::default(), _dir: dir }
    }

    pub(crate) async fn push(&self, jobs: impl IntoIterator<Item = u64>) {
        for job in jobs {
            self.queues.enqueue(Numbered(job), None).await.expect("enqueued");
        }
    }

    /// Starts one process's workers: `concurrency` at once, each job doing `behaviour`.
    pub(crate) fn start(&self, concurrency: usize, behaviour: Behaviour) -> Running {
        let stop = CancellationToken::new();
        let mut workers = Workers::new(stop.clone());
        let ctx = Ctx { record: self.record.clone(), behaviour, shutdown: stop.clone() };
        workers.spawn::<Numbered>(&self.queues, ctx, None, concurrency);
        let drain = Duration::from_secs(10);
        Running { stop, run: tokio::spawn(async move { workers.run(drain).await.map_err(|e| e.to_string()) }) }
    }

    pub(crate) fn queue(&self) -> String {
        self.queues.name_of::<Numbered>(None)
    }

    /// The test queue's jobs by state.
    pub(crate) async fn depth(&self) -> Depth {
        self.queues.depths().await.expect("depths").remove("semantics").unwrap_or_default()
    }

    pub(crate) async fn count(&self, state: &str) -> u64 {
        self.depth().await.get(state).copied().unwrap_or(0)
    }

    /// Waits until `state` holds `n` jobs.
    pub(crate) async fn until(&self, state: &str, n: u64, timeout: Duration) {
        testkit::eventually(&format!("{n} job(s) {state}"), timeout, || async {
            (self.count(state).await == n).then_some(())
        })
        .await;
    }

    pub(crate) async fn until_runs(&self, n: usize, timeout: Duration) {
        testkit::eventually(&format!("{n} runs"), timeout, || async { (self.record.total_runs() >= n).then_some(()) })
            .await;
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let (Some(url), prefix) = (self.settings.redis_url.clone(), self.settings.prefix.clone()) else { return };
        // The test's keys go with it (on a thread: no runtime may be at hand in a drop).
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            runtime.block_on(async move {
                let Ok(client) = redis::Client::open(url) else { return };
                let Ok(mut conn) = client.get_multiplexed_async_connection().await else { return };
                let keys: Vec<String> =
                    redis::cmd("KEYS").arg(format!("*{prefix}*")).query_async(&mut conn).await.unwrap_or_default();
                for chunk in keys.chunks(1000) {
                    let _: Result<(), _> = redis::cmd("UNLINK").arg(chunk).query_async(&mut conn).await;
                }
            });
        })
        .join();
    }
}

/// Each case, once per backend: `<case>::redis` and `<case>::sqlite`.
#[macro_export]
macro_rules! on_every_backend {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            use $crate::fixture::Backend;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn redis() { super::$case(Backend::Redis).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() { super::$case(Backend::Sqlite).await }
        }
    )*};
}
