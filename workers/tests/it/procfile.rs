//! The Procfile as a fleet: honcho starts every process type of the Procfile (booking and
//! transcode scaled to two) against PostgreSQL, Redis and an S3-compatible store (moto); a
//! mixed workload of 200 bookings (listed, legacy, unlisted made by ecs, sent twice, class
//! ends) is served to completion, and `/metrics` then says what the database says.

use std::{collections::HashMap, io::Write, path::Path, sync::Arc, time::Duration};

use sea_orm::{ConnectionTrait, Statement};
use testkit::moto::Moto;

use crate::{
    chaos::{
        checks,
        workload::{Urls, Workload},
    },
    helpers::*,
};

/// The test's settings as an env file honcho reads (with `vteacher` on PATH).
fn env_file(env: &TestEnv) -> std::path::PathBuf {
    let path = env.dir.path().join("fleet.env");
    let mut file = std::fs::File::create(&path).unwrap();
    for (key, value) in &env.pairs {
        writeln!(file, "{key}={value}").unwrap();
    }
    let bin = Path::new(env!("CARGO_BIN_EXE_vteacher")).parent().unwrap();
    writeln!(file, "PATH={}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()).unwrap();
    path
}

fn sample(text: &str, series: &str) -> f64 {
    let value = text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok());
    value.unwrap_or_else(|| panic!("{series} is not on /metrics"))
}

async fn bookings_by_state(database_url: &str) -> HashMap<String, i64> {
    let db = sea_orm::Database::connect(database_url).await.unwrap();
    let sql = "SELECT state, count(*) AS n FROM bookings GROUP BY state";
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    rows.iter().map(|r| (r.try_get::<String>("", "state").unwrap(), r.try_get::<i64>("", "n").unwrap())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_procfile_fleet_serves_a_mixed_workload_and_its_metrics_match_the_database() {
    let moto = Moto::start().await;
    moto.bucket("lessons").await;
    let mut env = TestEnv::new(Stack::Fleet).await;
    let results = WebhookSink::start().await;
    let server = FileServer::start().await.unwrap();
    let urls = Arc::new(Urls::serve(&server, env.dir.path()).await);
    let port = testkit::ports::free_port();
    let base = format!("http://127.0.0.1:{port}");
    for (key, value) in [
        ("PORT", port.to_string()),
        ("STORAGE_URL", moto.storage_url("lessons")),
        ("STORAGE_ACCESS_KEY_ID", "test-key".into()),
        ("STORAGE_SECRET_ACCESS_KEY", "test-secret".into()),
        ("STORAGE_PUBLIC_URL", format!("{base}/storage/")),
        ("RESULT_WEBHOOK_URL", results.url.clone()),
        ("OSS_PROVIDER", "disabled".into()),
        ("METRICS_PUBLIC", "true".into()),
        ("TRANSCODE_CONCURRENCY", "1".into()),
    ] {
        env.set(key, value);
    }
    let migrated = env.command(&["migrate"]).output().await.unwrap();
    assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));

    let log = std::fs::File::create(env.dir.path().join("honcho.log")).unwrap();
    let procfile = concat!(env!("CARGO_MANIFEST_DIR"), "/../Procfile");
    let mut honcho = tokio::process::Command::new("honcho")
        .args(["-f", procfile, "-e"])
        .arg(env_file(&env))
        .arg("-d")
        .arg(env.dir.path())
        .args(["start", "-c", "release=0,booking=2,transcode=2"])
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("honcho is installed (bash .ci/run installs it)");
    // Its web (a child of honcho's), not another test's server that took the port first.
    let listening = testkit::ports::wait_listening(&mut honcho, port, Duration::from_secs(60)).await;
    assert!(listening.is_ok(), "the fleet's web listens on {port}: {listening:?}");
    let workload = Arc::new(Workload::new(base.clone()));
    eventually("the fleet's web to answer", Duration::from_secs(60), || async {
        workload.http.get(format!("{base}/readyz")).send().await.ok()?.status().is_success().then_some(())
    })
    .await;

    let classes = workload.clone().run(urls, 200, Duration::from_secs(20), 5).await;
    let bookings = checks::settled(&workload, &classes).await;
    let received = checks::results_arrived(&classes, &results).await;
    checks::outcomes_and_results(&classes, &bookings, &received);
    let by_ecs = bookings.values().filter(|b| b["video_path"].as_str().is_some_and(|p| p.ends_with("_240P.flv")));
    assert!(by_ecs.count() > 0, "some renditions were made by ecs");

    // /metrics says what the database says.
    let text = workload.http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    let counted = bookings_by_state(&env.pairs["DATABASE_URL"]).await;
    assert_eq!(counted.values().sum::<i64>(), 200, "{counted:?}");
    // Classes ended (before or after their video was ready: a fast fleet has most ready first).
    let ended = bookings.values().filter(|b| !b["ended_at"].is_null()).count();
    assert!(ended > 0 && counted.get("ready") > Some(&0), "{ended} classes ended; {counted:?}");
    for state in ["queued", "waiting_transcode", "downloading", "ready", "failed", "cancelled"] {
        let in_db = counted.get(state).copied().unwrap_or(0) as f64;
        assert_eq!(sample(&text, &format!("vteacher_bookings{{state=\"{state}\"}}")), in_db, "{state}");
    }
    for queue in ["booking", "download", "transcode-ecs", "notify", "class-end"] {
        assert_eq!(sample(&text, &format!("vteacher_queue_jobs{{queue=\"{queue}\",state=\"dead\"}}")), 0.0);
    }

    // honcho stops every process on SIGTERM.
    let pid = nix::unistd::Pid::from_raw(honcho.id().unwrap() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let stopped = tokio::time::timeout(Duration::from_secs(30), honcho.wait()).await;
    assert!(stopped.is_ok(), "honcho stopped its processes");
}
