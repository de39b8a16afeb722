//! Chaos: a mixed workload on a fleet of processes at the default settings (every timer divided
//! by the fault tests' factor, no setting tuned for it) while they are SIGKILLed at random (at
//! least 50 kills), the harness's own Redis is restarted once keeping its data and once losing
//! all of it, and PostgreSQL is cut for 20 s behind a proxy; then, once it settles, nothing is
//! lost, nothing happened twice, nothing is stuck. `CHAOS_SOAK=<seconds>` makes the chaos last
//! that long (a soak run), its faults repeated every window:
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
    let mut env = TestEnv::at_default_timers(Stack::Fleet, crate::faults::FACTOR).await;
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
        // Two cores: one ffmpeg per transcode process (a load setting, not a timer).
        ("TRANSCODE_CONCURRENCY", "1".into()),
        ("DOWNLOAD_RATE", "0".into()),
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

    // The chaos, every minute of it (a soak repeats it): a SIGKILL every ~second, Redis
    // restarted keeping its data at a third, losing it all at two thirds, PostgreSQL cut for
    // 20 s from half way.
    let mut rng = fastrand::Rng::with_seed(11);
    let started = tokio::time::Instant::now();
    let round = Duration::from_secs(60).min(window);
    let (mut restarted, mut forgot, mut cut_at) = (0, 0, None);
    while started.elapsed() < window {
        tokio::time::sleep(round / 64).await;
        let role = ROLES[rng.usize(0..ROLES.len())].0;
        cluster.kill_and_restart(&env, role, &node_env).await;
        cluster.revive(&env, &node_env);
        let rounds = started.elapsed().as_secs_f64() / round.as_secs_f64();
        let (done, into) = (rounds.floor() as u32, rounds.fract());
        if restarted <= done && into > 1.0 / 3.0 {
            redis.restart().await;
            restarted += 1;
        }
        if forgot <= done && into > 2.0 / 3.0 {
            redis.restart_empty().await;
            forgot += 1;
        }
        match cut_at {
            None if into > 0.5 => {
                proxy.cut();
                cut_at = Some(tokio::time::Instant::now());
            }
            Some(at) if at.elapsed() > Duration::from_secs(20) => {
                proxy.restore();
                if into < 0.5 {
                    cut_at = None;
                }
            }
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
    assert!(states("ready") > 0 && states("cancelled") > 0 && by_ecs > 0 && restarted > 0 && forgot > 0);
    eprintln!(
        "chaos: {} classes ({} ready, {by_ecs} of them made by ecs, {} cancelled, {} failed), {} kills, \
         {restarted} Redis restarts, {forgot} Redis losses, {repeats} repeated results, over {:?}",
        classes.len(),
        states("ready"),
        states("cancelled"),
        states("failed"),
        cluster.kills,
        window
    );
}
