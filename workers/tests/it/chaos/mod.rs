//! Chaos (issue 6 of 8's proof): a mixed workload on a fleet of processes while they are
//! SIGKILLed at random (at least 50 kills), the harness's own Redis is restarted once, and
//! PostgreSQL is cut for 20 s behind a proxy; then, once it settles, nothing is lost and nothing
//! happened twice. `CHAOS_SOAK=<seconds>` makes the chaos last that long (a soak run):
//! `CHAOS_SOAK=3600 cargo nextest run -p workers --test it chaos`.

pub(crate) mod checks;
mod cluster;
pub(crate) mod workload;

use std::{sync::Arc, time::Duration};

use cluster::{Cluster, OwnRedis, ROLES};
use workload::{Urls, Workload};

use crate::helpers::*;

fn chaos_for() -> Duration {
    let soak = std::env::var("CHAOS_SOAK").ok().and_then(|s| s.parse().ok());
    Duration::from_secs(soak.unwrap_or(60))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storm_of_kills_restarts_and_a_partition_loses_nothing_and_repeats_nothing() {
    let mut env = TestEnv::new(Stack::Fleet).await;
    let mut redis = OwnRedis::start(env.dir.path().join("redis")).await;
    let proxy = TcpProxy::start("127.0.0.1:5432".parse().unwrap()).await;
    let direct_db = env.pairs["DATABASE_URL"].clone();
    let results = WebhookSink::start().await;
    let server = FileServer::start().await.unwrap();
    let urls = Arc::new(Urls::serve(&server, env.dir.path()).await);
    let port = testkit::ports::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let node_db = format!("sqlite://{}?mode=rwc", env.dir.path().join("node.db").display());
    for (key, value) in [
        ("REDIS_URL", redis.url()),
        ("DATABASE_URL", direct_db.replace("127.0.0.1:5432", &proxy.addr.to_string())),
        ("PORT", port.to_string()),
        ("OSS_PROVIDER", "disabled".into()),
        ("STORAGE_PUBLIC_URL", format!("{base}/storage/")),
        ("RESULT_WEBHOOK_URL", results.url.clone()),
        ("QUEUE_LEASE", "3s".into()),
        ("SHUTDOWN_TIMEOUT", "1s".into()),
        ("SWEEP_INTERVAL", "1s".into()),
        ("JOB_ATTEMPTS", "12".into()),
        ("TRANSCODE_CONCURRENCY", "1".into()),
        ("NODE_WAIT", "10m".into()),
    ] {
        env.set(key, value);
    }
    let node_env = vec![("DATABASE_URL", None), ("NODE_DATABASE_URL", Some(node_db.clone()))];
    let migrated = env.command(&["migrate"]).output().await.unwrap();
    assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
    let mut cluster = Cluster::start(&env, &node_env);
    let web = &mut cluster.processes.get_mut("web").expect("a web process").child;
    let listening = testkit::ports::wait_listening(web, port, Duration::from_secs(30)).await;
    assert!(listening.is_ok(), "the fleet's web listens on its port, not another test's server: {listening:?}");

    let workload = Arc::new(Workload::new(base));
    let window = chaos_for();
    let classes = tokio::spawn(workload.clone().run(urls, (window.as_secs() * 3) as usize, window, 7));

    // The chaos: a SIGKILL every ~window/60, Redis restarted once, PostgreSQL cut for 20 s.
    let mut rng = fastrand::Rng::with_seed(11);
    let started = tokio::time::Instant::now();
    let (mut restarted, mut cut_at) = (false, None);
    while started.elapsed() < window {
        tokio::time::sleep(window / 64).await;
        let role = ROLES[rng.usize(0..ROLES.len())].0;
        cluster.kill_and_restart(&env, role, &node_env).await;
        cluster.revive(&env, &node_env);
        if !restarted && started.elapsed() > window / 3 {
            redis.restart().await;
            restarted = true;
        }
        match cut_at {
            None if started.elapsed() > window / 2 => {
                proxy.cut();
                cut_at = Some(tokio::time::Instant::now());
            }
            Some(at) if at.elapsed() > Duration::from_secs(20) => proxy.restore(),
            _ => {}
        }
    }
    proxy.restore();
    cluster.revive(&env, &node_env);
    let classes = classes.await.unwrap();
    assert!(cluster.kills >= 50, "{} kills", cluster.kills);

    let bookings = checks::settled(&workload, &classes).await;
    // Results still on their way arrive before the counts are taken.
    checks::outbox_empty(&direct_db).await;
    let received = checks::results_arrived(&classes, &results).await;
    let repeats = checks::outcomes_and_results(&classes, &bookings, &received);
    checks::files_and_counts(&node_db, &classes, &bookings).await;
    checks::every_job_in_one_place(&redis.url(), &env.prefix).await;
    // The workload did what it says: renditions made by ecs, classes cancelled, a Redis restart.
    let states = |state: &str| bookings.values().filter(|b| b["state"] == state).count();
    let by_ecs =
        bookings.values().filter(|b| b["video_path"].as_str().is_some_and(|p| p.ends_with("_240P.flv"))).count();
    assert!(states("ready") > 0 && states("cancelled") > 0 && by_ecs > 0 && restarted && cut_at.is_some());
    eprintln!(
        "chaos: {} classes ({} ready, {by_ecs} of them made by ecs, {} cancelled), {} kills, {repeats} repeated results",
        classes.len(),
        states("ready"),
        states("cancelled"),
        cluster.kills
    );
}
