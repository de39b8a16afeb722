//! `SourceUrl`: where a video can be downloaded from. HTTP(S) only, checked once at the edge.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceUrlError {
    #[error("not a URL: {0}")]
    Invalid(String),
    #[error("only http and https URLs can be downloaded (got {0}:)")]
    Scheme(String),
    #[error("the URL has no host")]
    NoHost,
}

/// An absolute `http://` or `https://` URL with a host. Shown (`Display`, `Debug`) without its
/// query string or user info, wherever it is printed; [`SourceUrl::as_str`] is the URL itself,
/// for the wire and the database.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SourceUrl(url::Url);

impl SourceUrl {
    pub fn as_url(&self) -> &url::Url {
        &self.0
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The URL without its query string or user info, for logs and reasons: signed CDN URLs
    /// carry their credentials there.
    pub fn redacted(&self) -> String {
        redact(self.0.clone())
    }
}

/// [`SourceUrl::redacted`] for a URL given as text, parsed or not (an unparsable one is cut at
/// its `?` or `#`). For logs and reasons.
pub fn redact_url(text: &str) -> String {
    match url::Url::parse(text.trim()) {
        Ok(url) => redact(url),
        Err(_) => match text.split_once(['?', '#']) {
            Some((before, _)) => format!("{before}?…"),
            None => text.to_owned(),
        },
    }
}

fn redact(mut url: url::Url) -> String {
    let _ = url.set_username("");
    let _ = url.set_password(None);
    let had_query = url.query().is_some();
    url.set_query(None);
    url.set_fragment(None);
    // Appended after: the url crate would percent-encode the ellipsis in a query.
    if had_query { format!("{url}?…") } else { url.to_string() }
}

impl FromStr for SourceUrl {
    type Err = SourceUrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let url = url::Url::parse(s.trim()).map_err(|e| SourceUrlError::Invalid(e.to_string()))?;
        match url.scheme() {
            "http" | "https" => {}
            other => return Err(SourceUrlError::Scheme(super::clip(other, 20))),
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(SourceUrlError::NoHost);
        }
        Ok(Self(url))
    }
}

impl fmt::Display for SourceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for SourceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SourceUrl").field(&self.redacted()).finish()
    }
}

impl Serialize for SourceUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.as_str())
    }
}

impl<'de> Deserialize<'de> for SourceUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_urls_keep_no_query_or_user_info() {
        let url: SourceUrl = "https://u:pw@cdn.example.com/a.flv?token=secret&e=1#frag".parse().unwrap();
        assert_eq!(url.redacted(), "https://cdn.example.com/a.flv?…");
        assert_eq!(url.to_string(), "https://cdn.example.com/a.flv?…");
        assert_eq!(format!("{url:?}"), "SourceUrl(\"https://cdn.example.com/a.flv?…\")");
        assert_eq!(url.as_str(), "https://u:pw@cdn.example.com/a.flv?token=secret&e=1#frag");
        assert_eq!(redact_url("https://cdn.example.com/a.flv?Signature=secret"), "https://cdn.example.com/a.flv?…");
        assert_eq!(redact_url("not a url?token=secret"), "not a url?…");
        assert_eq!(redact_url("https://cdn.example.com/a.flv"), "https://cdn.example.com/a.flv");
    }

    #[test]
    fn accepts_http_and_https_only() {
        assert!("http://127.0.0.1:8000/a.flv".parse::<SourceUrl>().is_ok());
        assert!("https://cdn.example.com/a.flv".parse::<SourceUrl>().is_ok());
        for bad in ["file:///etc/passwd", "ftp://h/a.flv", "a.flv", "", "http://"] {
            assert!(bad.parse::<SourceUrl>().is_err(), "{bad}");
        }
    }
}
