//! The web edge as the open internet meets it: `/readyz` names the dependency that is down
//! but not its error, `/login` is rate-limited per client address, and the dashboard's cookie
//! is a signed session, never the token.

use std::{net::IpAddr, time::Duration};

use reqwest::{Client, StatusCode, redirect::Policy};
use serde_json::Value;
use workers::roles::Launch;

use crate::helpers::*;

const TOKEN: &str = "edge-t0ken-Secret";

fn web_only() -> Launch {
    Launch { web: true, migrate: true, ..Launch::default() }
}

/// A client that does not follow redirects, its connections from `from` (any 127.0.0.0/8
/// address is loopback: a second client address on one machine).
fn client_from(from: &str) -> Client {
    let from: IpAddr = from.parse().unwrap();
    shared::tools::http::builder().redirect(Policy::none()).local_address(from).build().unwrap()
}

async fn login(http: &Client, app: &TestApp, token: &str) -> reqwest::Response {
    http.post(app.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={token}"))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_names_the_dependency_down_but_not_its_error() {
    let mut env = TestEnv::new(Stack::Redis).await;
    let (mut redis, redis_url) = own_redis().await;
    let port = redis_url.rsplit(':').next().unwrap().to_owned();
    env.set("REDIS_URL", redis_url);
    let mut web = env.start_with("web", &["web"], &[("RUST_LOG", None)]);
    let base = format!("http://{}", web.web_addr().await);
    let http = shared::tools::http::bare();
    let ready = http.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200, "{:?}", ready.text().await);

    redis.kill().await.unwrap();
    let body = eventually("/readyz to say not ready", Duration::from_secs(20), || async {
        let response = http.get(format!("{base}/readyz")).timeout(Duration::from_secs(5)).send().await.ok()?;
        (response.status() == StatusCode::SERVICE_UNAVAILABLE).then_some(())?;
        response.text().await.ok()
    })
    .await;
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["down"], serde_json::json!(["redis"]), "{body}");
    assert_eq!(json["status"], "not_ready", "{body}");
    let lower = body.to_lowercase();
    for leak in ["refused", "connection", "os error", "127.0.0.1", port.as_str(), "redis://"] {
        assert!(!lower.contains(leak), "the body gives away {leak:?}: {body}");
    }

    web.signal(nix::sys::signal::Signal::SIGTERM);
    web.exit_status(Duration::from_secs(10)).await;
    let log = web.output();
    let said = log.lines().any(|l| l.contains("WARN") && l.contains("not ready") && l.contains("redis"));
    assert!(said, "the reason is in the log:\n{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_is_rate_limited_per_client_address() {
    let mut env = TestEnv::new(Stack::Embedded).await;
    env.set("API_TOKEN", TOKEN);
    let app = env.spawn_with(web_only()).await;
    let (one, two) = (client_from("127.0.0.1"), client_from("127.0.0.2"));

    for attempt in 1..=10 {
        assert_eq!(login(&one, &app, "guess").await.status(), 401, "attempt {attempt}");
    }
    let limited = login(&one, &app, "guess").await;
    assert_eq!(limited.status(), 429, "the 11th failed attempt within a minute");
    let retry_after: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "Retry-After: {retry_after}");
    assert_eq!(login(&one, &app, TOKEN).await.status(), 429, "even the right token waits");
    // A header names another client: not believed without BEHIND_PROXY.
    let forged = one
        .post(app.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-forwarded-for", "203.0.113.9")
        .body(format!("token={TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 429, "X-Forwarded-For is not trusted by default");
    // The bearer API is not the login form: not limited.
    let api = one.get(app.url("/api/nodes")).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(api.status(), 200);

    // Another address is not affected; its successful logins are not counted against it.
    for _ in 0..12 {
        assert_eq!(login(&two, &app, TOKEN).await.status(), 303);
    }
    app.stop().await;

    // Behind a trusted proxy, the client is the address it appended to X-Forwarded-For.
    env.set("BEHIND_PROXY", "true");
    let app = env.spawn_with(web_only()).await;
    let from = |client: &'static str| {
        one.post(app.url("/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-forwarded-for", format!("198.51.100.1, {client}"))
            .body("token=guess")
            .send()
    };
    for _ in 0..10 {
        assert_eq!(from("203.0.113.1").await.unwrap().status(), 401);
    }
    assert_eq!(from("203.0.113.1").await.unwrap().status(), 429);
    assert_eq!(from("203.0.113.2").await.unwrap().status(), 401, "another client behind the proxy");
    app.stop().await;
}

/// The cookie's value, from a `Set-Cookie` header.
fn value_of(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_cookie_is_signed_and_never_the_token() {
    let mut env = TestEnv::new(Stack::Embedded).await;
    env.set("API_TOKEN", TOKEN);
    let app = env.spawn_with(web_only()).await;
    let http = client_from("127.0.0.1");
    let opens = |cookie: String| {
        let request = http.get(app.url("/")).header("cookie", cookie);
        async move { request.send().await.unwrap().status() }
    };

    let logged_in = login(&http, &app, TOKEN).await;
    assert_eq!(logged_in.status(), 303);
    let set_cookie = logged_in.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(!set_cookie.contains(TOKEN), "the token is in the cookie: {set_cookie}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.split(';').any(|a| a.trim() == attribute), "{attribute}: {set_cookie}");
    }
    let cookie = value_of(&set_cookie);
    assert_eq!(opens(cookie.clone()).await, 200, "a valid session opens the dashboard");
    let api = http.get(app.url("/api/nodes")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(api.status(), 200, "and the API");

    // Each byte of the value changed in turn: every one refused.
    let (name, value) = cookie.split_once('=').unwrap();
    for at in 0..value.len() {
        let mut bytes = value.as_bytes().to_vec();
        bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
        let tampered = format!("{name}={}", String::from_utf8(bytes).unwrap());
        let page = http.get(app.url("/")).header("cookie", &tampered).send().await.unwrap();
        assert_eq!(page.status(), 303, "tampered at {at}: {tampered}");
        assert_eq!(page.headers()["location"], "/login");
        let api = http.get(app.url("/api/nodes")).header("cookie", &tampered).send().await.unwrap();
        assert_eq!(api.status(), 401, "tampered at {at}");
    }
    // The old cookie, the token itself, opens nothing any more; nor a made-up session.
    for forged in [format!("vteacher_token={TOKEN}"), format!("{name}={TOKEN}"), format!("{name}=4102444800.00.00")] {
        assert_eq!(opens(forged.clone()).await, 303, "{forged}");
    }

    // Another web process of the fleet, the same API_TOKEN: the session holds there too.
    let other = env.spawn_with(web_only()).await;
    let there = http.get(other.url("/")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(there.status(), 200, "a session of one web process opens another's");
    other.stop().await;
    app.stop().await;

    // The token rotated: sessions signed under the old one end.
    env.set("API_TOKEN", "rotated-t0ken");
    let rotated = env.spawn_with(web_only()).await;
    let after = http.get(rotated.url("/")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(after.status(), 303, "a session of the old token");
    rotated.stop().await;
}
