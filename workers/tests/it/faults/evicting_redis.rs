//! A Redis that evicts keys under memory pressure would drop queued jobs without a word: every
//! process type that uses Redis refuses to start on it, naming the policy.

use std::time::Duration;

use testkit::redis::own_redis_with;

use super::FACTOR;
use crate::helpers::*;

/// The Procfile's process types that connect to Redis (`release` runs migrations only).
const PROCESS_TYPES: &[(&str, &[&str])] = &[
    ("web", &["web"]),
    ("bridge", &["bridge"]),
    ("booking", &["work", "--queues", "booking,transcode-result,notify,node-report"]),
    ("transcode", &["work", "--queues", "transcode-oss,transcode-ecs"]),
    ("node", &["work", "--queues", "download,class-end"]),
    ("sweeper", &["sweeper"]),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_process_type_refuses_an_evicting_redis_naming_its_policy() {
    let (_redis, url) = own_redis_with(&["--maxmemory-policy", "allkeys-lru"]).await;
    let mut env = TestEnv::at_default_timers(Stack::Redis, FACTOR).await;
    env.set("REDIS_URL", url);
    let migrated = env.command(&["migrate"]).output().await.unwrap();
    assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
    for (name, args) in PROCESS_TYPES {
        let mut process = env.start(name, args);
        let status = process.exit_status(Duration::from_secs(30)).await;
        let output = process.output();
        assert!(!status.success(), "{name} started on an evicting Redis:\n{output}");
        assert!(
            output.contains("allkeys-lru") && output.contains("noeviction"),
            "{name} does not say why it refused:\n{output}"
        );
    }
}
