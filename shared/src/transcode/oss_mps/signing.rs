//! Aliyun's RPC request signature (SignatureMethod HMAC-SHA1, SignatureVersion 1.0), and the
//! RFC 3986 percent-encoding it is built on. Pure functions: no clock, no I/O, no logging.
//!
//! ```text
//! CanonicalizedQueryString = sorted(k, v): percentEncode(k) "=" percentEncode(v), joined by "&"
//! StringToSign = HTTPMethod "&" percentEncode("/") "&" percentEncode(CanonicalizedQueryString)
//! Signature    = Base64(HMAC-SHA1(key = AccessKeySecret "&", StringToSign))
//! ```

use std::collections::BTreeMap;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

/// The parameter that carries the signature; it is never part of what is signed.
pub const SIGNATURE: &str = "Signature";

fn encode_with(value: &str, keep: impl Fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(value.len());
    for &byte in value.as_bytes() {
        if keep(byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~')
}

/// RFC 3986 percent-encoding of the UTF-8 bytes, as Aliyun's signature asks: only
/// `A-Z a-z 0-9 - _ . ~` stay as they are; a space is `%20` (never `+`), `*` is `%2A`.
pub fn percent_encode(value: &str) -> String {
    encode_with(value, unreserved)
}

/// An OSS object key as the MPS API wants it (`Input.Object`, `OutputObject`): URL-encoded
/// UTF-8 with its `/` separators kept, e.g. `a b/c+d.flv` → `a%20b/c%2Bd.flv`.
pub fn encode_object_key(key: &str) -> String {
    encode_with(key, |byte| unreserved(byte) || byte == b'/')
}

/// Decodes `%XY` escapes (a `+` stays a `+`); `None` if an escape is malformed or the bytes
/// are not UTF-8.
pub fn percent_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The parameters sorted by key (byte order), each key and value percent-encoded, `k=v`
/// joined with `&`. A `Signature` entry is left out.
pub fn canonicalized_query(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .filter(|(key, _)| key.as_str() != SIGNATURE)
        .map(|(key, value)| format!("{}={}", percent_encode(key), percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `METHOD&%2F&percentEncode(CanonicalizedQueryString)`.
pub fn string_to_sign(method: &str, params: &BTreeMap<String, String>) -> String {
    format!("{}&{}&{}", method.to_ascii_uppercase(), percent_encode("/"), percent_encode(&canonicalized_query(params)))
}

/// The request's `Signature` value (Base64, not yet percent-encoded), from every parameter
/// but `Signature` itself. The HMAC key is the AccessKey secret followed by `&`.
pub fn sign(method: &str, params: &BTreeMap<String, String>, access_key_secret: &str) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(format!("{access_key_secret}&").as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(string_to_sign(method, params).as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}
