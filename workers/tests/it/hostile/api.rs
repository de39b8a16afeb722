//! Arbitrary bodies at every API route that reads one: a 4xx with a stable error code (never a
//! 5xx, never a dropped connection), nothing stored, and the API still serving.

use serde_json::{Value, json};
use shared::domain::{Booking, TranscodeRequest, TranscodeResult};

use super::{
    bridge::snapshot,
    messages::{Gen, malformed},
};
use crate::helpers::*;

const PER_ROUTE: usize = 300;
const CODES: [&str; 3] = ["malformed_json", "not_an_object", "invalid_field"];

/// Up to `PER_ROUTE` malformed bodies that `refused` refuses.
fn bodies(refused: impl Fn(&[u8]) -> bool) -> Vec<Vec<u8>> {
    let mut g = Gen::new(0xB0D1E5);
    (0..PER_ROUTE * 10)
        .map(|i| malformed(i, &mut g))
        .map(|(_, body)| body)
        .filter(|b| refused(b))
        .take(PER_ROUTE)
        .collect()
}

async fn arbitrary_bodies_get_a_clear_4xx_and_store_nothing(stack: Stack) {
    let env = TestEnv::new(stack).await;
    let app = env.spawn().await;
    let before = snapshot(&app).await;
    let routes: [(&str, Vec<Vec<u8>>); 4] = [
        ("/api/bookings", bodies(|b| Booking::from_json(b).is_err())),
        ("/api/transcode/oss", bodies(|b| TranscodeRequest::from_json(b).is_err())),
        ("/api/transcode/ecs", bodies(|b| TranscodeRequest::from_json(b).is_err())),
        ("/api/transcode/result", bodies(|b| TranscodeResult::from_json(b).is_err())),
    ];
    for (route, bodies) in &routes {
        assert_eq!(bodies.len(), PER_ROUTE, "{route}");
        for body in bodies {
            let shown = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
            let response = app
                .http
                .post(app.url(route))
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .unwrap_or_else(|e| panic!("{route} {shown}: {e}"));
            assert_eq!(response.status(), 400, "{route} {shown}");
            let error: Value = response.json().await.unwrap_or_else(|e| panic!("{route} {shown}: {e}"));
            let code = error["error"]["code"].as_str().unwrap_or_default();
            assert!(CODES.contains(&code), "{route} {shown}: {error}");
            let message = error["error"]["message"].as_str().unwrap_or_default();
            assert!(
                !message.is_empty() && message.len() <= 1000,
                "{route}: a bounded message, got {} bytes",
                message.len()
            );
        }
    }
    // The login form: any text as the token, never a server error.
    let mut g = Gen::new(7);
    for i in 0..200 {
        let (_, raw) = malformed(i, &mut g);
        for form in [raw.clone(), [&b"token="[..], &raw].concat(), b"token=a%0D%0ASet-Cookie:%20x=1".to_vec()] {
            let response = app
                .http
                .post(app.url("/login"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form.clone())
                .send()
                .await
                .unwrap();
            let status = response.status();
            assert!(!status.is_server_error(), "/login {}: {status}", String::from_utf8_lossy(&form));
        }
    }
    assert_eq!(snapshot(&app).await, before, "nothing stored");
    // Still serving.
    let server = FileServer::start().await.unwrap();
    server.put("ok.flv", lesson_bytes(1000));
    let good = json!({"class_id": "c-good", "record_id": 1, "video_url": server.url("ok.flv")});
    assert_eq!(app.post_booking(&good).await.status(), 202);
    app.wait_for_state("c-good", "ready").await;
    app.stop().await;
}

on_stacks!(api = arbitrary_bodies_get_a_clear_4xx_and_store_nothing; embedded => Embedded);

/// PostgreSQL's text and jsonb cannot hold U+0000 (SQLite can): a NUL in any string of a message,
/// or in a class id asked for, is the client's mistake on every backend, a 400 naming where,
/// never a 503 `database_unavailable` to retry (schemathesis found it on the fleet stack).
async fn a_nul_character_is_a_400_naming_its_field(stack: Stack) {
    let env = TestEnv::new(stack).await;
    let app = env.spawn().await;
    let before = snapshot(&app).await;
    let booking = json!({"class_id": "c-nul", "record_id": 1, "video_url": "http://127.0.0.1:9/a.flv"});
    let mut cases = Vec::new();
    for (field, value) in [("course_name", json!("Phonics\u{0}3")), ("note", json!({"deep": ["a\u{0}"]}))] {
        let mut body = booking.clone();
        body[field] = value;
        cases.push(("/api/bookings", body, field));
    }
    let result = json!({"record_id": 1, "video_resolution": "240P", "result": "fail", "type": "ecs",
        "reason": "broke\u{0}n"});
    cases.push(("/api/transcode/result", result, "reason"));
    for (route, body, field) in cases {
        let response = app.http.post(app.url(route)).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 400, "{route} {body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!((&error["error"]["code"], &error["error"]["field"]), (&json!("invalid_field"), &json!(field)));
    }
    let response = app.http.get(app.url("/api/bookings/c%00nul")).send().await.unwrap();
    assert_eq!(response.status(), 400, "a class id with a NUL");
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["field"], "class_id", "{error}");
    assert_eq!(snapshot(&app).await, before, "nothing stored");
    app.stop().await;
}

on_stacks!(nul = a_nul_character_is_a_400_naming_its_field; embedded => Embedded, fleet => Fleet);
