//! `GET /api/openapi.json` against the router: every operation that declares the security
//! scheme refuses a missing or wrong token (walked from the served document, so a new route
//! cannot skip the check), the open ones are the known public set, every route of the router is
//! in the document, and the dashboard refuses too. `schemathesis.rs` fuzzes the API from it.

mod schemathesis;

use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::Value;
use workers::roles::Launch;

use crate::helpers::*;

const TOKEN: &str = "openapi-t0ken";

/// Open by design: probes, the document itself, the login form, uploads (push hosts download
/// them like a CDN's), and `/metrics` only with `METRICS_PUBLIC`.
const PUBLIC: [(&str, &str); 6] = [
    ("/healthz", "get"),
    ("/readyz", "get"),
    ("/api/openapi.json", "get"),
    ("/login", "get"),
    ("/login", "post"),
    ("/storage/{key}", "get"),
];

fn web_only() -> Launch {
    Launch { web: true, migrate: true, ..Launch::default() }
}

/// Every (path, method, operation) of a document.
pub(crate) fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            out.push((path.clone(), method.clone(), operation.clone()));
        }
    }
    out
}

/// `path` with each `{param}` replaced by its example in the document.
fn filled(path: &str, operation: &Value) -> String {
    let mut out = path.to_owned();
    for param in operation["parameters"].as_array().into_iter().flatten().filter(|p| p["in"] == "path") {
        let name = param["name"].as_str().unwrap();
        let example = match &param["example"] {
            Value::String(s) => s.clone(),
            Value::Null => panic!("{path}: the path parameter {name} has no example"),
            other => other.to_string(),
        };
        out = out.replace(&format!("{{{name}}}"), &example);
    }
    assert!(!out.contains('{'), "{path}: a path parameter left unfilled: {out}");
    out
}

fn secured(operation: &Value) -> bool {
    operation["security"]
        .as_array()
        .is_some_and(|s| !s.is_empty() && s.iter().all(|r| r != &Value::Object(Default::default())))
}

/// The request of an operation: its method, its filled path, its example body.
fn request(http: &reqwest::Client, app: &TestApp, path: &str, method: &str, operation: &Value) -> RequestBuilder {
    let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
    let request = http.request(method, app.url(&filled(path, operation)));
    match operation["requestBody"]["content"]["application/json"]["example"].clone() {
        Value::Null => request,
        body => request.json(&body),
    }
}

