//! Sources on OSS: `https://BUCKET.oss-REGION.aliyuncs.com/OBJECT` ⇄ bucket, location, key.

use super::{MpsError, encode_object_key, percent_decode};
use crate::domain::redact_url;

/// Where an object lives in OSS. `object` is the key itself (decoded, not URL-encoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OssObject {
    pub bucket: String,
    /// `oss-REGION`, e.g. `oss-cn-hangzhou`.
    pub location: String,
    pub object: String,
}

impl OssObject {
    /// `https://BUCKET.LOCATION.aliyuncs.com/OBJECT` (the key URL-encoded, `/` kept).
    pub fn url(&self) -> String {
        let key = encode_object_key(&self.object);
        format!("https://{}.{}.aliyuncs.com/{key}", self.bucket, self.location)
    }
}

/// `http(s)://BUCKET.oss-REGION[-internal].aliyuncs.com/OBJECT` → its OSS coordinates (the
/// query, e.g. a signed URL's, is ignored). Anything else is [`MpsError::NotOnOss`].
pub fn parse_oss_url(source_url: &str) -> Result<OssObject, MpsError> {
    // Named without its query: a signed OSS URL carries its credentials there.
    let not_on_oss = |why: &str| MpsError::NotOnOss(format!("{}: {why}", redact_url(source_url)));
    let url = url::Url::parse(source_url.trim()).map_err(|e| not_on_oss(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(not_on_oss("not an http(s) URL"));
    }
    let host = url.host_str().unwrap_or_default();
    let (bucket, region_host) = host
        .strip_suffix(".aliyuncs.com")
        .and_then(|rest| rest.split_once('.'))
        .ok_or_else(|| not_on_oss("the host is not BUCKET.oss-REGION.aliyuncs.com"))?;
    let location = region_host.strip_suffix("-internal").unwrap_or(region_host);
    let region = location.strip_prefix("oss-").unwrap_or_default();
    let label_ok =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !label_ok(bucket) || !label_ok(region) || region == "accelerate" {
        return Err(not_on_oss("the host is not BUCKET.oss-REGION.aliyuncs.com"));
    }
    let object = url.path().strip_prefix('/').unwrap_or(url.path());
    let object = percent_decode(object).ok_or_else(|| not_on_oss("the object key is not UTF-8"))?;
    if object.is_empty() {
        return Err(not_on_oss("no object key"));
    }
    Ok(OssObject { bucket: bucket.to_owned(), location: location.to_owned(), object })
}
