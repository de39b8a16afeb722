//! A push host with a Redis user of its own (`vteacher node acl <NODE_ID> --apply`), on a
//! Redis of the test's own (its users are the test's to change): the host takes a booking to
//! `ready` without Redis refusing it anything, and with its credentials the booking queue,
//! another host's queue and directory entry, the results and the reports of others answer
//! NOPERM.

use std::process::Stdio;

use redis::Value;
use serde_json::json;
use tokio::io::AsyncWriteExt;

use crate::{cache::book, helpers::*};

const PASSWORD: &str = "a-push-host-password";

/// `vteacher node acl <node> --apply <admin> --password-stdin`: its stdout.
async fn apply_user(env: &TestEnv, node: &str, admin: &str) -> String {
    let mut command = env.command(&["node", "acl", node, "--apply", admin, "--password-stdin"]);
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    child.stdin.take().unwrap().write_all(format!("{PASSWORD}\n").as_bytes()).await.unwrap();
    let out = child.wait_with_output().await.unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "node acl failed: {stdout}\n{stderr}");
    assert!(!stdout.contains(PASSWORD) && !stderr.contains(PASSWORD), "the password is never printed");
    stdout.into_owned()
}

/// The entries of `ACL LOG` (every command refused by an ACL since the last reset).
async fn acl_log(admin: &mut redis::aio::MultiplexedConnection) -> Vec<Value> {
    redis::cmd("ACL").arg("LOG").query_async(admin).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_host_works_with_its_own_user_and_reaches_nothing_else() {
    let (_redis, admin_url) = own_redis().await;
    let server = FileServer::start().await.unwrap();
    server.put("41.flv", lesson_bytes(60_000));
    let mut env = TestEnv::new(Stack::Fleet).await;
    env.set("REDIS_URL", admin_url.clone());
    let app = env.spawn_with(central()).await;
    let mut admin = redis::Client::open(admin_url.as_str()).unwrap().get_multiplexed_async_connection().await.unwrap();

    let node = format!("{}-a", env.pairs["NODE_ID"]);
    let line = apply_user(&env, &node, &admin_url).await;
    let user = format!("vteacher-node-{node}");
    assert!(line.starts_with(&format!("ACL SETUSER {user} reset on #")), "{line}");
    let port = admin_url.rsplit(':').next().unwrap();
    let node_url = format!("redis://{user}:{PASSWORD}@127.0.0.1:{port}");
    let host = env.start_node("a", &[("REDIS_URL", Some(node_url.clone()))]);
    live_nodes(&app, 1).await;

    book(&app, "c-own-user", 41, &server.url("41.flv"), json!({})).await;
    let ready = app.wait_for_state("c-own-user", "ready").await;
    assert_eq!(ready["node"], node.as_str());
    // Its heartbeat went on with the same user meanwhile: Redis refused it nothing.
    assert_eq!(acl_log(&mut admin).await, Vec::<Value>::new(), "Redis refused the push host something");

    let mut as_node = redis::Client::open(node_url.as_str()).unwrap().get_multiplexed_async_connection().await.unwrap();
    let p = &env.prefix;
    let elsewhere: Vec<(&str, Vec<String>)> = vec![
        ("the booking queue", vec!["LPUSH".into(), format!("{{{p}:booking}}:pending"), "x".into()]),
        ("the booking queue", vec!["LRANGE".into(), format!("{{{p}:booking}}:pending"), "0".into(), "-1".into()]),
        ("another host's queue", vec!["RPUSH".into(), format!("{{{p}:download:node-other}}:pending"), "x".into()]),
        ("another host's queue", vec!["LPOP".into(), format!("{{{p}:download:node-other}}:pending")]),
        ("another host's status", vec!["SET".into(), format!("{p}:node:node-other"), "{}".into()]),
        ("the results' queue", vec!["LRANGE".into(), format!("{{{p}:notify}}:pending"), "0".into(), "-1".into()]),
        ("the results' channel", vec!["PUBLISH".into(), env.pairs["CHANNEL_RESULT"].clone(), "{}".into()]),
        ("others' reports", vec!["LPOP".into(), format!("{{{p}:node-report}}:pending")]),
        ("others' reports", vec!["HGETALL".into(), format!("{{{p}:node-report}}:j:1")]),
        (
            "a script on the booking queue",
            vec![
                "EVAL".into(),
                "return redis.call('LLEN', KEYS[1])".into(),
                "1".into(),
                format!("{{{p}:booking}}:pending"),
            ],
        ),
    ];
    for (what, args) in elsewhere {
        let mut command = redis::cmd(&args[0]);
        for arg in &args[1..] {
            command.arg(arg);
        }
        let answer: redis::RedisResult<Value> = command.query_async(&mut as_node).await;
        let err = answer.expect_err(&format!("{what}: {args:?} was allowed"));
        // redis-rs shows the code as `NoPerm`; Redis's own text is `NOPERM …`.
        assert_eq!(err.code(), Some("NOPERM"), "{what}: {args:?}: {err}");
    }
    assert!(!host.process.output().contains(PASSWORD), "the host never logs its password");
    app.stop().await;
}
