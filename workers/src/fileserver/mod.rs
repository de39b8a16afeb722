//! A small real HTTP file server on loopback: the demo serves its sample lessons from it, the
//! download benchmark measures against it, and the tests use its knobs (a slow link, a
//! connection cut halfway, a server that ignores `Range`, a file that changes) and its hostile
//! ones (a stall, a truncated file, no Content-Length, a `206` longer than it says, redirects, an
//! endless body).
//! It honours `Range: bytes=N-` / `bytes=N-M` and `If-Range`, and counts what it sends (per
//! path, and per path and User-Agent, which names a push host's node).

mod body;
mod state;

pub use state::{CHUNK, Knobs};
use state::{Served, Shared};

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, atomic::Ordering},
    time::Instant,
};

use axum::{
    Router,
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use bytes::Bytes;
use tokio_util::sync::CancellationToken;

/// `len` bytes that neither compress nor repeat in short cycles (xorshift): lessons for the
/// demo's fallback, the benchmarks and the tests.
pub fn pattern(len: usize) -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

pub struct FileServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: CancellationToken,
}

impl FileServer {
    pub async fn start() -> std::io::Result<Self> {
        Self::start_on(std::net::Ipv4Addr::LOCALHOST.into()).await
    }

    /// A server on `ip` (another loopback address, `127.0.0.2`, plays a machine inside).
    pub async fn start_on(ip: std::net::IpAddr) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind((ip, 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let stop = shared.stop.clone();
        let router = Router::new().route("/{*path}", get(serve)).with_state(shared.clone());
        let until = stop.clone().cancelled_owned();
        tokio::spawn(async move { axum::serve(listener, router).with_graceful_shutdown(until).await });
        Ok(Self { addr, shared, stop })
    }

    pub fn url(&self, name: &str) -> String {
        format!("http://{}/{name}", self.addr)
    }

    /// Serves `bytes` at `/{name}`, with a new ETag (so a replaced file fails `If-Range`).
    pub fn put(&self, name: &str, bytes: impl Into<Bytes>) {
        let version = self.shared.versions.fetch_add(1, Ordering::Relaxed);
        let served = Served { bytes: bytes.into(), etag: format!("\"{name}-v{version}\"") };
        self.shared.files.lock().expect("lock").insert(name.to_owned(), served);
    }

    /// Answers `/{name}` with `302 Found` to `location` (any text: a loop, another scheme).
    pub fn redirect(&self, name: &str, location: &str) {
        self.shared.redirects.lock().expect("lock").insert(name.to_owned(), location.to_owned());
    }

    pub fn set_knobs(&self, knobs: Knobs) {
        *self.shared.knobs.lock().expect("lock") = knobs;
    }

    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }

    /// Requests for `/{name}` so far.
    pub fn requests_for(&self, name: &str) -> u64 {
        self.shared.requests_by_path.lock().expect("lock").get(name).copied().unwrap_or(0)
    }

    /// Every request so far: its path and when it arrived.
    pub fn request_log(&self) -> Vec<(String, Instant)> {
        self.shared.request_log.lock().expect("lock").clone()
    }

    /// Requests per path so far.
    pub fn requests_by_path(&self) -> HashMap<String, u64> {
        self.shared.requests_by_path.lock().expect("lock").clone()
    }

    /// Requests per (path, User-Agent) so far: a push host's User-Agent names its node.
    pub fn requests_by_path_and_agent(&self) -> HashMap<(String, String), u64> {
        self.shared.requests_by_agent.lock().expect("lock").clone()
    }

    /// The `Range` start of every request so far (`None`: the whole file was asked for).
    pub fn range_starts(&self) -> Vec<Option<u64>> {
        self.shared.range_starts.lock().expect("lock").clone()
    }

    /// When each request arrived.
    pub fn request_times(&self) -> Vec<Instant> {
        self.shared.request_times.lock().expect("lock").clone()
    }

    /// Body bytes sent, over every response.
    pub fn bytes_sent(&self) -> u64 {
        self.shared.bytes_sent.load(Ordering::Relaxed)
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// `bytes=N-` or `bytes=N-M` → (N, M inclusive).
fn parse_range(headers: &HeaderMap) -> Option<(u64, Option<u64>)> {
    let value = headers.get(header::RANGE)?.to_str().ok()?;
    let (start, end) = value.strip_prefix("bytes=")?.split_once('-')?;
    Some((start.trim().parse().ok()?, end.trim().parse().ok()))
}

async fn serve(State(shared): State<Arc<Shared>>, Path(path): Path<String>, headers: HeaderMap) -> Response {
    shared.requests.fetch_add(1, Ordering::Relaxed);
    *shared.requests_by_path.lock().expect("lock").entry(path.clone()).or_default() += 1;
    shared.request_log.lock().expect("lock").push((path.clone(), Instant::now()));
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    *shared.requests_by_agent.lock().expect("lock").entry((path.clone(), agent)).or_default() += 1;
    shared.range_starts.lock().expect("lock").push(parse_range(&headers).map(|(start, _)| start));
    shared.request_times.lock().expect("lock").push(Instant::now());
    if let Some(location) = shared.redirects.lock().expect("lock").get(&path) {
        return (StatusCode::FOUND, [(header::LOCATION, location.clone())]).into_response();
    }
    let (bytes, etag) = match shared.files.lock().expect("lock").get(&path) {
        Some(served) => (served.bytes.clone(), served.etag.clone()),
        None => return StatusCode::NOT_FOUND.into_response(),
    };
    let knobs = {
        let mut knobs = shared.knobs.lock().expect("lock");
        let now = knobs.clone();
        knobs.cut_once_after = None;
        knobs.fail_next = knobs.fail_next.saturating_sub(1);
        now
    };
    if knobs.fail_next > 0 {
        return StatusCode::from_u16(knobs.fail_status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE).into_response();
    }
    if knobs.endless {
        let body = Body::from_stream(body::endless(bytes, knobs, shared.clone()));
        return Response::builder().header(header::ETAG, &etag).body(body).expect("valid response");
    }
    let len = bytes.len() as u64;
    let if_range_ok = headers.get(header::IF_RANGE).is_none_or(|v| v.to_str().is_ok_and(|v| v == etag));
    let range = parse_range(&headers).filter(|_| if_range_ok && !knobs.ignore_range);
    let mut response = Response::builder().header(header::ETAG, &etag).header(header::ACCEPT_RANGES, "bytes");
    let (status, body, start) = match range {
        Some((start, _)) if start >= len => {
            let response = response
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(header::CONTENT_RANGE, format!("bytes */{len}"));
            return response.body(Body::empty()).expect("valid response");
        }
        Some((start, end)) => {
            let end = end.unwrap_or(len - 1).min(len - 1);
            response = response.header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}"));
            (StatusCode::PARTIAL_CONTENT, bytes.slice(start as usize..=end as usize), start)
        }
        None => (StatusCode::OK, bytes, 0),
    };
    let body = match knobs.overlong_by {
        0 => body,
        _ if status != StatusCode::PARTIAL_CONTENT => body,
        more => [&body[..], &pattern(more as usize)].concat().into(),
    };
    response = response.status(status);
    if !knobs.no_length {
        response = response.header(header::CONTENT_LENGTH, body.len());
    }
    response.body(Body::from_stream(body::paced(body, start, knobs, shared.clone()))).expect("valid response")
}
