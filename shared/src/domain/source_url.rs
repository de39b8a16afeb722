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

/// An absolute `http://` or `https://` URL with a host.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
        let mut url = self.0.clone();
        let _ = url.set_username("");
        let _ = url.set_password(None);
        if url.query().is_some() {
            url.set_query(Some("…"));
        }
        url.set_fragment(None);
        url.to_string()
    }
}

impl FromStr for SourceUrl {
    type Err = SourceUrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let url = url::Url::parse(s.trim()).map_err(|e| SourceUrlError::Invalid(e.to_string()))?;
        match url.scheme() {
            "http" | "https" => {}
            other => return Err(SourceUrlError::Scheme(other.to_owned())),
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(SourceUrlError::NoHost);
        }
        Ok(Self(url))
    }
}

impl fmt::Display for SourceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
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
    fn accepts_http_and_https_only() {
        assert!("http://127.0.0.1:8000/a.flv".parse::<SourceUrl>().is_ok());
        assert!("https://cdn.example.com/a.flv".parse::<SourceUrl>().is_ok());
        for bad in ["file:///etc/passwd", "ftp://h/a.flv", "a.flv", "", "http://"] {
            assert!(bad.parse::<SourceUrl>().is_err(), "{bad}");
        }
    }
}
