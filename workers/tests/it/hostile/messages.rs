//! Malformed messages, generated deterministically: every one is refused by the parser of its
//! channel. Truncated JSON, wrong types, unknown resolutions, huge strings, bad UTF-8, path
//! traversal in every id, URLs that are not http(s), nesting past any sane depth, and messages
//! that are not objects at all.

use serde_json::{Value, json};

/// Which legacy channel a message is published on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Channel {
    Booking,
    Transcode,
    ClassEnd,
}

/// A small deterministic generator (xorshift), so a failure can be replayed.
pub(super) struct Gen(u64);

impl Gen {
    pub(super) fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const BAD_IDS: [&str; 9] = ["../../etc/passwd", "..", ".", "a/b", "a\\b", "c 1", "c-1\n", "é", "%2e%2e%2f"];
const BAD_RESOLUTIONS: [&str; 8] = ["360P", "4K", "P720", "720PP", "-240", "७२०", "720 P", "0"];
const BAD_URLS: [&str; 7] =
    ["file:///etc/passwd", "ftp://h/a.flv", "javascript:alert(1)", "http://", "a.flv", "//h/a.flv", "gopher://h/"];

/// A booking that would be taken: each malformed one below breaks it in one way.
fn good_booking(g: &mut Gen) -> Value {
    json!({"class_id": format!("c-{}", g.below(1000)), "record_id": 1 + g.below(1000),
        "video_url": "http://127.0.0.1:9/a.flv", "video_resolution": "720P",
        "video_url_list": {"720P": "http://127.0.0.1:9/a_720P.flv"}})
}

fn good_result(g: &mut Gen) -> Value {
    json!({"cmd": "transcoding", "record_id": 1 + g.below(1000), "video_resolution": "720P",
        "result": "sucess", "transcode_video_url": "http://127.0.0.1:9/v.flv", "type": "oss"})
}

/// A value no field takes (ids may be numbers, so no integer or plain word here).
fn wrong_type(g: &mut Gen) -> Value {
    g.pick(&[json!(true), json!(false), json!([]), json!([1, 2]), json!({"a": 1}), json!(1.5), json!(-2.5)]).clone()
}

fn huge(g: &mut Gen) -> String {
    // Mostly past every length limit; now and then far past it.
    let len = if g.below(200) == 0 { 64 * 1024 } else { 251 + g.below(2000) };
    "x".repeat(len)
}

/// The `i`th malformed message: its channel and its bytes.
pub(super) fn malformed(i: usize, g: &mut Gen) -> (Channel, Vec<u8>) {
    let channel = match i % 10 {
        0..=5 => Channel::Booking,
        6..=7 => Channel::Transcode,
        _ => Channel::ClassEnd,
    };
    let mut base = match channel {
        Channel::Booking => good_booking(g),
        Channel::Transcode => good_result(g),
        Channel::ClassEnd => json!({"cmd": "class_end", "class_id": format!("c-{}", g.below(1000))}),
    };
    let fields: &[&str] = match channel {
        Channel::Booking => &["class_id", "record_id", "video_url", "video_resolution", "org_id", "node"],
        Channel::Transcode => &["record_id", "video_resolution", "type", "transcode_video_url"],
        Channel::ClassEnd => &["class_id"],
    };
    let field = *g.pick(fields);
    let bytes = |v: &Value| v.to_string().into_bytes();
    let payload = match (i / 10) % 10 {
        0 => {
            let text = bytes(&base);
            text[..g.below(text.len())].to_vec()
        }
        1 => {
            base[field] = wrong_type(g);
            if field == "video_url" {
                base.as_object_mut().unwrap().remove("video_url_list");
            }
            bytes(&base)
        }
        2 if channel != Channel::ClassEnd => {
            base["video_resolution"] = json!(g.pick(&BAD_RESOLUTIONS));
            bytes(&base)
        }
        3 => {
            let id_field = if field.contains("url") || field == "video_resolution" { fields[0] } else { field };
            base[id_field] = json!(huge(g));
            bytes(&base)
        }
        4 => {
            let text = bytes(&base);
            let at = text.iter().position(|&b| b == b'"').unwrap() + 1;
            let bad: &[u8] =
                g.pick::<&[u8]>(&[&b"\xff\xfe"[..], &b"\xc3\x28"[..], &b"\xed\xa0\x80"[..], &b"\xf8\x88\x80\x80"[..]]);
            [&text[..at], bad, &text[at..]].concat()
        }
        5 => {
            let id_field = match channel {
                Channel::Booking => *g.pick(&["class_id", "org_id", "node"]),
                Channel::Transcode => "record_id",
                Channel::ClassEnd => "class_id",
            };
            base[id_field] = json!(g.pick(&BAD_IDS));
            bytes(&base)
        }
        6 if channel != Channel::ClassEnd => {
            let url = g.pick(&BAD_URLS);
            match channel {
                Channel::Booking => {
                    base["video_url"] = json!(url);
                    base.as_object_mut().unwrap().remove("video_resolution");
                }
                _ => base["transcode_video_url"] = json!(url),
            }
            bytes(&base)
        }
        7 => {
            let depth = 129 + g.below(2000);
            let (open, close) = *g.pick(&[("[", "]"), ("{\"a\":", "}")]);
            format!("{}1{}", open.repeat(depth), close.repeat(depth)).into_bytes()
        }
        8 => {
            base.as_object_mut().unwrap().remove(fields[0]);
            if channel == Channel::Booking && g.below(2) == 0 {
                base.as_object_mut().unwrap().remove("video_url");
                base.as_object_mut().unwrap().remove("video_resolution");
            }
            bytes(&base)
        }
        9 if channel == Channel::ClassEnd => {
            // Well formed, for a class never booked: counted as not found, nothing changes.
            bytes(&json!({"cmd": "class_end", "class_id": format!("never-booked-{i}")}))
        }
        _ => g
            .pick(&[
                &b"[1,2,3]"[..],
                &b"\"text\""[..],
                &b"42"[..],
                &b"null"[..],
                &b"true"[..],
                &b""[..],
                &b"   "[..],
                &b"\0\0\0"[..],
                &b"\xef\xbb\xbf{}"[..],
            ])
            .to_vec(),
    };
    (channel, payload)
}
