//! `Resolution`: parsed once at the edge, from `"720P"`, `"720p"`, `"720"` or `720`.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// A rendition height the school books. Ordered from smallest to largest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resolution {
    P240,
    P480,
    P720,
    P1080,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown resolution {0:?}: expected one of 1080P, 720P, 480P, 240P")]
pub struct UnknownResolution(pub String);

impl Resolution {
    pub const ALL: [Resolution; 4] = [Self::P240, Self::P480, Self::P720, Self::P1080];

    /// The picture height in pixels.
    pub fn height(self) -> u32 {
        match self {
            Self::P240 => 240,
            Self::P480 => 480,
            Self::P720 => 720,
            Self::P1080 => 1080,
        }
    }

    /// The canonical spelling used in file names and messages: `"720P"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::P240 => "240P",
            Self::P480 => "480P",
            Self::P720 => "720P",
            Self::P1080 => "1080P",
        }
    }

    fn from_height(height: u64) -> Option<Self> {
        Self::ALL.into_iter().find(|r| u64::from(r.height()) == height)
    }
}

impl fmt::Display for Resolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Resolution {
    type Err = UnknownResolution;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        let digits = trimmed.strip_suffix('P').or_else(|| trimmed.strip_suffix('p')).unwrap_or(trimmed);
        digits.parse::<u64>().ok().and_then(Self::from_height).ok_or_else(|| UnknownResolution(super::clip(s, 40)))
    }
}

impl Serialize for Resolution {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Resolution {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Resolution;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a resolution such as \"720P\" or 240")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Resolution, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Resolution, E> {
                Resolution::from_height(v).ok_or_else(|| E::custom(UnknownResolution(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Resolution, E> {
                u64::try_from(v)
                    .ok()
                    .and_then(Resolution::from_height)
                    .ok_or_else(|| E::custom(UnknownResolution(v.to_string())))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_spelling_the_school_sends() {
        for (input, want) in [
            ("720P", Resolution::P720),
            ("720p", Resolution::P720),
            ("240", Resolution::P240),
            (" 1080P ", Resolution::P1080),
            ("480p", Resolution::P480),
        ] {
            assert_eq!(input.parse::<Resolution>(), Ok(want), "{input}");
        }
        let from_number: Resolution = serde_json::from_str("240").unwrap();
        assert_eq!(from_number, Resolution::P240);
    }

    #[test]
    fn rejects_unknown_heights_and_words() {
        for input in ["360P", "4k", "", "P720", "720PP", "-240"] {
            assert!(input.parse::<Resolution>().is_err(), "{input}");
        }
        assert!(serde_json::from_str::<Resolution>("360").is_err());
    }

    #[test]
    fn orders_by_height() {
        assert!(Resolution::P240 < Resolution::P480);
        assert!(Resolution::P720 < Resolution::P1080);
        assert_eq!(Resolution::P720.to_string(), "720P");
    }
}
