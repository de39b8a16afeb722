//! schemathesis (PyPI; `.ci/run` installs it) fuzzes the real app from `/api/openapi.json`:
//! no 5xx, and every answer as the document says (status, content type, headers, body schema),
//! every secured operation refusing a request without its token.
//!
//! The app runs web and a push host's `class-end` queue only: bookings and transcodes are taken
//! in and queued but never worked, so nothing is downloaded from the generated URLs (loopback
//! only), while the node's heartbeat fills `/api/nodes`.

use std::{process::Stdio, time::Duration};

use serde_json::{Value, json};
use workers::roles::Launch;

use super::TOKEN;
use crate::helpers::*;

/// Checks that cannot hold, and why: the parsers take more than the schemas say (legacy senders'
/// `""` for absent, ids as numbers), so schemathesis's "invalid" data is at times taken
/// (negative_data_rejection); and a booking's rules across fields (`video_url` required unless
/// a listed rendition or a resolution with sources) are no JSON Schema, so a "valid" one is at
/// times refused with a 400 naming the field (positive_data_acceptance).
const CANNOT_HOLD: &str = "negative_data_rejection,positive_data_acceptance";

/// The `schemathesis` command (not its short name `st`: another program has it), or a failure
/// that says how to get it.
fn schemathesis() -> std::path::PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("schemathesis"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!("schemathesis is not installed: `bash .ci/run` installs it (python3 -m pip install schemathesis)")
        })
}

/// A booking, a transcode, an upload and a live node, so that the examples' ids find something.
async fn seed(env: &TestEnv, app: &TestApp) {
    let booking = json!({"class_id": "c-1", "record_id": 6666, "video_url": "http://127.0.0.1:9/6666.flv",
        "video_resolution": "720P", "org_id": "22"});
    let response = app.http.post(app.url("/api/bookings")).bearer_auth(TOKEN).json(&booking).send().await.unwrap();
    assert_eq!(response.status(), 202);
    let transcode = json!({"record_id": 6666, "video_resolution": "240P", "video_url": "http://127.0.0.1:9/6666.flv"});
    let response = app.http.post(app.url("/api/transcode/ecs")).bearer_auth(TOKEN).json(&transcode).send().await;
    assert_eq!(response.unwrap().status(), 202);
    let object = env.dir.path().join("storage/22/6666");
    std::fs::create_dir_all(&object).unwrap();
    std::fs::write(object.join("6666_240P.flv"), lesson_bytes(4096)).unwrap();
    eventually("the node to report", Duration::from_secs(20), || async {
        let response = app.http.get(app.url("/api/nodes")).bearer_auth(TOKEN).send().await.ok()?;
        let nodes: Value = response.json().await.ok()?;
        (!nodes.as_array()?.is_empty()).then_some(())
    })
    .await;
}

/// On the embedded stack and on the fleet's (PostgreSQL takes less than SQLite: no NUL in text).
async fn no_server_error_and_no_departure_from_the_document(stack: Stack) {
    let command = schemathesis();
    let mut env = TestEnv::new(stack).await;
    env.set("API_TOKEN", TOKEN);
    let launch = Launch { web: true, migrate: true, queues: vec!["class-end".into()], ..Launch::default() };
    let app = env.spawn_with(launch).await;
    seed(&env, &app).await;

    let base = app.url("");
    let run = tokio::process::Command::new(command)
        .args(["run", &format!("{base}/api/openapi.json"), "--url", &base])
        .args(["--header", &format!("Authorization: Bearer {TOKEN}")])
        .args(["--checks", "all", "--exclude-checks", CANNOT_HOLD])
        // One worker: hypothesis on Python 3.11 parses its own sources with `ast`, which is not
        // thread-safe there ("AST constructor recursion depth mismatch"); the machine is small too.
        .args(["--max-examples", "30", "--workers", "1", "--request-timeout", "10"])
        .args(["--generation-database", "none", "--no-color"])
        .current_dir(env.dir.path())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(150), run)
        .await
        .expect("schemathesis finishes within 150 s")
        .expect("schemathesis runs");
    let printed = format!("{}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "schemathesis failed ({}):\n{printed}", output.status);
    // What it covered, for `--no-capture`.
    eprintln!("{printed}");
    app.stop().await;
}

on_stacks!(schemathesis_run = no_server_error_and_no_departure_from_the_document; embedded => Embedded, fleet => Fleet);
