//! What a log line may show of a message the bridge refuses unread: its first characters,
//! enough to tell a sender by (`{"class_id":"c-1",…`), and nothing of a URL past its scheme
//! (its userinfo, or a query string: signed URLs carry credentials there), nor past a JSON
//! escape that could spell one.

/// The most characters shown.
const SHOWN: usize = 40;

/// The start of `payload`, cut at the first `://`, `?`, `#`, `@` or `\`, at most `SHOWN`
/// characters, control characters blanked (one log line stays one line).
pub(super) fn glimpse(payload: &[u8]) -> String {
    let head = &payload[..payload.len().min(SHOWN * 4)];
    let text = String::from_utf8_lossy(head);
    let text = text.split("://").next().unwrap_or_default();
    let mut shown: String = text
        .chars()
        .take_while(|c| !matches!(c, '?' | '#' | '@' | '\\'))
        .take(SHOWN)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if shown.len() < payload.len() {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::glimpse;

    #[test]
    fn shows_a_short_start_and_never_a_query_or_userinfo() {
        let signed = br#"{"video_url":"https://cdn.example.com/a.flv?auth_key=secret","x":1}"#;
        assert_eq!(glimpse(signed), r#"{"video_url":"https…"#);
        let booking = br#"{"class_id":"c-1","record_id":1,"video_url":"http://h/a.flv"}"#;
        assert_eq!(glimpse(booking), r#"{"class_id":"c-1","record_id":1,"video_u…"#);
        let userinfo = br#"{"video_url":"https://user:pass@cdn.example.com/a.flv"}"#;
        assert_eq!(glimpse(userinfo), r#"{"video_url":"https…"#);
        let escaped = br#"{"video_url":"https://h/a\u003fauth_key=secret"}"#;
        assert!(!glimpse(escaped).contains("secret"), "{}", glimpse(escaped));
        let long = "x".repeat(100_000);
        assert_eq!(glimpse(long.as_bytes()).chars().count(), 41, "40 characters and the ellipsis");
        assert_eq!(glimpse(b"{\"a\":\n1}"), "{\"a\": 1}");
        assert_eq!(glimpse(&[0xff; 10]).chars().count(), 10, "not UTF-8: still one short line");
    }
}
