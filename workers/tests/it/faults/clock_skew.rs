//! One worker's clock a minute ahead and another's a minute behind: leases, retries and
//! deadlines on the queue follow Redis's clock, so long jobs under a backlog run exactly once.

use std::{collections::HashMap, time::Duration};

use serde_json::json;
use workers::roles::Launch;

use super::FACTOR;
use crate::helpers::*;

const RECORDS: [i64; 8] = [71, 72, 73, 74, 75, 76, 77, 78];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_jobs_run_once_when_two_workers_clocks_are_a_minute_off() {
    let server = FileServer::start().await.unwrap();
    // Workers on machines of their own share PostgreSQL (SQLite state is one machine's).
    let mut env = TestEnv::at_default_timers(Stack::Fleet, FACTOR).await;
    let lesson = lesson_video(env.dir.path(), "lesson", 2).await;
    for record in RECORDS {
        server.put(&format!("{record}.flv"), lesson.clone());
    }
    // Each transcode takes longer than QUEUE_LEASE (3 s here): its lease is renewed throughout.
    let (bin, runs) = slow_counting_ffmpeg(env.dir.path(), 5);
    // One transcode at a time per worker: the others wait in the queue (a backlog).
    env.set("OSS_PROVIDER", "disabled").set("TRANSCODE_CONCURRENCY", "1");
    let queues = ["booking", "transcode-result", "notify", "node-report", "download", "class-end", "transcode-oss"]
        .map(String::from)
        .to_vec();
    let app = env.spawn_with(Launch { web: true, migrate: true, sweeper: true, queues, ..Launch::default() }).await;
    env.set("STORAGE_PUBLIC_URL", app.url("/storage"));
    env.set("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()));
    let workers = [
        env.start_skewed("ecs-ahead", &["work", "--queues", "transcode-ecs"], "+60s"),
        env.start_skewed("ecs-behind", &["work", "--queues", "transcode-ecs"], "-60s"),
    ];

    for record in RECORDS {
        let body = json!({"class_id": format!("c-{record}"), "record_id": record, "video_resolution": "240P",
            "video_url": server.url(&format!("{record}.flv"))});
        assert_eq!(app.post_booking(&body).await.status(), 202);
    }
    for record in RECORDS {
        let class_id = format!("c-{record}");
        eventually(&format!("{class_id} to be ready"), Duration::from_secs(120), || async {
            let booking = app.booking(&class_id).await?;
            let logs = || workers.iter().map(Process::output).collect::<Vec<_>>().join("\n");
            assert_ne!(booking["state"], "failed", "{booking}\n{}", logs());
            (booking["state"] == "ready").then_some(())
        })
        .await;
    }
    // A run taken again by mistake would still be on its way: wait for the queue to be idle.
    eventually("the transcode queue to be idle", Duration::from_secs(60), || async {
        let depths = app.app.queues.depths().await.ok()?;
        let ecs = depths.get("transcode-ecs")?;
        let busy: u64 = ["pending", "running", "delayed"].iter().filter_map(|s| ecs.get(s)).sum();
        (busy == 0).then_some(())
    })
    .await;
    let lines = std::fs::read_to_string(&runs).unwrap();
    let mut per_record: HashMap<i64, usize> = HashMap::new();
    for line in lines.lines() {
        let record = RECORDS.iter().find(|r| line.contains(&format!("/{r}_240P/")));
        *per_record.entry(*record.expect("a run names its record")).or_default() += 1;
    }
    for record in RECORDS {
        assert_eq!(per_record.get(&record), Some(&1), "record {record}'s transcode runs:\n{lines}");
    }
    app.stop().await;
}
