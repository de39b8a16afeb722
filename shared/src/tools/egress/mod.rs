//! Which addresses a source may be fetched from. A booking, a transcode request or a transcode
//! result names a URL that a push host or the ecs worker then GETs: without this, a URL (or a
//! redirect, or a name that resolves there) could point a fleet machine at itself, at the
//! cloud's metadata service or at an office's admin page, and keep the answer as a lesson.
//!
//! The check is made on the address actually connected to: the client's resolver
//! ([`GuardedResolver`]) hands reqwest only allowed addresses, so a name that resolves
//! differently a second time (DNS rebinding) gains nothing; a URL whose host is an address
//! (reqwest does not resolve those) is checked by [`Egress::check_url`] before the request and
//! at every redirect.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
};

use ipnet::IpNet;

use crate::domain::FailureCode;

/// A source refused before any connection: the host as named and the address it is at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{code}: {host} is at {addr}, in a network sources may not be fetched from ({kind}); \
     SOURCE_ALLOW_NETS lists networks of your own that may",
    code = FailureCode::SourceNotAllowed
)]
pub struct SourceNotAllowed {
    pub host: String,
    pub addr: IpAddr,
    pub kind: &'static str,
}

/// The policy: every address outside the internal ranges, plus the networks an operator allows
/// (`SOURCE_ALLOW_NETS`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Egress {
    allowed: Vec<IpNet>,
}

impl Egress {
    pub fn allowing(allowed: Vec<IpNet>) -> Self {
        Self { allowed }
    }

    /// What the demo, the benchmarks and the tests allow: the local lesson server on
    /// 127.0.0.1 (and nothing else internal).
    pub fn local_lessons() -> Self {
        Self::allowing(vec![IpNet::from(IpAddr::V4(Ipv4Addr::LOCALHOST))])
    }

    /// Whether `host` (as the URL names it) may be reached at `addr`.
    pub fn check(&self, host: &str, addr: IpAddr) -> Result<(), SourceNotAllowed> {
        let addr = canonical(addr);
        match internal_kind(addr) {
            Some(kind) if !self.allowed.iter().any(|net| net.contains(&addr)) => {
                Err(SourceNotAllowed { host: host.to_owned(), addr, kind })
            }
            _ => Ok(()),
        }
    }

    /// A URL whose host is an address, checked (names are checked when resolved).
    pub fn check_url(&self, url: &url::Url) -> Result<(), SourceNotAllowed> {
        let addr = match url.host() {
            Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
            Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
            _ => return Ok(()),
        };
        self.check(url.host_str().unwrap_or_default(), addr)
    }
}

/// An IPv4 address written in IPv6 (`::ffff:127.0.0.1`) is that IPv4 address.
fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

/// Why `addr` is internal, or `None` for an address on the internet.
pub fn internal_kind(addr: IpAddr) -> Option<&'static str> {
    match canonical(addr) {
        IpAddr::V4(v4) => v4_kind(v4),
        IpAddr::V6(v6) => v6_kind(v6),
    }
}

fn v4_kind(v4: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = v4.octets();
    Some(match () {
        () if v4.is_unspecified() || a == 0 => "unspecified",
        () if v4.is_loopback() => "loopback",
        () if v4.is_private() => "private",
        () if v4.is_link_local() => "link-local, the cloud's metadata address among them",
        // 100.64.0.0/10, where Aliyun's metadata service (100.100.100.200) lives.
        () if a == 100 && (64..128).contains(&b) => "shared address space (CGNAT)",
        () if v4.is_multicast() => "multicast",
        () if v4.is_broadcast() => "broadcast",
        () if a >= 240 => "reserved",
        () => return None,
    })
}

fn v6_kind(v6: Ipv6Addr) -> Option<&'static str> {
    let first = v6.segments()[0];
    Some(match () {
        () if v6.is_unspecified() => "unspecified",
        () if v6.is_loopback() => "loopback",
        () if first & 0xfe00 == 0xfc00 => "unique-local",
        () if first & 0xffc0 == 0xfe80 => "link-local",
        () if first & 0xffc0 == 0xfec0 => "site-local",
        () if v6.is_multicast() => "multicast",
        () => return None,
    })
}

/// reqwest's resolver for source clients: the system's resolver, then only the allowed
/// addresses; a name with none fails with [`SourceNotAllowed`] naming the first.
#[derive(Clone)]
pub struct GuardedResolver(pub Arc<Egress>);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let egress = self.0.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| match egress.check(&host, addr.ip()) {
                    Ok(()) => true,
                    Err(err) => {
                        refused.get_or_insert(err);
                        false
                    }
                })
                .collect();
            match (allowed.is_empty(), refused) {
                (true, Some(refused)) => Err(Box::new(refused) as Box<dyn std::error::Error + Send + Sync>),
                _ => Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs),
            }
        })
    }
}

#[cfg(test)]
mod tests;
