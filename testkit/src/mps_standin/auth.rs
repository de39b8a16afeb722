//! The stand-in's checks of a request, in Aliyun's order (see the module doc of `mps_standin`).

use std::{
    collections::BTreeMap,
    time::{Duration, SystemTime},
};

use axum::http::Method;
use shared::transcode::oss_mps::{API_VERSION, SIGNATURE, sign, string_to_sign};
use subtle::ConstantTimeEq;

use super::state::{Refusal, Shared, refuse};

pub(super) fn authenticate(
    shared: &Shared,
    method: &Method,
    params: &BTreeMap<String, String>,
    max_skew: Duration,
) -> Result<(), Refusal> {
    let param = |name: &str| params.get(name).map(String::as_str);
    if param("Version") != Some(API_VERSION) {
        return Err(refuse(400, "InvalidVersion", "Version must be 2014-06-18"));
    }
    if param("SignatureMethod") != Some("HMAC-SHA1") || param("SignatureVersion") != Some("1.0") {
        return Err(refuse(400, "InvalidSignatureMethod", "HMAC-SHA1, version 1.0 only"));
    }
    if param("Format").is_some_and(|f| !f.eq_ignore_ascii_case("JSON")) {
        return Err(refuse(400, "InvalidParameter.Format", "the stand-in answers JSON only"));
    }
    let secret = param("AccessKeyId")
        .and_then(|id| shared.keys.lock().expect("lock").get(id).cloned())
        .ok_or_else(|| refuse(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."))?;
    let timestamp = param("Timestamp").unwrap_or_default();
    let at = humantime::parse_rfc3339(timestamp)
        .ok()
        .filter(|_| timestamp.len() == "YYYY-MM-DDThh:mm:ssZ".len())
        .ok_or_else(|| refuse(400, "InvalidTimeStamp.Format", "Timestamp is not YYYY-MM-DDThh:mm:ssZ"))?;
    let now = SystemTime::now();
    let skew = now.duration_since(at).or_else(|_| at.duration_since(now)).unwrap_or_default();
    if skew > max_skew {
        return Err(refuse(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."));
    }
    let expected = sign(method.as_str(), params, &secret);
    let given = param(SIGNATURE).unwrap_or_default();
    if !bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
        let message = format!(
            "Specified signature is not matched with our calculation. server string to sign is:{}",
            string_to_sign(method.as_str(), params)
        );
        return Err(refuse(400, "SignatureDoesNotMatch", message));
    }
    let nonce = param("SignatureNonce").unwrap_or_default();
    if nonce.is_empty() || !shared.nonces.lock().expect("lock").insert(nonce.to_owned()) {
        return Err(refuse(400, "SignatureNonceUsed", "Specified signature nonce was used already."));
    }
    Ok(())
}
