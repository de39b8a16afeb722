//! The HTTP clients every process uses: connect timeout, user agent, and the redirects they
//! follow: at most [`MAX_REDIRECTS`], to http(s) URLs only. [`client`] is for endpoints the
//! operator configured (webhooks, alarms, a transcoding service); [`SourceClient`] for what a
//! booking, a transcode request or a result names (downloads, the ecs source, MPS), and it
//! reaches only addresses `tools::egress` allows. A refused redirect is a [`RedirectRefused`]
//! in the error's source chain, a refused address a `SourceNotAllowed`.
//!
//! reqwest is built without a TLS crypto provider of its own: every client is made here (or by
//! [`bare`]/[`builder`]), after [`install_crypto`] — rustls's `ring`, which sqlx already
//! builds, instead of reqwest's default aws-lc-rs (a C build of ~100 s on the critical path
//! of a release build, BENCHMARKS.md "Build").

use std::{
    sync::{Arc, Once},
    time::Duration,
};

use reqwest::redirect::{Attempt, Policy};

use super::egress::{Egress, GuardedResolver, SourceNotAllowed};
use crate::domain::redact_url;

/// Redirects one request follows before it fails (a loop ends here).
pub const MAX_REDIRECTS: usize = 10;

/// Why a redirect was not followed, in words a user can act on (the URL redacted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RedirectRefused(pub String);

/// The `T` in `err`'s source chain, if one is why a request failed (a [`RedirectRefused`], a
/// `SourceNotAllowed`: reqwest wraps what its redirect policy and resolver return).
pub fn cause<'a, T: std::error::Error + 'static>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a T> {
    let mut next = Some(err);
    while let Some(err) = next {
        if let Some(found) = err.downcast_ref::<T>() {
            return Some(found);
        }
        next = err.source();
    }
    None
}

fn follow(attempt: Attempt, egress: Option<&Egress>) -> reqwest::redirect::Action {
    let next = attempt.url();
    if let Some(refused) = egress.and_then(|egress| egress.check_url(next).err()) {
        return attempt.error(refused);
    }
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

fn user_agent() -> String {
    concat!("vteacher/", env!("CARGO_PKG_VERSION")).to_owned()
}

/// The client for endpoints the operator configured (webhooks, alarms, a transcoding
/// service): any address, as configured.
pub fn client() -> Result<reqwest::Client, reqwest::Error> {
    builder()
        .connect_timeout(Duration::from_secs(10))
        .redirect(Policy::custom(|attempt| follow(attempt, None)))
        .user_agent(user_agent())
        .build()
}

/// A client for what a booking, a transcode request or a result names: it reaches only the
/// addresses `egress` allows, at connect time and at every redirect (`tools::egress`).
#[derive(Debug, Clone)]
pub struct SourceClient {
    http: reqwest::Client,
    egress: Arc<Egress>,
}

impl SourceClient {
    pub fn new(egress: Egress) -> Result<Self, reqwest::Error> {
        Self::as_agent(egress, user_agent())
    }

    /// A push host's: its User-Agent names the node (`vteacher/0.1.0 (node host-1)`), so an
    /// origin's or a CDN's logs tell which push host fetched what.
    pub fn for_node(egress: Egress, node: &crate::domain::NodeId) -> Result<Self, reqwest::Error> {
        Self::as_agent(egress, format!("vteacher/{} (node {node})", env!("CARGO_PKG_VERSION")))
    }

    fn as_agent(egress: Egress, user_agent: String) -> Result<Self, reqwest::Error> {
        let egress = Arc::new(egress);
        let guard = egress.clone();
        let http = builder()
            .connect_timeout(Duration::from_secs(10))
            .dns_resolver(GuardedResolver(egress.clone()))
            .redirect(Policy::custom(move |attempt| follow(attempt, Some(&guard))))
            .user_agent(user_agent)
            .build()?;
        Ok(Self { http, egress })
    }

    /// A request of `method` for `url`, refused at once when its host is an address sources
    /// may not reach (a name is checked when it is resolved).
    pub fn request(
        &self,
        method: reqwest::Method,
        url: &url::Url,
    ) -> Result<reqwest::RequestBuilder, SourceNotAllowed> {
        self.egress.check_url(url)?;
        Ok(self.http.request(method, url.clone()))
    }

    pub fn get(&self, url: &url::Url) -> Result<reqwest::RequestBuilder, SourceNotAllowed> {
        self.request(reqwest::Method::GET, url)
    }
}
