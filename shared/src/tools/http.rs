//! The HTTP client every process uses (downloads, webhooks, the cloud providers): connect
//! timeout, user agent, and the redirects it follows: at most [`MAX_REDIRECTS`], to http(s)
//! URLs only. A refused redirect is a [`RedirectRefused`] in the error's source chain.
//!
//! reqwest is built without a TLS crypto provider of its own: every client is made here (or by
//! [`bare`]/[`builder`]), after [`install_crypto`] — rustls's `ring`, which sqlx already
//! builds, instead of reqwest's default aws-lc-rs (a C build of ~100 s on the critical path
//! of a release build, BENCHMARKS.md "Build").

use std::{sync::Once, time::Duration};

use reqwest::redirect::{Attempt, Policy};

use crate::domain::redact_url;

/// Redirects one request follows before it fails (a loop ends here).
pub const MAX_REDIRECTS: usize = 10;

/// Why a redirect was not followed, in words a user can act on (the URL redacted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RedirectRefused(pub String);

impl RedirectRefused {
    /// The refusal in `err`'s source chain, if a redirect is why it failed.
    pub fn in_chain<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a Self> {
        let mut next = Some(err);
        while let Some(err) = next {
            if let Some(found) = err.downcast_ref::<Self>() {
                return Some(found);
            }
            next = err.source();
        }
        None
    }
}

fn follow(attempt: Attempt) -> reqwest::redirect::Action {
    let next = attempt.url();
    let scheme = next.scheme().to_owned();
    if !matches!(scheme.as_str(), "http" | "https") {
        let to = redact_url(next.as_str());
        return attempt.error(RedirectRefused(format!("redirected to {to}: only http and https can be downloaded")));
    }
    // `previous` holds the first URL and every redirect followed so far.
    if attempt.previous().len() > MAX_REDIRECTS {
        let to = redact_url(next.as_str());
        return attempt
            .error(RedirectRefused(format!("more than {MAX_REDIRECTS} redirects (a loop?), the last to {to}")));
    }
    attempt.follow()
}

/// Installs the process's TLS crypto provider (ring); later calls do nothing.
pub fn install_crypto() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        // Err: another part of the process installed one first, which serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A plain client (the defaults: no timeouts, reqwest's redirects), for tools and tests.
pub fn bare() -> reqwest::Client {
    builder().build().expect("a client with the defaults builds")
}

/// reqwest's builder, the crypto provider installed.
pub fn builder() -> reqwest::ClientBuilder {
    install_crypto();
    reqwest::Client::builder()
}

pub fn client() -> Result<reqwest::Client, reqwest::Error> {
    client_as(concat!("vteacher/", env!("CARGO_PKG_VERSION")).to_owned())
}

/// A push host's client: its User-Agent names the node (`vteacher/0.1.0 (node host-1)`), so an
/// origin's or a CDN's logs tell which push host fetched what.
pub fn node_client(node: &crate::domain::NodeId) -> Result<reqwest::Client, reqwest::Error> {
    client_as(format!("vteacher/{} (node {node})", env!("CARGO_PKG_VERSION")))
}

fn client_as(user_agent: String) -> Result<reqwest::Client, reqwest::Error> {
    builder().connect_timeout(Duration::from_secs(10)).redirect(Policy::custom(follow)).user_agent(user_agent).build()
}
