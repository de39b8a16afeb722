//! Redis loses all its data (restarted without persistence) in the middle of a mixed storm:
//! listed lessons downloading, unlisted ones being made by ecs, classes ending, one of them
//! while its push host is down. The database is the truth: the sweeper derives every lost job
//! again, so every booking settles, none fails because of it, no host downloads a video twice,
//! and every ended class's reference is dropped on its host.

use std::time::Duration;

use nix::sys::signal::Signal;
use serde_json::json;
use testkit::redis::ForgetfulRedis;
use workers::roles::Launch;

use super::FACTOR;
use crate::{
    cache::{book, end, path_of},
    helpers::*,
};

const LISTED: [i64; 6] = [401, 402, 403, 404, 405, 406];
const UNLISTED: [i64; 2] = [411, 412];
const ENDED: [i64; 2] = [421, 422];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_forgets_everything_mid_storm_loses_nothing() {
    let mut redis = ForgetfulRedis::start().await;
    let server = FileServer::start().await.unwrap();
    let mut env = TestEnv::at_default_timers(Stack::Fleet, FACTOR).await;
    env.set("REDIS_URL", redis.url()).set("OSS_PROVIDER", "disabled");
    let lesson = lesson_video(env.dir.path(), "lesson", 2).await;
    for record in UNLISTED {
        server.put(&format!("{record}.flv"), lesson.clone());
    }
    for record in LISTED.iter().chain(&ENDED) {
        server.put(&format!("{record}.flv"), lesson_bytes(150_000 + *record as usize));
    }
    let (bin, _) = slow_counting_ffmpeg(env.dir.path(), 3);
    env.set("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()));
    let mut launch = central();
    launch.queues.extend(["transcode-oss", "transcode-ecs"].map(String::from));
    let app = env.spawn_with(Launch { ..launch }).await;
    env.set("STORAGE_PUBLIC_URL", app.url("/storage"));
    let mut hosts = [env.start_node("a", &[]), env.start_node("b", &[])];
    live_nodes(&app, 2).await;

    // Two classes ready, then ended: one while its host is down.
    for record in ENDED {
        book(&app, &class_of(record), record, &server.url(&format!("{record}.flv")), json!({})).await;
    }
    let mut ended_on = Vec::new();
    for record in ENDED {
        ended_on.push(app.wait_for_state(&class_of(record), "ready").await["node"].as_str().unwrap().to_owned());
    }
    let down = hosts.iter().position(|h| h.id == ended_on[0]).unwrap();
    hosts[down].process.signal(Signal::SIGTERM);
    hosts[down].process.exit_status(Duration::from_secs(20)).await;
    // Known to be down before the storm, so that the storm is placed on the live host.
    live_nodes(&app, 1).await;

    // The storm: slow downloads and slow transcodes under way when Redis forgets.
    server.set_knobs(Knobs { rate: Some(30_000), ..Knobs::default() });
    for record in LISTED {
        book(&app, &class_of(record), record, &server.url(&format!("{record}.flv")), json!({})).await;
    }
    for record in UNLISTED {
        let body = json!({"class_id": class_of(record), "record_id": record, "video_resolution": "240P",
            "video_url": server.url(&format!("{record}.flv"))});
        assert_eq!(app.post_booking(&body).await.status(), 202);
    }
    for record in ENDED {
        assert_eq!(end(&app, &class_of(record)).await.0, 200);
    }
    eventually("downloads and transcodes under way", Duration::from_secs(30), || async {
        let started = LISTED.iter().filter(|r| server.requests_for(&format!("{r}.flv")) > 0).count();
        let fetched = UNLISTED.iter().filter(|r| server.requests_for(&format!("{r}.flv")) > 0).count();
        (started >= 2 && fetched >= 1).then_some(())
    })
    .await;

    redis.restart_empty().await;
    hosts[down] = env.start_node(if down == 0 { "a" } else { "b" }, &[]);
    server.set_knobs(Knobs::default());

    for record in LISTED.iter().chain(&UNLISTED) {
        let class_id = class_of(*record);
        eventually(&format!("{class_id} ready"), Duration::from_secs(150), || async {
            let booking = app.booking(&class_id).await?;
            assert_ne!(booking["state"], "failed", "failed because Redis forgot: {booking}");
            (booking["state"] == "ready").then_some(())
        })
        .await;
    }
    for (record, node) in ENDED.iter().zip(&ended_on) {
        let host = hosts.iter().find(|h| &h.id == node).unwrap();
        eventually(&format!("class {record}'s reference dropped on {node}"), Duration::from_secs(90), || async {
            (host.num_cite(&path_of(*record)).await? == 0).then_some(())
        })
        .await;
    }
    for ((path, agent), count) in server.requests_by_path_and_agent() {
        assert_eq!(count, 1, "{agent} fetched {path} {count} times");
    }
    app.stop().await;
}

fn class_of(record: i64) -> String {
    format!("c-{record}")
}
