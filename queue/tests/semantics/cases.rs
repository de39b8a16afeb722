//! The cases: what every backend must do, in the words a user of the engine would use.

use std::time::Duration;

use vteacher_queue::QueueError;

use crate::{
    fixture::{Backend, Behaviour, Fixture, Numbered},
    on_every_backend,
};

async fn every_job_runs_exactly_once(backend: Backend) {
    let q = Fixture::new(backend).await;
    q.push(0..300).await;
    let workers: Vec<_> = (0..3).map(|_| q.start(10, Behaviour::Succeed)).collect();
    q.until("done", 300, Duration::from_secs(60)).await;
    assert_eq!(q.record.total_runs(), 300);
    assert_eq!(q.record.run_more_than_once(), 0, "no job ran twice");
    assert_eq!((q.count("pending").await, q.count("running").await), (0, 0), "{:?}", q.depth().await);
    for running in workers {
        running.stop().await;
    }
}

async fn a_long_job_with_a_live_worker_is_not_run_twice(backend: Backend) {
    // The lease is 3 s; the job takes 7 s, while a second worker waits on the same queue.
    let q = Fixture::new(backend).await;
    q.push([7]).await;
    let a = q.start(1, Behaviour::Sleep(Duration::from_secs(7)));
    let b = q.start(1, Behaviour::Sleep(Duration::from_secs(7)));
    q.until("done", 1, Duration::from_secs(20)).await;
    assert_eq!(q.record.runs_of(7).len(), 1, "run twice");
    a.stop().await;
    b.stop().await;
}

