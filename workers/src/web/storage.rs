//! `GET /storage/{key}`: serves what the ecs workers uploaded, with `Range` (so push hosts
//! resume), when `STORAGE_PUBLIC_URL` is not set and this web process is the way to it.
//! Open like a CDN: rendition URLs are handed to push hosts, which send no token. A key that is
//! no object key (`..`, absolute, empty: `tools::storage` checks) answers 400.

use axum::{
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use shared::{
    App,
    tools::storage::{ByteRange, StorageError},
};

use super::{
    error::ApiError,
    openapi::{BadRequest, NotFound},
};

fn parse_range(headers: &HeaderMap) -> Option<ByteRange> {
    let value = headers.get(header::RANGE)?.to_str().ok()?;
    let (first, last) = value.strip_prefix("bytes=")?.split_once('-')?;
    match (first.trim(), last.trim()) {
        ("", n) => n.parse().ok().map(ByteRange::Suffix),
        (first, "") => first.parse().ok().map(ByteRange::From),
        (first, last) => Some(ByteRange::Inclusive { first: first.parse().ok()?, last: last.parse().ok()? }),
    }
}

/// `/storage/` names no object.
pub(super) async fn empty_key() -> Response {
    ApiError::invalid("key", "empty").into_response()
}

/// An uploaded object, whole or a byte range (`Range: bytes=…`).
#[utoipa::path(get, path = "/storage/{key}", tag = "operations",
    params(("key" = String, Path, description = "the object key: segments joined by `/`, none empty, `.` or `..`",
            example = "22/6666/6666_240P.flv"),
        ("Range" = Option<String>, Header, description = "one byte range", example = "bytes=0-1023")),
    responses(
        (status = 200, description = "The object", content_type = "application/octet-stream", body = String,
            headers(("Accept-Ranges" = String, description = "bytes"), ("Content-Length" = u64))),
        (status = 206, description = "The range asked for", content_type = "application/octet-stream", body = String,
            headers(("Content-Range" = String, description = "bytes first-last/total"), ("Content-Length" = u64))),
        (status = 400, response = BadRequest), (status = 404, response = NotFound),
        (status = 416, description = "The range is beyond the object",
            headers(("Content-Range" = String, description = "bytes */total"))),
        (status = 502, description = "The object storage did not answer")))]
pub(super) async fn serve(State(app): State<App>, Path(key): Path<String>, headers: HeaderMap) -> Response {
    let range = parse_range(&headers);
    let read = match app.storage.read_range(&key, range).await {
        Ok(read) => read,
        Err(StorageError::NotFound(_)) => {
            return ApiError::not_found(format!("no object {key:?}")).into_response();
        }
        // The client's mistake (`..`, an absolute or empty key), not ours: a 400, no error log.
        Err(StorageError::BadKey { reason, .. }) => return ApiError::invalid("key", reason).into_response(),
        Err(StorageError::RangeNotSatisfiable { total_len, .. }) => {
            let unsatisfiable = [(header::CONTENT_RANGE, format!("bytes */{total_len}"))];
            return (StatusCode::RANGE_NOT_SATISFIABLE, unsatisfiable).into_response();
        }
        Err(err) => {
            tracing::error!(%err, key, "storage read failed");
            return StatusCode::BAD_GATEWAY.into_response();
        }
    };
    // Bytes as stored: the renditions are FLV/MP4 and push hosts look at no type, but a response
    // with a body must say one (the document says this one).
    let mut response = Response::builder()
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_LENGTH, read.range.end - read.range.start);
    if range.is_some() {
        let content_range =
            format!("bytes {}-{}/{}", read.range.start, read.range.end.saturating_sub(1), read.total_len);
        response = response.status(StatusCode::PARTIAL_CONTENT).header(header::CONTENT_RANGE, content_range);
    }
    response.body(Body::from_stream(read.stream)).unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
