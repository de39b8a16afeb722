//! The dashboard's session: what `/login` puts in the cookie instead of the token. A value
//! `<expires>.<id>.<mac>`: when it ends (unix seconds), a random id, and an HMAC-SHA256 of both
//! under a key derived from `API_TOKEN`. Nothing is stored: every web process of a fleet derives
//! the same key, so a session opened on one holds on the others, and a new `API_TOKEN` ends
//! every session (the old key is gone). A stolen cookie is good for one `LIFETIME` at most and
//! never gives the token itself away.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// How long a login lasts.
pub(super) const LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// Bound on what is parsed: a session is under 120 characters.
const MAX_LEN: usize = 200;

/// The key sessions are signed with, derived from the token under a label of its own, so the
/// MAC of a session says nothing of the token and the token's other uses are not this key's.
pub(super) struct SessionKey([u8; 32]);

impl SessionKey {
    pub(super) fn derive(api_token: &str) -> Self {
        let mut mac = Hmac::<Sha256>::new_from_slice(api_token.as_bytes()).expect("HMAC takes any key length");
        mac.update(b"vteacher dashboard session key v1");
        Self(mac.finalize().into_bytes().into())
    }

    fn mac(&self, signed: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(signed.as_bytes());
        mac
    }

    /// A new session ending `LIFETIME` after `now` (unix seconds).
    pub(super) fn issue(&self, now: u64) -> String {
        let signed = format!("{}.{}", now + LIFETIME.as_secs(), uuid::Uuid::new_v4().simple());
        format!("{signed}.{}", hex(&self.mac(&signed).finalize().into_bytes()))
    }

    /// Whether `value` is a session this key signed that has not ended at `now`.
    pub(super) fn verify(&self, value: &str, now: u64) -> bool {
        if value.len() > MAX_LEN {
            return false;
        }
        let Some((signed, mac)) = value.rsplit_once('.') else {
            return false;
        };
        let Some((expires, _id)) = signed.split_once('.') else {
            return false;
        };
        let (Some(mac), Ok(expires)) = (unhex(mac), expires.parse::<u64>()) else {
            return false;
        };
        // The MAC first, in constant time; the expiry is only believed once it is ours.
        self.mac(signed).verify_slice(&mac).is_ok() && now < expires
    }
}

/// Now, in unix seconds.
pub(super) fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lower-case hex only: one spelling per MAC.
fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;

    #[test]
    fn a_session_holds_until_it_ends_and_only_under_its_key() {
        let key = SessionKey::derive("the-token");
        let session = key.issue(NOW);
        assert!(!session.contains("the-token"));
        assert!(key.verify(&session, NOW));
        assert!(key.verify(&session, NOW + LIFETIME.as_secs() - 1));
        assert!(!key.verify(&session, NOW + LIFETIME.as_secs()), "ended");
        assert!(SessionKey::derive("the-token").verify(&session, NOW), "another process, the same token");
        assert!(!SessionKey::derive("another-token").verify(&session, NOW), "the token rotated");
        assert_ne!(key.issue(NOW), session, "each login its own id");
    }

    #[test]
    fn a_changed_or_made_up_session_is_refused() {
        let key = SessionKey::derive("the-token");
        let session = key.issue(NOW);
        let (signed, mac) = session.rsplit_once('.').unwrap();
        let (_, id) = signed.split_once('.').unwrap();
        let later = format!("{}.{id}.{mac}", NOW + 10 * LIFETIME.as_secs());
        for forged in
            [later, session.to_uppercase(), format!("{session}0"), String::new(), "the-token".into(), "1.2.3".into()]
        {
            assert!(!key.verify(&forged, NOW), "{forged}");
        }
    }
}
