//! A report crafted as from host B about a booking placed on host A: refused (no state change,
//! no result), logged and counted.

use std::time::Duration;

use serde_json::{Value, json};
use shared::{domain::NodeReport, jobs::NodeReportJob};

use crate::{cache::book, helpers::*};

fn report(value: Value) -> NodeReportJob {
    NodeReportJob(serde_json::from_value::<NodeReport>(value).expect("a well-formed report"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_about_a_booking_placed_on_another_host_changes_nothing() {
    let server = FileServer::start().await.unwrap();
    server.put("31.flv", lesson_bytes(40_000));
    let mut env = TestEnv::new(Stack::Redis).await;
    env.set("METRICS_PUBLIC", "true");
    let app = env.spawn().await;
    book(&app, "c-placed-on-a", 31, &server.url("31.flv"), json!({})).await;
    let before = app.wait_for_state("c-placed-on-a", "ready").await;
    let placed = before["node"].as_str().unwrap().to_owned();
    let liar = "node-b-liar";
    assert_ne!(placed, liar);

    // Host B says the class failed on it, that it let the class go, and that it is ready on it.
    let key = json!({"record_id": 31, "resolution": "480P", "org_id": null});
    for lie in [
        json!({"report": "failed", "node": liar, "class_id": "c-placed-on-a", "reason": "a lie"}),
        json!({"report": "ended", "node": liar, "class_id": "c-placed-on-a"}),
        json!({"report": "ready", "node": liar, "classes": ["c-placed-on-a"], "video_path": "/elsewhere.flv",
            "video": {"key": key, "bytes": 40_000}}),
    ] {
        app.app.queues.enqueue(report(lie), None).await.unwrap();
    }

    eventually("the three reports refused and counted", Duration::from_secs(20), || async {
        (app.metric("vteacher_reports_refused_total", "").await == 3).then_some(())
    })
    .await;
    for kind in ["failed", "ended", "ready"] {
        let counted = app.metric_with("vteacher_reports_refused_total", &[&format!("report=\"{kind}\"")]).await;
        assert_eq!(counted, 1, "one {kind} report refused");
    }
    let after = app.booking("c-placed-on-a").await.unwrap();
    for field in ["state", "node", "reason", "video_path"] {
        assert_eq!(after[field], before[field], "{field} unchanged: {after}");
    }
    app.stop().await;
}
