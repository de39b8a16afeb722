//! Values with units, parsed once when the configuration is read.

use std::{fmt, str::FromStr, time::Duration};

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// A download rate as wget's `--limit-rate` reads it: bytes per second, `k` = 1024 B/s,
/// `m` = 1024 KiB/s. Zero means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate(u64);

impl Rate {
    pub const UNLIMITED: Rate = Rate(0);

    pub fn bytes_per_sec(self) -> Option<u64> {
        (self.0 > 0).then_some(self.0)
    }

    pub fn from_bytes_per_sec(bytes: u64) -> Self {
        Self(bytes)
    }
}

impl FromStr for Rate {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (digits, unit) = match s.char_indices().last() {
            Some((i, c)) if c.is_ascii_alphabetic() => (&s[..i], c.to_ascii_lowercase()),
            _ => (s, 'b'),
        };
        let factor: f64 = match unit {
            'b' => 1.0,
            'k' => 1024.0,
            'm' => 1024.0 * 1024.0,
            'g' => 1024.0 * 1024.0 * 1024.0,
            _ => return Err(format!("{s:?}: unknown unit (use k or m, as wget does)")),
        };
        let number: f64 = digits.trim().parse().map_err(|_| format!("{s:?} is not a rate such as 1000k, 2.5m or 0"))?;
        if !number.is_finite() || number < 0.0 {
            return Err(format!("{s:?} must not be negative"));
        }
        Ok(Rate((number * factor).round() as u64))
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => f.write_str("0"),
            b if b % 1024 == 0 => write!(f, "{}k", b / 1024),
            b => write!(f, "{b}"),
        }
    }
}

/// A size in GiB, as `.env` writes `MAX_VIDEO_SIZE=10`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GiB(f64);

impl GiB {
    pub fn bytes(self) -> u64 {
        (self.0 * 1024.0 * 1024.0 * 1024.0) as u64
    }
}

impl FromStr for GiB {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let number: f64 = s.trim().parse().map_err(|_| format!("{s:?} is not a number of GiB"))?;
        if !number.is_finite() || number < 0.0 {
            return Err(format!("{s:?} must not be negative"));
        }
        Ok(GiB(number))
    }
}

impl fmt::Display for GiB {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A frame's size, `3840x2160`. As a cap (`MAX_SOURCE_PIXELS`) it holds a frame of as many
/// pixels or fewer whose longer side is no longer than its own, either way up: a portrait
/// 2160x3840 fits in 3840x2160, an 8000x100 strip does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameSize {
    pub width: u32,
    pub height: u32,
}

impl FrameSize {
    pub fn pixels(self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }

    pub fn fits_in(self, cap: FrameSize) -> bool {
        self.pixels() <= cap.pixels() && self.width.max(self.height) <= cap.width.max(cap.height)
    }
}

impl FromStr for FrameSize {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a frame size such as 3840x2160");
        let (width, height) = s.trim().split_once(['x', 'X']).ok_or_else(bad)?;
        let (width, height): (u32, u32) =
            (width.trim().parse().map_err(|_| bad())?, height.trim().parse().map_err(|_| bad())?);
        if width == 0 || height == 0 {
            return Err(format!("{s:?}: both sides must be at least 1 pixel"));
        }
        Ok(FrameSize { width, height })
    }
}

impl fmt::Display for FrameSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

/// A duration written as `30s`, `30m`, `2h` (humantime).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span(pub Duration);

impl FromStr for Span {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        humantime::parse_duration(s.trim())
            .map(Span)
            .map_err(|e| format!("{s:?} is not a duration such as 30s, 30m or 2h ({e})"))
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

/// Networks written as CIDRs, comma-separated (`127.0.0.1/32, 198.51.100.0/24`); a bare address is
/// that address alone. Empty: none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Nets(pub Vec<ipnet::IpNet>);

impl FromStr for Nets {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let net = |item: &str| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("{item:?} is not a network such as 198.51.100.0/24 or an address"))
        };
        s.split([',', ' ']).map(str::trim).filter(|item| !item.is_empty()).map(net).collect::<Result<_, _>>().map(Nets)
    }
}

impl fmt::Display for Nets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&shown.join(","))
    }
}

/// Serde for values that `.env` gives as text and TOML may give as numbers.
macro_rules! from_text_or_number {
    ($($ty:ty),*) => {$(
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                text_or_number(d)?.parse().map_err(de::Error::custom)
            }
        }
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    )*};
}
from_text_or_number!(Rate, GiB, Span, Nets, FrameSize);

/// Accepts a string or any scalar, as text: figment parses `API_TOKEN=12345` into a number.
pub(super) fn text_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    struct Visitor;
    impl de::Visitor<'_> for Visitor {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_owned())
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
            Ok(v.to_string())
        }
    }
    d.deserialize_any(Visitor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rates_as_wget_does() {
        assert_eq!("1000k".parse::<Rate>().unwrap().bytes_per_sec(), Some(1_024_000));
        assert_eq!("300K".parse::<Rate>().unwrap().bytes_per_sec(), Some(307_200));
        assert_eq!("2m".parse::<Rate>().unwrap().bytes_per_sec(), Some(2 * 1024 * 1024));
        assert_eq!("1.5k".parse::<Rate>().unwrap().bytes_per_sec(), Some(1536));
        assert_eq!("500".parse::<Rate>().unwrap().bytes_per_sec(), Some(500));
        assert_eq!("0".parse::<Rate>().unwrap(), Rate::UNLIMITED);
        for bad in ["fast", "10x", "-5k", ""] {
            assert!(bad.parse::<Rate>().is_err(), "{bad}");
        }
    }

    #[test]
    fn reads_sizes_and_spans() {
        assert_eq!("10".parse::<GiB>().unwrap().bytes(), 10 * 1024 * 1024 * 1024);
        assert!("ten".parse::<GiB>().is_err());
        assert_eq!("30m".parse::<Span>().unwrap().0, Duration::from_secs(1800));
        assert!("soon".parse::<Span>().is_err());
    }

    #[test]
    fn reads_networks() {
        let nets: Nets = "127.0.0.1/32, 198.51.100.0/24,::1".parse().unwrap();
        assert_eq!(nets.to_string(), "127.0.0.1/32,198.51.100.0/24,::1/128");
        assert_eq!("".parse::<Nets>().unwrap(), Nets::default());
        assert!("198.51.100.0/33".parse::<Nets>().is_err());
        assert!("intranet".parse::<Nets>().is_err());
    }

    #[test]
    fn reads_frame_sizes_and_fits_either_way_up() {
        let cap: FrameSize = "3840x2160".parse().unwrap();
        assert_eq!(cap, FrameSize { width: 3840, height: 2160 });
        assert_eq!(cap.to_string(), "3840x2160");
        for bad in ["3840", "0x10", "ax1", "-1x2", ""] {
            assert!(bad.parse::<FrameSize>().is_err(), "{bad}");
        }
        let fits = |w, h| FrameSize { width: w, height: h }.fits_in(cap);
        assert!(fits(3840, 2160) && fits(2160, 3840) && fits(1280, 720));
        assert!(!fits(3841, 2160) && !fits(4096, 2304) && !fits(8000, 100));
    }
}
