//! What the MPS client is configured with, what a job's state is, and what can go wrong.

use std::fmt;

use crate::{domain::Retryable, tools::egress::SourceNotAllowed};

#[derive(Clone)]
pub struct MpsConfig {
    /// e.g. `https://mts.cn-hangzhou.aliyuncs.com` (or a test stand-in's `http://127.0.0.1:PORT`).
    pub endpoint: String,
    /// e.g. `cn-hangzhou`; sent as `RegionId`.
    pub region: String,
    pub pipeline_id: String,
    pub template_id: String,
    pub output_bucket: String,
    /// The output bucket's OSS region, e.g. `oss-cn-hangzhou`.
    pub output_location: String,
    pub access_key_id: String,
    /// Never printed: `Debug` shows `<redacted>`.
    pub access_key_secret: String,
}

impl fmt::Debug for MpsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MpsConfig")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("pipeline_id", &self.pipeline_id)
            .field("template_id", &self.template_id)
            .field("output_bucket", &self.output_bucket)
            .field("output_location", &self.output_location)
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MpsJob {
    /// `Submitted` or `Transcoding`.
    Running,
    /// `TranscodeSuccess`: where the output is (`object` decoded).
    Succeeded { bucket: String, location: String, object: String },
    /// `TranscodeFail`, `TranscodeCancelled`, or a job MPS does not know.
    Failed { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MpsError {
    #[error("the source is not an OSS object URL (https://BUCKET.oss-REGION.aliyuncs.com/KEY): {0}")]
    NotOnOss(String),
    #[error("MPS refused the request: {code}: {message}")]
    Api { code: String, message: String, retryable: bool },
    #[error("MPS could not be reached: {0}")]
    Network(String),
    #[error("MPS answered something unexpected: {0}")]
    BadResponse(String),
    /// `MPS_ENDPOINT` (or a redirect from it) is at an address sources may not reach.
    #[error("{0}")]
    NotAllowed(#[from] SourceNotAllowed),
}

/// Throttling, server errors and network failures are worth another try; a refused parameter,
/// a missing permission, a bad signature or a non-OSS source are not.
impl Retryable for MpsError {
    fn is_retryable(&self) -> bool {
        match self {
            MpsError::Api { retryable, .. } => *retryable,
            MpsError::Network(_) => true,
            MpsError::NotOnOss(_) | MpsError::BadResponse(_) | MpsError::NotAllowed(_) => false,
        }
    }
}

/// Whether an Aliyun error code (of a failed call, or of one job of `SubmitJobs`) is
/// transient: `Throttling*`, `ServiceUnavailable*`, `InternalError*`, `UnknownError`.
pub fn retryable_code(code: &str) -> bool {
    ["Throttling", "ServiceUnavailable", "InternalError", "UnknownError"].iter().any(|prefix| code.starts_with(prefix))
}
