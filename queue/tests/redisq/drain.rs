//! A drain longer than the lease, on Redis, through the engine's interface (`Queues`,
//! `Workers`, a drain timeout): the running job keeps its lease until it ends just inside
//! `SHUTDOWN_TIMEOUT`, so another worker waiting on the same queue never takes it.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use serde::{Deserialize, Serialize};
use tokio::{sync::watch, time::Instant};
use tokio_util::sync::CancellationToken;
use vteacher_queue::{
    Job, JobError, QueueSettings, Queues, Workers,
    redisq::{QueueConfig, RedisQueue},
};

use testkit::{eventually, redis::redis_url};

#[derive(Default)]
struct Shared {
    /// Which worker ran the job, each run.
    runs: Mutex<Vec<&'static str>>,
}

#[derive(Clone)]
struct Ctx {
    shared: Arc<Shared>,
    worker: &'static str,
    /// When the job finishes, once the test has chosen.
    finish_at: watch::Receiver<Option<Instant>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct DrainJob;

impl Job for DrainJob {
    const QUEUE: &'static str = "drain-test";
    type Context = Ctx;

    async fn run(&self, ctx: &Ctx) -> Result<(), JobError> {
        ctx.shared.runs.lock().unwrap().push(ctx.worker);
        let mut finish = ctx.finish_at.clone();
        let at = *finish.wait_for(Option::is_some).await.map_err(JobError::retry)?;
        tokio::time::sleep_until(at.expect("chosen")).await;
        Ok(())
    }

    fn span(&self) -> tracing::Span {
        tracing::info_span!("drain_test")
    }
}

fn start(
    queues: &Queues,
    ctx: Ctx,
    drain: Duration,
) -> (CancellationToken, tokio::task::JoinHandle<Result<(), String>>) {
    let stop = CancellationToken::new();
    let mut workers = Workers::new(stop.clone());
    workers.spawn::<DrainJob>(queues, ctx, None, 1);
    (stop, tokio::spawn(async move { workers.run(drain).await.map_err(|e| e.to_string()) }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drain_longer_than_the_lease_keeps_its_job_from_a_waiting_worker() {
    let (lease, drain) = (Duration::from_secs(3), Duration::from_secs(5));
    let prefix = format!("vt-drain-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let settings = QueueSettings { redis_url: Some(redis_url()), prefix, lease, ..QueueSettings::default() };
    let queues = Queues::connect(&settings, None).await.unwrap();
    let shared = Arc::new(Shared::default());
    let (finish, finish_at) = watch::channel(None);
    let ctx = |worker| Ctx { shared: shared.clone(), worker, finish_at: finish_at.clone() };

    let (stop_a, a) = start(&queues, ctx("a"), drain);
    queues.enqueue(DrainJob, None).await.unwrap();
    eventually("worker a to run the job", Duration::from_secs(10), || async {
        (!shared.runs.lock().unwrap().is_empty()).then_some(())
    })
    .await;
    let (stop_b, b) = start(&queues, ctx("b"), drain);

    // The drain begins; the job ends half a second inside SHUTDOWN_TIMEOUT, well over a lease
    // (and two renewals) later.
    stop_a.cancel();
    let asked = Instant::now();
    finish.send(Some(asked + drain - Duration::from_millis(500))).unwrap();
    assert!(drain > lease);
    let drained = tokio::time::timeout(drain + Duration::from_secs(2), a).await.expect("the drain ends").unwrap();
    assert!(drained.is_ok(), "{drained:?}");
    assert!(asked.elapsed() < drain, "finished inside SHUTDOWN_TIMEOUT: {:?}", asked.elapsed());

    let name = queues.name_of::<DrainJob>(None);
    let queue = RedisQueue::<()>::new(queues.redis().unwrap(), QueueConfig::new(&name, "unused"));
    let counts = eventually("the drained job to be settled", Duration::from_secs(5), || async {
        let counts = queue.counts().await.ok()?;
        (counts.done == 1).then_some(counts)
    })
    .await;
    assert_eq!((counts.pending, counts.running, counts.delayed), (0, 0, 0), "{counts:?}");
    assert_eq!(*shared.runs.lock().unwrap(), ["a"], "the job ran once, on the worker that drained it");
    stop_b.cancel();
    assert!(b.await.unwrap().is_ok());
}
