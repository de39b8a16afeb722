//! `OSS_PROVIDER=mps` in the running app, against the local MPS stand-in that checks every
//! request's signature as Aliyun documents it.

use std::time::Duration;

use serde_json::json;
use testkit::mps_standin::{Knobs, MpsStandIn};
use workers::roles::Launch;

use crate::helpers::*;

const KEY_ID: &str = "LTAI-test-key-id";
const SECRET: &str = "mps-secret-for-tests";

async fn with_mps(stack: Stack, mps: &MpsStandIn, renditions: &FileServer) -> (TestEnv, TestApp) {
    let mut env = TestEnv::new(stack).await;
    env.set("OSS_PROVIDER", "mps")
        .set("MPS_ENDPOINT", mps.endpoint())
        .set("MPS_REGION", "cn-hangzhou")
        .set("MPS_PIPELINE_ID", "pipeline-1")
        .set("MPS_TEMPLATE_ID", "template-flv")
        .set("MPS_OUTPUT_BUCKET", "renditions")
        .set("MPS_OUTPUT_LOCATION", "oss-cn-hangzhou")
        .set("MPS_ACCESS_KEY_ID", KEY_ID)
        .set("MPS_ACCESS_KEY_SECRET", SECRET)
        .set("MPS_POLL_INTERVAL", "100ms")
        // The outputs are served from a CDN in front of the bucket: here, the lesson server.
        .set("MPS_OUTPUT_URL", renditions.url("cdn").trim_end_matches('/').to_owned());
    let queues = ["booking", "transcode-result", "notify", "node-report", "download", "class-end", "transcode-oss"]
        .map(String::from)
        .to_vec();
    let app = env.spawn_with(Launch { web: true, migrate: true, queues, ..Launch::default() }).await;
    (env, app)
}

fn booking() -> serde_json::Value {
    json!({"class_id": "c-mps", "record_id": 6666, "video_resolution": "240P",
        "video_url": "https://lessons.oss-cn-hangzhou.aliyuncs.com/records/6666.flv"})
}

async fn mps_makes_the_rendition_and_the_booking_downloads_it(stack: Stack) {
    let mps = MpsStandIn::start(KEY_ID, SECRET).await.unwrap();
    mps.set_knobs(Knobs { queries_until_done: 2, ..Knobs::default() });
    let cdn = FileServer::start().await.unwrap();
    cdn.put("cdn/6666/6666_240P.flv", lesson_bytes(30_000));
    let (_env, app) = with_mps(stack, &mps, &cdn).await;

    assert_eq!(app.post_booking(&booking()).await.status(), 202);
    let ready = app.wait_for_state("c-mps", "ready").await;
    assert!(ready["video_path"].as_str().unwrap().ends_with("6666/6666_240P.flv"));
    assert_eq!(mps.submits(), 1);
    assert!(mps.queries() >= 3, "polled until done: {}", mps.queries());
    assert!(mps.refusals().is_empty(), "every request was signed right: {:?}", mps.refusals());
    let submitted =
        mps.received().into_iter().find(|p| p.get("Action").map(String::as_str) == Some("SubmitJobs")).unwrap();
    let input: serde_json::Value = serde_json::from_str(&submitted["Input"]).unwrap();
    assert_eq!(input["Bucket"], "lessons");
    assert_eq!(input["Object"], "records/6666.flv");
    assert!(!submitted.values().any(|v| v.contains(SECRET)), "the secret is never sent");
    app.stop().await;
}

async fn an_mps_failure_goes_on_to_ecs(stack: Stack) {
    let mps = MpsStandIn::start(KEY_ID, SECRET).await.unwrap();
    mps.set_knobs(Knobs {
        fail_with: Some(("InvalidParameter.ResourceContentBad".into(), "bad source".into())),
        ..Knobs::default()
    });
    let cdn = FileServer::start().await.unwrap();
    let (_env, app) = with_mps(stack, &mps, &cdn).await;

    assert_eq!(app.post_booking(&booking()).await.status(), 202);
    let transcode = eventually("the transcode to go on to ecs", Duration::from_secs(20), || async {
        let list: Vec<serde_json::Value> =
            app.http.get(app.url("/api/transcodes/6666")).send().await.ok()?.json().await.ok()?;
        list.into_iter().find(|t| t["provider"] == "ecs")
    })
    .await;
    assert!(transcode["reason"].as_str().unwrap().contains("bad source"), "{transcode}");
    assert_eq!(app.booking("c-mps").await.unwrap()["state"], "waiting_transcode");
    app.stop().await;
}

on_stacks!(succeeds = mps_makes_the_rendition_and_the_booking_downloads_it; embedded => Embedded, redis => Redis);

on_stacks!(fails = an_mps_failure_goes_on_to_ecs; embedded => Embedded, redis => Redis);
