//! Bearer `API_TOKEN` on `/api` and the dashboard (constant-time compare). A browser cannot
//! send a bearer header, so `/login` sets a signed session in an HttpOnly cookie instead
//! (`session`: never the token itself; `Secure` when the browser came over https, through a TLS
//! proxy). `login_limit` guards the form against guessing.

use axum::{
    Form,
    extract::{Request, State},
    http::{HeaderMap, StatusCode, Uri, header},
    middleware::Next,
    response::{Html, IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use shared::{App, domain::ErrorCode};
use subtle::ConstantTimeEq;

use super::{
    error::ApiError,
    session::{self, SessionKey},
};

pub(super) const COOKIE: &str = "vteacher_session";

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "))
}

/// Every value the request gives the session cookie (a browser may send more than one).
fn sessions(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
}

fn matches(expected: &str, given: &str) -> bool {
    bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

fn authorized(app: &App, headers: &HeaderMap) -> bool {
    let Some(token) = &app.settings.api_token else {
        return true;
    };
    if bearer(headers).is_some_and(|given| matches(token, given)) {
        return true;
    }
    let key = SessionKey::derive(token);
    let now = session::now();
    sessions(headers).any(|value| key.verify(value, now))
}

/// What a request without a valid token is told.
pub(super) fn unauthorized() -> ApiError {
    ApiError::new(ErrorCode::Unauthorized, "a valid bearer token is required")
}

/// Guards `/api`: 401 with a JSON error.
pub(super) async fn require_token(State(app): State<App>, request: Request, next: Next) -> Response {
    if authorized(&app, request.headers()) {
        return next.run(request).await;
    }
    let mut response = unauthorized().into_response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, "Bearer".parse().expect("static header"));
    response
}

/// Guards the dashboard's pages: to the login form.
pub(super) async fn require_login(State(app): State<App>, request: Request, next: Next) -> Response {
    if authorized(&app, request.headers()) {
        return next.run(request).await;
    }
    Redirect::to("/login").into_response()
}

/// The dashboard's login form.
#[utoipa::path(get, path = "/login", tag = "operations",
    responses((status = 200, description = "The form", content_type = "text/html", body = String,
        example = "<!doctype html><title>vteacher</title><form method=post action=/login>…</form>")))]
pub(super) async fn login_form() -> Html<&'static str> {
    Html(
        "<!doctype html><title>vteacher</title><form method=post action=/login>\
         <label>API token <input type=password name=token autofocus></label> \
         <button>Open the dashboard</button></form>",
    )
}

/// The login form's body.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct Login {
    /// The `API_TOKEN`.
    token: String,
}

/// Whether the browser reached us over https. vteacher itself serves plain HTTP, so that is an
/// https URI (absolute form) or a TLS proxy's word: the first `X-Forwarded-Proto`, or
/// `Forwarded: proto=https`. The header is trusted from anyone: it can only add `Secure`,
/// which makes the cookie stricter, never weaker.
fn over_https(uri: &Uri, headers: &HeaderMap) -> bool {
    let https = |v: &str| v.trim().trim_matches('"').eq_ignore_ascii_case("https");
    let first = |name: header::HeaderName| {
        headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.split(',').next()).map(str::to_owned)
    };
    let forwarded = first(header::FORWARDED).is_some_and(|hop| {
        hop.split(';')
            .filter_map(|pair| pair.split_once('='))
            .any(|(k, v)| k.trim().eq_ignore_ascii_case("proto") && https(v))
    });
    uri.scheme_str().is_some_and(https)
        || first(header::HeaderName::from_static("x-forwarded-proto")).is_some_and(|v| https(&v))
        || forwarded
}

/// Sets a signed session (not the token) as an HttpOnly, SameSite=Strict cookie (also `Secure`
/// over https) and goes to the dashboard. Without `API_TOKEN` there is nothing to sign with
/// and nothing to guard: straight to the dashboard.
#[utoipa::path(post, path = "/login", tag = "operations",
    request_body(content = Login, content_type = "application/x-www-form-urlencoded",
        example = json!({"token": "the API_TOKEN"})),
    responses(
        (status = 303, description = "Logged in: to the dashboard",
            headers(("Set-Cookie" = String,
                description = "vteacher_session=<expires>.<id>.<hmac>; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200"),
                ("Location" = String, description = "/"))),
        (status = 401, description = "Wrong token", content_type = "text/html", body = String,
            example = "wrong token; <a href=/login>try again</a>"),
        (status = 415, description = "Not a form (axum's rejection)", content_type = "text/plain", body = String,
            example = "Form requests must have `Content-Type: application/x-www-form-urlencoded`"),
        (status = 422, description = "No `token` field (axum's rejection)", content_type = "text/plain", body = String,
            example = "Failed to deserialize form body: missing field `token`"),
        (status = 429, description = "Too many failed logins from this client address (10 a minute)",
            content_type = "text/html", body = String,
            headers(("Retry-After" = u64, description = "Seconds until the next attempt is taken")),
            example = "too many login attempts; try again in 6 s")))]
pub(super) async fn login(State(app): State<App>, uri: Uri, headers: HeaderMap, Form(login): Form<Login>) -> Response {
    let Some(token) = app.settings.api_token.as_deref() else {
        return Redirect::to("/").into_response();
    };
    if !matches(token, &login.token) {
        return (StatusCode::UNAUTHORIZED, Html("wrong token; <a href=/login>try again</a>")).into_response();
    }
    let value = SessionKey::derive(token).issue(session::now());
    let secure = if over_https(&uri, &headers) { "; Secure" } else { "" };
    let max_age = session::LIFETIME.as_secs();
    let cookie = format!("{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
}
