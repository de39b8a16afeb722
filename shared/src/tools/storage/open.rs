//! Reading `STORAGE_URL` and `STORAGE_PUBLIC_URL`, and checking object keys.

use std::path::{Path, PathBuf};

use opendal::{Operator, services};

use super::error::StorageError;

/// Where the filesystem backend writes an upload before renaming it into place: never a key.
pub(super) const FS_UPLOAD_DIR: &str = ".uploading";
const DEFAULT_S3_REGION: &str = "us-east-1";

pub(super) fn open_fs(rest: &str) -> Result<(Operator, PathBuf), StorageError> {
    if rest.is_empty() {
        return Err(StorageError::BadUrl("fs:// needs a directory: fs://./storage or fs:///abs/path".into()));
    }
    if rest.contains(['?', '#']) {
        return Err(StorageError::BadUrl("fs:// takes a directory only, no query".into()));
    }
    let root = Path::new(rest);
    let io = |what: &str, e: std::io::Error| StorageError::BadUrl(format!("fs://{rest}: cannot {what}: {e}"));
    std::fs::create_dir_all(root).map_err(|e| io("create the directory", e))?;
    let root = root.canonicalize().map_err(|e| io("resolve the directory", e))?;
    let root_str = root.to_str().ok_or_else(|| StorageError::BadUrl(format!("fs://{rest}: the path is not UTF-8")))?;
    let upload_dir = root.join(FS_UPLOAD_DIR);
    let builder = services::Fs::default()
        .root(root_str)
        .atomic_write_dir(upload_dir.to_str().expect("UTF-8 root joined with ASCII"));
    let op = Operator::new(builder).map_err(|e| StorageError::BadUrl(format!("fs://{rest}: {e}")))?;
    Ok((op, root))
}

pub(super) fn open_bucket(
    scheme: &str,
    text: &str,
    credentials: Option<(&str, &str)>,
) -> Result<(Operator, String), StorageError> {
    let bad = |what: String| StorageError::BadUrl(format!("{scheme}://: {what}"));
    let url = url::Url::parse(text).map_err(|e| bad(format!("does not parse ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("credentials do not belong in the URL; configure the access key id and secret".into()));
    }
    let bucket = url.host_str().unwrap_or_default();
    if bucket.is_empty() {
        return Err(bad(format!("missing bucket: {scheme}://BUCKET?endpoint=…")));
    }
    if url.port().is_some() {
        return Err(bad(format!("bucket {bucket:?} has a port: put the server in endpoint=")));
    }
    if url.fragment().is_some() {
        return Err(bad("a fragment (#…) means nothing here".into()));
    }
    let root = url.path().trim_matches('/');
    let mut endpoint = None;
    let mut region = None;
    let mut virtual_host = false;
    for (name, value) in url.query_pairs() {
        match (scheme, name.as_ref()) {
            (_, "endpoint") => {
                let parsed = url::Url::parse(&value)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty()));
                if parsed.is_none() {
                    return Err(bad(format!("endpoint {value:?} is not an http(s) URL")));
                }
                endpoint = Some(value.into_owned());
            }
            ("s3", "region") => region = Some(value.into_owned()),
            ("s3", "virtual_host_style") => {
                virtual_host = match value.as_ref() {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => return Err(bad(format!("virtual_host_style={value:?}: true or false"))),
                }
            }
            (_, other) => {
                let known = if scheme == "s3" { "endpoint, region, virtual_host_style" } else { "endpoint" };
                return Err(bad(format!("unknown parameter {other:?} (known: {known})")));
            }
        }
    }
    let built = if scheme == "s3" {
        let mut b = services::S3::default()
            .bucket(bucket)
            .root(root)
            .region(region.as_deref().unwrap_or(DEFAULT_S3_REGION))
            // Credentials and endpoint only from vteacher's configuration.
            .disable_config_load()
            .disable_ec2_metadata();
        if let Some(endpoint) = &endpoint {
            b = b.endpoint(endpoint);
        }
        if virtual_host {
            b = b.enable_virtual_host_style();
        }
        b = match credentials {
            Some((id, secret)) => b.access_key_id(id).secret_access_key(secret),
            None => b.skip_signature(),
        };
        Operator::new(b)
    } else {
        let endpoint = endpoint.ok_or_else(|| {
            bad("missing endpoint: oss://BUCKET?endpoint=https://oss-cn-hangzhou.aliyuncs.com".into())
        })?;
        let mut b = services::Oss::default().bucket(bucket).root(root).endpoint(&endpoint);
        b = match credentials {
            Some((id, secret)) => b.access_key_id(id).access_key_secret(secret),
            None => b.skip_signature(),
        };
        Operator::new(b)
    };
    let op = built.map_err(|e| bad(e.to_string()))?;
    let location = if root.is_empty() { format!("{scheme}://{bucket}") } else { format!("{scheme}://{bucket}/{root}") };
    Ok((op, location))
}

pub(super) fn parse_public_base(text: &str) -> Result<url::Url, StorageError> {
    let bad = |what: &str| StorageError::BadUrl(format!("public URL {text:?}: {what}"));
    let url = url::Url::parse(text).map_err(|_| bad("does not parse as a URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(bad("must be an http(s) URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must have no query or fragment"));
    }
    Ok(url)
}

/// A key is a relative `/`-separated path: no empty, `.` or `..` segment, no control character,
/// no longer than 1024 bytes nor a segment than 255, not under the fs upload directory.
pub(super) fn check_key(key: &str) -> Result<(), StorageError> {
    let bad = |reason| Err(StorageError::BadKey { key: key.to_owned(), reason });
    if key.is_empty() {
        return bad("empty");
    }
    if key.chars().any(|c| c.is_control() || c == '\\') {
        return bad("control character or backslash");
    }
    if key.split('/').any(|s| s.is_empty() || s == "." || s == "..") {
        return bad("empty, `.` or `..` path segment (or a leading/trailing `/`)");
    }
    // What no filesystem names (a segment over 255 bytes) and S3 refuses (a key over 1024).
    if key.len() > 1024 || key.split('/').any(|s| s.len() > 255) {
        return bad("longer than 1024 bytes, or a path segment longer than 255");
    }
    if key.split('/').next() == Some(FS_UPLOAD_DIR) {
        return bad("reserved prefix .uploading/");
    }
    Ok(())
}
