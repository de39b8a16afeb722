//! `GET /api/openapi.json`: the OpenAPI 3.1 document of every route of `web`, generated from the
//! code (utoipa): each handler carries its `#[utoipa::path]`, the bodies' schemas derive from
//! the types parsed and serialized (`shared::domain`, `BookingStatus`, …), the error responses
//! come from `responses`. Public, like `/healthz`: it is the same for every deployment, holds no
//! data, and tells a client how to authenticate. The dashboard's own API (`/api/v1`) is
//! apalis-board's and is not in it.

pub(super) mod examples;
mod responses;
#[cfg(test)]
mod tests;

use axum::{Json, extract::State};
use shared::{App, config::Settings};
use utoipa::{
    Modify, OpenApi,
    openapi::{
        self,
        security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

pub(super) use responses::{BadRequest, Conflict, NotFound, PayloadTooLarge, Unauthorized, Unavailable};

use super::{auth, bookings, classes, error, health, metrics, nodes, storage, transcodes};

#[derive(OpenApi)]
#[openapi(
    info(title = "vteacher", description = "Bookings of virtual-teacher classes, transcodes and push hosts. \
        When API_TOKEN is set, every operation that lists a security requirement needs it: \
        `Authorization: Bearer <API_TOKEN>`, or the cookie `POST /login` sets."),
    paths(
        bookings::create, bookings::show, classes::end, nodes::list, nodes::show,
        transcodes::oss, transcodes::ecs, transcodes::result, transcodes::list, transcodes::reset,
        metrics::metrics, health::healthz, health::readyz, storage::serve, auth::login_form, auth::login,
        document,
    ),
    components(schemas(error::ErrorBody), responses(BadRequest, Unauthorized, NotFound, Conflict, PayloadTooLarge, Unavailable)),
    modifiers(&Security),
    tags(
        (name = "bookings", description = "Classes booked: their videos made ready on a push host"),
        (name = "transcodes", description = "Renditions at a resolution: the cloud (oss) or our ffmpeg (ecs)"),
        (name = "nodes", description = "Push hosts, as they last reported"),
        (name = "operations", description = "Health, metrics, uploads, the dashboard's login"),
    ),
)]
struct ApiDoc;

/// The two ways `auth::require_token` takes the token.
struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        let bearer = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("API_TOKEN")).build();
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
        let cookie = ApiKeyValue::with_description(
            auth::COOKIE,
            "A session signed with a key derived from API_TOKEN, as `POST /login` sets it",
        );
        components.add_security_scheme("cookie", SecurityScheme::ApiKey(ApiKey::Cookie(cookie)));
    }
}

/// The document as this process serves it: `/metrics` is open with `METRICS_PUBLIC`.
pub fn build(settings: &Settings) -> openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    if settings.metrics_public
        && let Some(get) = doc.paths.paths.get_mut("/metrics").and_then(|item| item.get.as_mut())
    {
        get.security = None;
        get.responses.responses.remove("401");
    }
    doc
}

/// This document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", body = serde_json::Value,
        example = json!({"openapi": "3.1.0", "info": {"title": "vteacher"}, "paths": {}}))))]
pub(super) async fn document(State(app): State<App>) -> Json<openapi::OpenApi> {
    Json(build(&app.settings))
}
