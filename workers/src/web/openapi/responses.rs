//! The error responses every operation shares, one per HTTP status, each with the stable body
//! (`ErrorBody`) and examples made by the code that answers them: the parsers' own errors,
//! `auth::unauthorized`, the `RequestError` mapping. So an example cannot drift from what the
//! API says.

use shared::domain::{Booking, ErrorCode, Provider};
use utoipa::{
    ToResponse,
    openapi::{
        ContentBuilder, Ref, RefOr, ResponseBuilder,
        example::ExampleBuilder,
        header::HeaderBuilder,
        response::Response,
        schema::{ObjectBuilder, Type},
    },
};

use super::super::{
    auth,
    error::{ApiError, ErrorBody},
};

/// A JSON error response: `description`, the codes it may carry, one example per case.
fn error_response(description: &str, cases: Vec<(&str, ApiError)>) -> ResponseBuilder {
    let codes: Vec<String> = cases.iter().map(|(_, e)| format!("`{}`", e.code)).collect();
    let examples = cases.into_iter().map(|(name, err)| {
        let value = serde_json::to_value(ErrorBody::from(err)).expect("an error body is JSON");
        (name, ExampleBuilder::new().value(Some(value)).build())
    });
    let content =
        ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).examples_from_iter(examples).build();
    ResponseBuilder::new()
        .description(format!("{description} ({})", codes.join(", ")))
        .content("application/json", content)
}

fn parse_error(body: &[u8]) -> ApiError {
    ApiError::from(Booking::from_json(body).expect_err("an example of a bad body"))
}

/// `400`: the body or a path parameter is refused, naming the field.
pub(crate) struct BadRequest;

impl<'r> ToResponse<'r> for BadRequest {
    fn response() -> (&'r str, RefOr<Response>) {
        let cases = vec![
            ("invalid_field", parse_error(br#"{"class_id": "c-1"}"#)),
            ("malformed_json", parse_error(b"{")),
            ("not_an_object", parse_error(b"[]")),
        ];
        ("BadRequest", error_response("The request is refused", cases).build().into())
    }
}

/// `401`: no token, or a wrong one (bearer header or login cookie).
pub(crate) struct Unauthorized;

impl<'r> ToResponse<'r> for Unauthorized {
    fn response() -> (&'r str, RefOr<Response>) {
        let challenge = HeaderBuilder::new()
            .schema(ObjectBuilder::new().schema_type(Type::String))
            .description(Some("Bearer"))
            .build();
        let response = error_response("A valid API_TOKEN is required", vec![("unauthorized", auth::unauthorized())])
            .header("WWW-Authenticate", challenge);
        ("Unauthorized", response.build().into())
    }
}

pub(crate) struct NotFound;

impl<'r> ToResponse<'r> for NotFound {
    fn response() -> (&'r str, RefOr<Response>) {
        let err = ApiError::not_found("no booking for class \"c-404\"");
        ("NotFound", error_response("Nothing has that id", vec![("not_found", err)]).build().into())
    }
}

/// `409`: the transcode is in progress.
pub(crate) struct Conflict;

impl<'r> ToResponse<'r> for Conflict {
    fn response() -> (&'r str, RefOr<Response>) {
        let busy = shared::transcode::requests::RequestError::Busy(Provider::Ecs);
        let cases = vec![("transcode_in_progress", ApiError::from(busy))];
        ("Conflict", error_response("The transcode is in progress", cases).build().into())
    }
}

/// `503`: the state database or the queue backend did not answer (worth a retry).
pub(crate) struct Unavailable;

impl<'r> ToResponse<'r> for Unavailable {
    fn response() -> (&'r str, RefOr<Response>) {
        // Made directly: `ApiError::database` and `::queue` also log an error.
        let cases = vec![
            (
                "database_unavailable",
                ApiError::new(ErrorCode::DatabaseUnavailable, "the state database is unavailable"),
            ),
            ("queue_unavailable", ApiError::new(ErrorCode::QueueUnavailable, "redis: connection refused")),
        ];
        ("Unavailable", error_response("A backing service did not answer; retry", cases).build().into())
    }
}

/// `413`: a body over axum's limit (2 MiB), refused before any parser reads it, in axum's words.
pub(crate) struct PayloadTooLarge;

impl<'r> ToResponse<'r> for PayloadTooLarge {
    fn response() -> (&'r str, RefOr<Response>) {
        let text = ObjectBuilder::new().schema_type(Type::String);
        let example = "Failed to buffer the request body: length limit exceeded";
        let content = ContentBuilder::new().schema(Some(text)).example(Some(example.into())).build();
        let response = ResponseBuilder::new().description("The body is over 2 MiB").content("text/plain", content);
        ("PayloadTooLarge", response.build().into())
    }
}
