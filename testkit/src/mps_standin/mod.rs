//! A local stand-in for Aliyun ApsaraVideo Media Processing (RPC API 2014-06-18) on loopback,
//! for the tests of the `mps` provider: `SubmitJobs` and `QueryJobList`, JSON answers.
//!
//! It checks every request the way Aliyun documents it, in this order: `Version`,
//! `SignatureMethod`, `SignatureVersion`; the `AccessKeyId` (unknown → 404
//! `InvalidAccessKeyId.NotFound`); the `Timestamp` (not `YYYY-MM-DDThh:mm:ssZ` →
//! `InvalidTimeStamp.Format`, more than 15 minutes off → `InvalidTimeStamp.Expired`); the
//! `Signature`, recomputed from the received parameters minus `Signature` with that key's
//! secret and the request's own method (missing or wrong → 400 `SignatureDoesNotMatch`);
//! then the `SignatureNonce` (seen before → 400 `SignatureNonceUsed`). Parameters come as a
//! GET query or a POST `application/x-www-form-urlencoded` body (the client uses POST); both
//! are accepted. Object keys in `Input`/`Outputs` must be URL-encoded (stricter than MPS, to
//! catch a client that forgets). It never logs anything, so never a secret.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{Arc, atomic::Ordering},
};

use axum::{
    Form, Json, Router,
    extract::{State, rejection::FormRejection},
    http::Method,
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

mod auth;
mod jobs;
mod state;

pub use state::Knobs;
use state::{Refusal, Shared, refuse, request_id};

pub struct MpsStandIn {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: CancellationToken,
}

impl MpsStandIn {
    /// Starts on `127.0.0.1:0`, knowing one AccessKey pair.
    pub async fn start(access_key_id: &str, access_key_secret: &str) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let stop = CancellationToken::new();
        let router = Router::new().route("/", get(rpc).post(rpc)).with_state(shared.clone());
        let until = stop.clone().cancelled_owned();
        tokio::spawn(async move { axum::serve(listener, router).with_graceful_shutdown(until).await });
        let standin = Self { addr, shared, stop };
        standin.add_key(access_key_id, access_key_secret);
        Ok(standin)
    }

    /// The endpoint to give `MpsConfig`: `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn add_key(&self, access_key_id: &str, access_key_secret: &str) {
        let mut keys = self.shared.keys.lock().expect("lock");
        keys.insert(access_key_id.to_owned(), access_key_secret.to_owned());
    }

    pub fn set_knobs(&self, knobs: Knobs) {
        *self.shared.knobs.lock().expect("lock") = knobs;
    }

    /// HTTP requests received, accepted or not.
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }

    /// `SubmitJobs` calls that passed authentication.
    pub fn submits(&self) -> u64 {
        self.shared.submits.load(Ordering::Relaxed)
    }

    /// `QueryJobList` calls that passed authentication.
    pub fn queries(&self) -> u64 {
        self.shared.queries.load(Ordering::Relaxed)
    }

    /// Every request's parameters (`Signature` included), as decoded, in arrival order.
    pub fn received(&self) -> Vec<BTreeMap<String, String>> {
        self.shared.received.lock().expect("lock").clone()
    }

    /// The error `Code` of every refused request, in order.
    pub fn refusals(&self) -> Vec<String> {
        self.shared.refusals.lock().expect("lock").clone()
    }
}

impl Drop for MpsStandIn {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn rpc(
    State(shared): State<Arc<Shared>>,
    method: Method,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    shared.requests.fetch_add(1, Ordering::Relaxed);
    match answer(&shared, &method, form) {
        Ok(body) => Json(body).into_response(),
        Err(Refusal(status, code, message)) => {
            shared.refusals.lock().expect("lock").push(code.clone());
            let body = json!({"Code": code, "Message": message, "RequestId": request_id(),
                              "HostId": "mts.aliyuncs.com"});
            (status, Json(body)).into_response()
        }
    }
}

fn answer(
    shared: &Shared,
    method: &Method,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Value, Refusal> {
    let Form(pairs) = form.map_err(|e| refuse(400, "InvalidParameter", e.body_text()))?;
    let mut params = BTreeMap::new();
    for (key, value) in pairs {
        if params.insert(key.clone(), value).is_some() {
            return Err(refuse(400, "InvalidParameter", format!("{key} is given twice")));
        }
    }
    shared.received.lock().expect("lock").push(params.clone());
    let knobs = {
        let mut knobs = shared.knobs.lock().expect("lock");
        let now = knobs.clone();
        knobs.reject_next = knobs.reject_next.saturating_sub(1);
        now
    };
    if knobs.reject_next > 0 {
        let message = "the stand-in was told to refuse";
        return Err(refuse(knobs.reject_status, knobs.reject_code, message));
    }
    auth::authenticate(shared, method, &params, knobs.max_skew)?;
    let param = |name: &str| params.get(name).map(String::as_str).unwrap_or_default();
    match param("Action") {
        "SubmitJobs" => {
            shared.submits.fetch_add(1, Ordering::Relaxed);
            jobs::submit(&shared.jobs, &knobs, &params)
        }
        "QueryJobList" => {
            shared.queries.fetch_add(1, Ordering::Relaxed);
            jobs::query(&shared.jobs, param("JobIds"))
        }
        other => Err(refuse(404, "InvalidAction.NotFound", format!("no action {other:?}"))),
    }
}
