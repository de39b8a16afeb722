//! The document against the code: its examples parse with the real parsers, its error codes are
//! `ErrorCode`'s, every operation answers with examples. (That every route refuses a missing or
//! wrong token, walked from the served document, is `workers/tests/it/openapi.rs`.)

use serde_json::Value;
use shared::{
    config::Settings,
    domain::{Booking, ErrorCode, TranscodeRequest, TranscodeResult},
};

use super::build;

fn doc(metrics_public: bool) -> Value {
    serde_json::to_value(build(&Settings { metrics_public, ..Settings::default() })).unwrap()
}

/// Every (path, method, operation) of the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            out.push((path.clone(), method.clone(), operation.clone()));
        }
    }
    out
}

#[test]
fn is_openapi_3_1_with_both_ways_to_send_the_token() {
    let doc = doc(false);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!((&schemes["cookie"]["in"], &schemes["cookie"]["name"]), (&"cookie".into(), &"vteacher_session".into()));
}

#[test]
fn the_error_codes_are_error_code_s() {
    let doc = doc(false);
    let listed: Vec<&str> = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let ours: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(listed, ours);
    let detail = &doc["components"]["schemas"]["ErrorDetail"];
    assert_eq!(detail["required"], serde_json::json!(["code", "message", "field"]), "{detail}");
}

#[test]
fn request_examples_are_taken_by_the_parsers() {
    let doc = doc(false);
    let mut seen = 0;
    for (path, method, operation) in operations(&doc) {
        let Some(content) = operation["requestBody"]["content"].as_object() else { continue };
        for (media, body) in content {
            let example = &body["example"];
            assert!(!example.is_null(), "{method} {path} {media}: a request example");
            let parsed = match path.as_str() {
                "/api/bookings" => Booking::from_value(example.clone()).map(drop),
                "/api/transcode/oss" | "/api/transcode/ecs" => {
                    TranscodeRequest::from_json(example.to_string().as_bytes()).map(drop)
                }
                "/api/transcode/result" => TranscodeResult::from_value(example.clone()).map(drop),
                "/login" => Ok(()),
                other => panic!("{other}: which parser reads this body? Add it here"),
            };
            assert_eq!(parsed, Ok(()), "{method} {path}: {example}");
            seen += 1;
        }
    }
    assert_eq!(seen, 5);
}

#[test]
fn every_response_has_a_description_and_an_example() {
    let doc = doc(false);
    let components = &doc["components"]["responses"];
    for (path, method, operation) in operations(&doc) {
        let responses = operation["responses"].as_object().unwrap();
        // `POST /login` succeeds with a redirect to the dashboard.
        assert!(responses.keys().any(|s| s.starts_with('2') || s == "303"), "{method} {path}: its success");
        for (status, response) in responses {
            let response = match response["$ref"].as_str() {
                Some(name) => &components[name.trim_start_matches("#/components/responses/")],
                None => response,
            };
            assert!(response["description"].as_str().is_some_and(|d| !d.is_empty()), "{method} {path} {status}");
            // Bytes as stored (`/storage`) have no example to give.
            for (media, content) in response["content"].as_object().into_iter().flatten() {
                let has = !content["example"].is_null()
                    || content["examples"].as_object().is_some_and(|e| !e.is_empty())
                    || media == "application/octet-stream";
                assert!(has, "{method} {path} {status} {media}: an example");
            }
        }
    }
}

#[test]
fn metrics_public_opens_metrics_in_the_document_too() {
    let secured = |doc: &Value| doc["paths"]["/metrics"]["get"]["security"].is_array();
    assert!(secured(&doc(false)));
    assert!(!secured(&doc(true)));
}
