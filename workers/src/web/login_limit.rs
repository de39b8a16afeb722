//! `POST /login`'s rate limit: `ATTEMPTS` failed logins per client address per `WINDOW`, then
//! 429 with `Retry-After`. Each address is a GCRA (a token bucket kept as one instant: when its
//! bucket will be full again), charged before the attempt is checked, so that concurrent
//! guesses cannot slip past, and given back when the login succeeds. An IPv6 client is its /64
//! (one host's usual share). The client is the connection's peer, or with `BEHIND_PROXY` the
//! address the proxy appended to `X-Forwarded-For`.
//!
//! Hand-written rather than `governor`'s keyed limiter (already a dependency): that one cannot
//! give an attempt back and grows with every address until pruned by hand. Here at most
//! `MAX_CLIENTS` addresses are kept; past that, after dropping those whose bucket is full again,
//! every new address shares one bucket, so a flood of addresses limits itself (and, while it
//! lasts, new clients with it) rather than the memory. Per process: each `web` of a fleet
//! counts its own.

use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderMap, Method, StatusCode, header},
    middleware::Next,
    response::{Html, IntoResponse, Response},
};

pub(super) const ATTEMPTS: u32 = 10;
pub(super) const WINDOW: Duration = Duration::from_secs(60);
const MAX_CLIENTS: usize = 10_000;

/// Whom an attempt is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Client {
    V4([u8; 4]),
    /// An IPv6 /64.
    V6(u64),
    /// Every address past `MAX_CLIENTS`, and a request with no address.
    Crowd,
}

impl From<IpAddr> for Client {
    fn from(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(v4) => Client::V4(v4.octets()),
            IpAddr::V6(v6) => Client::V6((v6.to_bits() >> 64) as u64),
        }
    }
}

/// One client's state: when its bucket is full again, and whether its refusal was logged.
#[derive(Debug, Clone, Copy)]
struct Entry {
    full_at: Instant,
    warned: bool,
}

fn interval() -> Duration {
    WINDOW / ATTEMPTS
}

/// The GCRA's decision: the entry after one more attempt at `now`, or how long to wait.
fn charge(full_at: Instant, now: Instant) -> Result<Instant, Duration> {
    let from = full_at.max(now);
    let tolerance = interval() * (ATTEMPTS - 1);
    match (from - now).checked_sub(tolerance) {
        Some(wait) if !wait.is_zero() => Err(wait),
        _ => Ok(from + interval()),
    }
}

#[derive(Default)]
pub(super) struct LoginLimiter {
    clients: Mutex<HashMap<Client, Entry>>,
    behind_proxy: bool,
}

impl LoginLimiter {
    pub(super) fn new(behind_proxy: bool) -> Arc<Self> {
        Arc::new(Self { behind_proxy, ..Self::default() })
    }

    fn client_of(&self, request: &Request) -> Client {
        let forwarded = self.behind_proxy.then(|| last_forwarded(request.headers())).flatten();
        let peer = || request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
        forwarded.or_else(peer).map_or(Client::Crowd, Client::from)
    }

    /// One attempt of `client`'s, or how long it must wait (and whether that is news to log).
    fn take(&self, client: Client, now: Instant) -> Result<(), (Duration, bool)> {
        let mut clients = self.clients.lock().expect("no panic while held");
        let client = if clients.contains_key(&client) || clients.len() < MAX_CLIENTS {
            client
        } else {
            clients.retain(|_, entry| entry.full_at > now);
            if clients.len() < MAX_CLIENTS { client } else { Client::Crowd }
        };
        let entry = clients.entry(client).or_insert(Entry { full_at: now, warned: false });
        match charge(entry.full_at, now) {
            Ok(full_at) => {
                *entry = Entry { full_at, warned: false };
                Ok(())
            }
            Err(wait) => Err((wait, !std::mem::replace(&mut entry.warned, true))),
        }
    }

    /// Gives back an attempt that succeeded.
    fn refund(&self, client: Client, now: Instant) {
        let mut clients = self.clients.lock().expect("no panic while held");
        if let Some(entry) = clients.get_mut(&client) {
            entry.full_at = entry.full_at.checked_sub(interval()).unwrap_or(now).max(now);
        }
    }
}

/// The address a trusted proxy appended: the last of the last `X-Forwarded-For`.
fn last_forwarded(headers: &HeaderMap) -> Option<IpAddr> {
    let last = headers.get_all("x-forwarded-for").iter().next_back()?.to_str().ok()?;
    last.rsplit(',').next()?.trim().parse().ok()
}

/// Guards `POST /login` (the form itself, `GET`, is let through).
pub(super) async fn limit(State(limiter): State<Arc<LoginLimiter>>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let client = limiter.client_of(&request);
    if let Err((wait, news)) = limiter.take(client, Instant::now()) {
        if news {
            tracing::warn!(?client, "too many failed logins from one client: refused for a while");
        }
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let body = Html(format!("too many login attempts; try again in {seconds} s"));
        return (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, seconds.to_string())], body).into_response();
    }
    let response = next.run(request).await;
    if response.status() == StatusCode::SEE_OTHER {
        limiter.refund(client, Instant::now());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_beyond_the_allowance_wait_and_come_back_one_by_one() {
        let limiter = LoginLimiter::new(false);
        let (one, two) = (Client::V4([192, 0, 2, 1]), Client::V4([192, 0, 2, 2]));
        let now = Instant::now();
        for _ in 0..ATTEMPTS {
            assert!(limiter.take(one, now).is_ok());
        }
        let (wait, news) = limiter.take(one, now).unwrap_err();
        assert_eq!((wait, news), (interval(), true));
        assert!(!limiter.take(one, now).unwrap_err().1, "logged once");
        assert!(limiter.take(two, now).is_ok(), "another client");
        assert!(limiter.take(one, now + interval()).is_ok(), "one attempt back");
        assert!(limiter.take(one, now + interval()).is_err());
        limiter.refund(one, now + interval());
        assert!(limiter.take(one, now + interval()).is_ok(), "a success is given back");
        assert!(limiter.take(one, now + WINDOW * 2).is_ok(), "full again");
    }

    #[test]
    fn an_ipv6_client_is_its_64_and_a_mapped_v4_its_v4() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert_eq!(Client::from(a), Client::from(b));
        assert_ne!(Client::from(a), Client::from("2001:db8:1:3::1".parse::<IpAddr>().unwrap()));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(Client::from(mapped), Client::V4([192, 0, 2, 1]));
    }

    #[test]
    fn past_the_bound_new_addresses_share_one_bucket() {
        let limiter = LoginLimiter::new(false);
        let now = Instant::now();
        for i in 0..MAX_CLIENTS as u32 {
            assert!(limiter.take(Client::V4(i.to_be_bytes()), now).is_ok());
        }
        let newcomers = (0..ATTEMPTS + 1).map(|i| Client::V4((u32::MAX - i).to_be_bytes()));
        let refused = newcomers.filter(|&c| limiter.take(c, now).is_err()).count();
        assert_eq!(refused, 1, "the crowd's bucket");
        assert!(limiter.clients.lock().unwrap().len() <= MAX_CLIENTS + 1);
        // Once the old buckets are full again they are dropped and a newcomer has its own.
        assert!(limiter.take(Client::V4([10, 0, 0, 1]), now + WINDOW).is_ok());
        assert!(limiter.clients.lock().unwrap().len() < 10);
    }
}