async fn attempts_and_backoff_are_as_configured(backend: Backend) {
    let q = Fixture::new(backend).await;
    q.push([1]).await;
    let running = q.start(1, Behaviour::Fail);
    q.until("dead", 1, Duration::from_secs(20)).await;
    let runs = q.record.runs_of(1);
    assert_eq!(runs.len(), 4, "JOB_ATTEMPTS runs, the first included");
    // 200 ms, 400 ms, 800 ms, each ±20% (and some slack for the backend to look).
    for (i, pair) in runs.windows(2).enumerate() {
        let gap = pair[1] - pair[0];
        let want = Duration::from_millis(200 << i);
        assert!(gap >= want.mul_f64(0.8) && gap <= want.mul_f64(1.2) + Duration::from_millis(700), "gap {i}: {gap:?}");
    }
    let retries = q.record.retries_of(1);
    assert_eq!(retries.iter().map(|r| r.attempt).collect::<Vec<_>>(), [1, 2, 3], "told of each retry");
    assert!(retries.iter().all(|r| r.max_attempts == 4 && r.last_error.contains("always fails")), "{retries:?}");
    let given_up = q.record.given_up_of(1);
    assert_eq!(given_up.len(), 1, "given up once: {given_up:?}");
    assert!(given_up[0].contains("always fails") && given_up[0].contains("4 attempts"), "{given_up:?}");
    let dead = q.queues.dead(&q.queue(), 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert!(dead[0].error.contains("always fails"), "the dead job keeps its error: {:?}", dead[0].error);
    running.stop().await;
}

async fn an_abort_skips_the_retries(backend: Backend) {
    let q = Fixture::new(backend).await;
    q.push([5]).await;
    let running = q.start(1, Behaviour::Abort);
    q.until("dead", 1, Duration::from_secs(10)).await;
    assert_eq!(q.record.runs_of(5).len(), 1, "no retry after an abort");
    assert!(q.record.retries_of(5).is_empty());
    let given_up = q.record.given_up_of(5);
    assert_eq!(given_up.len(), 1);
    assert!(given_up[0].contains("can never work") && given_up[0].contains("not retried"), "{given_up:?}");
    running.stop().await;
}

async fn a_dead_job_is_listed_and_redriven_with_fresh_attempts(backend: Backend) {
    let q = Fixture::with(backend, |s| s.attempts = 1).await;
    q.push([5, 6]).await;
    let failing = q.start(1, Behaviour::Abort);
    q.until("dead", 2, Duration::from_secs(10)).await;
    failing.stop().await;
    let dead = q.queues.dead(&q.queue(), 0).await.unwrap();
    let mut payloads: Vec<_> = dead.iter().map(|d| d.payload.clone()).collect();
    payloads.sort_by_key(|p| p.as_u64());
    assert_eq!(payloads, [serde_json::json!(5), serde_json::json!(6)]);

    // One by its id, then the rest (limit 0: all).
    let five = dead.iter().find(|d| d.payload == 5).unwrap().id.clone();
    assert_eq!(q.queues.redrive(&q.queue(), &[five], 0).await.unwrap(), 1);
    assert_eq!(q.queues.redrive(&q.queue(), &[], 0).await.unwrap(), 1);
    let working = q.start(1, Behaviour::Succeed);
    // One attempt each (JOB_ATTEMPTS=1): had the redrive not reset them, they would be dead again.
    q.until("done", 2, Duration::from_secs(10)).await;
    assert_eq!(q.count("dead").await, 0);
    working.stop().await;
}

async fn a_killed_worker_s_job_runs_again_without_using_an_attempt(backend: Backend) {
    // One attempt: were the crash counted, the job would be dead instead of run again.
    let q = Fixture::with(backend, |s| s.attempts = 1).await;
    q.push([42]).await;
    let doomed = q.start(1, Behaviour::Hang);
    q.until_runs(1, Duration::from_secs(10)).await;
    doomed.kill();
    let rescuer = q.start(1, Behaviour::Succeed);
    // Back within about a lease (3 s).
    q.until("done", 1, Duration::from_secs(12)).await;
    assert_eq!(q.record.runs_of(42).len(), 2);
    assert!(q.record.given_up_of(42).is_empty(), "not given up");
    rescuer.stop().await;
}

async fn a_shutdown_hands_its_job_back_without_using_an_attempt(backend: Backend) {
    let q = Fixture::with(backend, |s| s.attempts = 1).await;
    q.push([8]).await;
    let stopping = q.start(1, Behaviour::UntilShutdown);
    q.until_runs(1, Duration::from_secs(10)).await;
    stopping.stop().await;
    assert!(q.record.given_up_of(8).is_empty(), "a hand-back is no failure");
    let next = q.start(1, Behaviour::Succeed);
    q.until("done", 1, Duration::from_secs(10)).await;
    assert_eq!(q.record.runs_of(8).len(), 2);
    next.stop().await;
}

async fn waiting_jobs_are_listed_oldest_first(backend: Backend) {
    let q = Fixture::new(backend).await;
    // Enough jobs that several are pushed within one millisecond (and one second): the order
    // must be the order of pushing, not of a clock's tick or an id's random part.
    let pushed: Vec<u64> = (0..40).map(|i| (i * 17) % 41).collect();
    q.push(pushed.iter().copied()).await;
    let waiting = q.queues.waiting::<Numbered>(None).await.unwrap();
    assert_eq!(waiting, pushed.iter().map(|&n| Numbered(n)).collect::<Vec<_>>());
    assert_eq!(q.count("pending").await, 40);
}

async fn an_injected_enqueue_fault_refuses_as_many_as_asked(backend: Backend) {
    let q = Fixture::with(backend, |s| {
        s.fail_enqueue.insert("semantics".into(), 2);
    })
    .await;
    for _ in 0..2 {
        let refused = q.queues.enqueue(Numbered(1), None).await;
        assert!(matches!(refused, Err(QueueError::Push { .. })), "{refused:?}");
    }
    q.queues.enqueue(Numbered(1), None).await.expect("the third goes through");
    assert_eq!(q.count("pending").await, 1);
}

async fn retention_drops_finished_jobs_but_never_one_awaiting_its_retry(backend: Backend) {
    let q = Fixture::with(backend, |s| {
        s.retention = Duration::from_secs(1);
        s.backoff = Duration::from_secs(4);
        s.attempts = 2;
    })
    .await;
    q.push([1]).await;
    let failing = q.start(1, Behaviour::Fail);
    q.until_runs(1, Duration::from_secs(10)).await;

    // Another queue's job finishes, and is dropped once the 1 s retention has passed.
    let done = Fixture::with(backend, |s| s.retention = Duration::from_secs(1)).await;
    done.push([2]).await;
    let working = done.start(1, Behaviour::Succeed);
    done.until("done", 1, Duration::from_secs(10)).await;
    testkit::eventually("the finished job to be dropped", Duration::from_secs(10), || async {
        // On SQLite the sweeper's `purge_finished` drops them; on Redis they expire by themselves.
        done.queues.purge_finished(done.settings.retention, done.settings.retention_count).await.ok()?;
        (done.count("done").await == 0).then_some(())
    })
    .await;

    // Job 1 waits 4 s for its retry, well past the retention: it is kept, and runs.
    q.queues.purge_finished(q.settings.retention, q.settings.retention_count).await.unwrap();
    let depth = q.depth().await;
    let held = ["pending", "running", "delayed"].iter().map(|s| depth.get(s).copied().unwrap_or(0)).sum::<u64>();
    assert_eq!(held, 1, "the job awaiting its retry is kept: {depth:?}");
    q.until("dead", 1, Duration::from_secs(15)).await;
    assert_eq!(q.record.runs_of(1).len(), 2, "its retry ran");
    failing.stop().await;
    working.stop().await;
}

async fn finished_jobs_are_kept_up_to_the_retention_count(backend: Backend) {
    let q = Fixture::with(backend, |s| s.retention_count = 3).await;
    q.push(1..=10).await;
    let working = q.start(2, Behaviour::Succeed);
    testkit::eventually("every job to have run", Duration::from_secs(20), || async {
        (q.record.finished.load(std::sync::atomic::Ordering::SeqCst) == 10).then_some(())
    })
    .await;
    working.stop().await;
    // On SQLite the sweeper's `purge_finished` trims them; on Redis each acknowledgement does.
    q.queues.purge_finished(q.settings.retention, q.settings.retention_count).await.unwrap();
    assert_eq!(q.count("done").await, 3, "the newest 3 of 10 finished jobs are kept");
}

async fn a_job_waiting_under_a_unique_key_takes_no_second(backend: Backend) {
    let q = Fixture::new(backend).await;
    q.push([9, 9, 9]).await;
    assert_eq!(q.count("pending").await, 1, "one job waits for the three enqueues");
    // Once it runs, the key is free again: what asked for it may be newer than what it read.
    let working = q.start(1, Behaviour::Sleep(Duration::from_secs(2)));
    q.until_runs(1, Duration::from_secs(10)).await;
    q.push([9]).await;
    q.until("done", 2, Duration::from_secs(20)).await;
    assert_eq!(q.record.runs_of(9).len(), 2, "the job enqueued while the first ran ran too");
    working.stop().await;
}

on_every_backend!(
    finished_jobs_are_kept_up_to_the_retention_count,
    a_job_waiting_under_a_unique_key_takes_no_second,
    every_job_runs_exactly_once,
    a_long_job_with_a_live_worker_is_not_run_twice,
    attempts_and_backoff_are_as_configured,
    an_abort_skips_the_retries,
    a_dead_job_is_listed_and_redriven_with_fresh_attempts,
    a_killed_worker_s_job_runs_again_without_using_an_attempt,
    a_shutdown_hands_its_job_back_without_using_an_attempt,
    waiting_jobs_are_listed_oldest_first,
    an_injected_enqueue_fault_refuses_as_many_as_asked,
    retention_drops_finished_jobs_but_never_one_awaiting_its_retry,
);
