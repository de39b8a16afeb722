//! The `mps` oss provider: Aliyun ApsaraVideo Media Processing, RPC API 2014-06-18.
//! `SubmitJobs` starts a transcode of an OSS object, `QueryJobList` polls it.
//!
//! Requests are `POST {endpoint}/` with the parameters as an `application/x-www-form-urlencoded`
//! body (RFC 3986-encoded), signed with HMAC-SHA1 over `POST&%2F&…` (see [`sign`]); answers are
//! JSON (`Format=JSON`). The AccessKey secret is only ever used as the HMAC key: it is never
//! sent, logged or printed (`MpsConfig`'s `Debug` redacts it).
//!
//! Object keys travel URL-encoded (MPS asks for `Input.Object` and `OutputObject` in UTF-8 URL
//! encoding, `/` kept); [`MpsJob::Succeeded`] gives the output key decoded again.

use std::{
    collections::BTreeMap,
    time::{Duration, SystemTime},
};

use serde::de::DeserializeOwned;

use crate::{
    domain::redact_url,
    tools::{
        egress::SourceNotAllowed,
        http::{SourceClient, cause},
    },
};

mod signing;
mod source;
mod types;
mod wire;

pub use signing::{
    SIGNATURE, canonicalized_query, encode_object_key, percent_decode, percent_encode, sign, string_to_sign,
};
pub use source::{OssObject, parse_oss_url};
pub use types::{MpsConfig, MpsError, MpsJob, retryable_code};

#[cfg(test)]
mod tests;

/// The MPS API version every request names.
pub const API_VERSION: &str = "2014-06-18";
/// The HTTP method the client uses (and signs with).
pub const METHOD: &str = "POST";
const TIMEOUT: Duration = Duration::from_secs(30);

/// An MPS client. Cheap to clone; `Debug` never shows the secret.
#[derive(Debug, Clone)]
pub struct MpsClient {
    http: SourceClient,
    config: MpsConfig,
}

impl MpsClient {
    pub fn new(http: SourceClient, config: MpsConfig) -> Self {
        Self { http, config }
    }

    pub fn config(&self) -> &MpsConfig {
        &self.config
    }

    /// `SubmitJobs`: transcodes the OSS object at `source_url` to `output_object` in the
    /// configured output bucket, at `height` lines, with the configured template and pipeline.
    /// Returns the MPS job id. A source not on OSS is refused before any request.
    pub async fn submit(&self, source_url: &str, output_object: &str, height: u32) -> Result<String, MpsError> {
        let source = parse_oss_url(source_url)?;
        let params = wire::submit_params(&self.config, &source, output_object, height);
        let answer: wire::SubmitAnswer = self.call("SubmitJobs", params).await?;
        let job_id = wire::submitted_job_id(answer)?;
        tracing::debug!(%job_id, source = redact_url(source_url), output_object, height, "MPS job submitted");
        Ok(job_id)
    }

    /// `QueryJobList` for one job.
    pub async fn query(&self, job_id: &str) -> Result<MpsJob, MpsError> {
        let params = vec![("JobIds", job_id.to_owned())];
        let answer: wire::QueryAnswer = self.call("QueryJobList", params).await?;
        let job = wire::job_state(answer, job_id)?;
        tracing::debug!(%job_id, ?job, "MPS job queried");
        Ok(job)
    }

    /// Every parameter of a request (common ones included) with its `Signature`.
    fn signed_params(
        &self,
        action: &str,
        params: Vec<(&str, String)>,
        timestamp: SystemTime,
        nonce: &str,
    ) -> BTreeMap<String, String> {
        let config = &self.config;
        let mut all: BTreeMap<String, String> = [
            ("Action", action.to_owned()),
            ("Format", "JSON".to_owned()),
            ("Version", API_VERSION.to_owned()),
            ("AccessKeyId", config.access_key_id.clone()),
            ("SignatureMethod", "HMAC-SHA1".to_owned()),
            ("SignatureVersion", "1.0".to_owned()),
            ("SignatureNonce", nonce.to_owned()),
            ("Timestamp", humantime::format_rfc3339_seconds(timestamp).to_string()),
            ("RegionId", config.region.clone()),
        ]
        .into_iter()
        .chain(params)
        .map(|(key, value)| (key.to_owned(), value))
        .collect();
        let signature = sign(METHOD, &all, &config.access_key_secret);
        all.insert(SIGNATURE.to_owned(), signature);
        all
    }

    async fn call<T: DeserializeOwned>(&self, action: &str, params: Vec<(&str, String)>) -> Result<T, MpsError> {
        let nonce = uuid::Uuid::new_v4().to_string();
        let params = self.signed_params(action, params, SystemTime::now(), &nonce);
        tracing::trace!(
            action,
            params = ?params.iter().filter(|(key, _)| *key != SIGNATURE).collect::<Vec<_>>(),
            "MPS request"
        );
        let body = params
            .iter()
            .map(|(key, value)| format!("{}={}", percent_encode(key), percent_encode(value)))
            .collect::<Vec<_>>()
            .join("&");
        let url = format!("{}/", self.config.endpoint.trim_end_matches('/'));
        let url = url::Url::parse(&url).map_err(|e| MpsError::BadResponse(format!("MPS_ENDPOINT: {e}")))?;
        let response = self
            .http
            .request(reqwest::Method::POST, &url)?
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .timeout(TIMEOUT)
            .send()
            .await
            .map_err(|e| match cause::<SourceNotAllowed>(&e) {
                Some(refused) => MpsError::NotAllowed(refused.clone()),
                None => MpsError::Network(format!("{action}: {}", e.without_url())),
            })?;
        let status = response.status();
        let text =
            response.text().await.map_err(|e| MpsError::Network(format!("{action}: reading the answer: {e}")))?;
        tracing::debug!(action, %status, request_id = %wire::request_id(&text), "MPS answered");
        if !status.is_success() {
            return Err(wire::api_error(status.as_u16(), &text));
        }
        serde_json::from_str(&text)
            .map_err(|e| MpsError::BadResponse(format!("{action}: {e}: {}", wire::excerpt(&text))))
    }
}