async fn assert_unauthorized(response: reqwest::Response, what: &str) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{what}");
    let challenge = response.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(challenge.as_deref(), Some("Bearer"), "{what}");
    let body: Value = response.json().await.unwrap_or_else(|e| panic!("{what}: a JSON error: {e}"));
    assert_eq!(body["error"]["code"], "unauthorized", "{what}: {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_secured_route_refuses_a_missing_or_wrong_token() {
    let mut env = TestEnv::new(Stack::Embedded).await;
    env.set("API_TOKEN", TOKEN);
    let app = env.spawn_with(web_only()).await;
    // A fresh connection per request: after a 413 the server closes the connection, and a
    // pooled one reused after that fails with IncompleteMessage (seen under load).
    let http = shared::tools::http::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let response = http.get(app.url("/api/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), 200, "the document is public");
    let doc: Value = response.json().await.unwrap();

    let mut walked = 0;
    for (path, method, operation) in operations(&doc) {
        let what = format!("{} {path}", method.to_uppercase());
        if !secured(&operation) {
            assert!(PUBLIC.contains(&(path.as_str(), method.as_str())), "{what} is open: declare its security");
            continue;
        }
        let wrong: [(&str, Option<(&str, String)>); 5] = [
            ("no token", None),
            ("a wrong token", Some(("authorization", "Bearer wrong".into()))),
            ("the token and more", Some(("authorization", format!("Bearer {TOKEN}x")))),
            ("not a bearer", Some(("authorization", format!("Basic {TOKEN}")))),
            ("a wrong cookie", Some(("cookie", "vteacher_token=wrong".into()))),
        ];
        for (case, header) in wrong {
            let mut refused = request(&http, &app, &path, &method, &operation);
            if let Some((name, value)) = header {
                refused = refused.header(name, value);
            }
            assert_unauthorized(refused.send().await.unwrap(), &format!("{what} with {case}")).await;
        }
        // With the token the same request reaches its handler: the route is real.
        let ok = request(&http, &app, &path, &method, &operation).bearer_auth(TOKEN).send().await.unwrap();
        let kind = ok.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        assert!(ok.status() != 401 && ok.status() != 303 && !kind.starts_with("text/html"), "{what}: {}", ok.status());
        walked += 1;
    }
    assert!(walked >= 11, "the API's operations and /metrics: {walked}");
    // The 413 the document promises for a body over 2 MiB (axum's limit).
    let huge = http.post(app.url("/api/bookings")).bearer_auth(TOKEN).body(vec![b' '; 3 << 20]).send().await.unwrap();
    assert_eq!(huge.status(), 413);
    let documented = &doc["paths"]["/api/bookings"]["post"]["responses"]["413"]["$ref"];
    assert_eq!(documented, "#/components/responses/PayloadTooLarge");

    // The dashboard (not in the document) refuses them too, its page and its API alike: to the
    // login form (its login layer is outermost).
    for path in ["/", "/api/v1/queues", "/api/v1/queues/booking/tasks?status=Pending&page=1"] {
        let wrong = [None, Some(("cookie", "vteacher_token=wrong")), Some(("authorization", "Bearer wrong"))];
        for header in wrong {
            let mut refused = http.get(app.url(path));
            if let Some((name, value)) = header {
                refused = refused.header(name, value);
            }
            let refused = refused.send().await.unwrap();
            let location = refused.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
            assert_eq!((refused.status().as_u16(), location.as_deref()), (303, Some("/login")), "{path} {header:?}");
        }
    }
    let allowed = http.get(app.url("/api/v1/queues")).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(allowed.status(), 200, "the dashboard's API with the token");
    app.stop().await;

    env.set("METRICS_PUBLIC", "true");
    let app = env.spawn_with(web_only()).await;
    let doc: Value = http.get(app.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(!secured(&doc["paths"]["/metrics"]["get"]), "METRICS_PUBLIC: the document says /metrics is open");
    assert_eq!(http.get(app.url("/metrics")).send().await.unwrap().status(), 200);
    app.stop().await;
}

/// The routes `web/mod.rs` declares, as (path, method): each `.route("…", get(…).post(…))`.
fn router_routes() -> Vec<(String, String)> {
    let source = include_str!("../../../src/web/mod.rs");
    let mut out = Vec::new();
    for (at, opening) in source.match_indices(".route(\"") {
        let (path, rest) = source[at + opening.len()..].split_once('"').unwrap();
        let call = &rest[..rest.find("\n").unwrap_or(rest.len())];
        for method in ["get", "post", "put", "patch", "delete"] {
            if call.contains(&format!(" {method}(")) || call.contains(&format!(".{method}(")) {
                out.push((path.to_owned(), method.to_owned()));
            }
        }
    }
    out
}

#[tokio::test]
async fn the_document_lists_every_route_of_the_router() {
    let routes = router_routes();
    assert!(routes.len() >= 17, "the parse of web/mod.rs found {routes:?}");
    let settings = TestEnv::new(Stack::Embedded).await.settings();
    let doc = serde_json::to_value(workers::web::openapi_document(&settings)).unwrap();
    for (path, method) in routes {
        // axum's catch-all and the empty key are the document's `/storage/{key}`.
        let documented = match path.as_str() {
            "/storage/" | "/storage/{*key}" => "/storage/{key}".to_owned(),
            other => other.to_owned(),
        };
        assert!(doc["paths"][&documented][&method].is_object(), "{method} {path} is not in /api/openapi.json");
    }
}
