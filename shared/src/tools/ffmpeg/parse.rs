//! What ffprobe and ffmpeg print, read into types. Pure, so tested without running them.

use std::time::Duration;

use serde::Deserialize;

use super::error::FfmpegError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub width: u32,
    pub height: u32,
    pub duration: Duration,
    pub video_codec: String,
    pub audio_codec: Option<String>,
}

#[derive(Deserialize)]
struct ProbeJson {
    #[serde(default)]
    streams: Vec<StreamJson>,
    #[serde(default)]
    format: FormatJson,
}

#[derive(Deserialize)]
struct StreamJson {
    codec_type: Option<String>,
    codec_name: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    duration: Option<String>,
    #[serde(default)]
    disposition: Disposition,
}

#[derive(Deserialize, Default)]
struct Disposition {
    #[serde(default)]
    attached_pic: u8,
}

#[derive(Deserialize, Default)]
struct FormatJson {
    duration: Option<String>,
}

pub(super) fn parse_probe(json: &[u8]) -> Result<Probe, FfmpegError> {
    let bad = |what: &str| FfmpegError::BadOutput(what.to_owned());
    let parsed: ProbeJson = serde_json::from_slice(json).map_err(|e| bad(&e.to_string()))?;
    let of_type = |kind: &str| {
        let kind = Some(kind);
        // Cover art (an mp3's album picture) is a "video" stream too, but not a video.
        (parsed.streams.iter()).find(move |s| s.codec_type.as_deref() == kind && s.disposition.attached_pic == 0)
    };
    let video = of_type("video").ok_or_else(|| bad("no video stream"))?;
    let (Some(width), Some(height)) = (video.width, video.height) else {
        return Err(bad("video stream without a size"));
    };
    let duration = (parsed.format.duration.as_deref())
        .or(video.duration.as_deref())
        .and_then(|s| Duration::try_from_secs_f64(s.parse().ok()?).ok())
        .ok_or_else(|| bad("no duration"))?;
    Ok(Probe {
        width,
        height,
        duration,
        video_codec: video.codec_name.clone().unwrap_or_default(),
        audio_codec: of_type("audio").and_then(|a| a.codec_name.clone()),
    })
}

/// The demuxer ffmpeg refused by `-format_whitelist`: it logs `[hls @ 0x…] Format not on
/// whitelist '…'`, the context named by the demuxer it probed.
pub(super) fn refused_format(stderr: &str) -> Option<String> {
    let line = stderr.lines().find(|l| l.contains("Format not on whitelist"))?;
    let name = line.trim_start().strip_prefix('[')?.split(" @ ").next()?;
    // ffmpeg's own names are short words; anything else is shown as unknown, never repeated.
    let plain =
        !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || "_,-".contains(c));
    Some(if plain { name.to_owned() } else { "unknown".to_owned() })
}

/// Turns `-progress` lines (`key=value`, each block ending `progress=continue|end`) into
/// whole percents, each reported once and never going back.
pub(super) struct Progress {
    total_us: u128,
    out_time_us: u128,
    last: Option<u8>,
}

impl Progress {
    pub(super) fn new(total: Duration) -> Self {
        let total_us = total.as_micros();
        Self { total_us, out_time_us: 0, last: None }
    }

    pub(super) fn line(&mut self, line: &str) -> Option<u8> {
        match line.trim().split_once('=')? {
            // "N/A" before the first frame, negative for sources starting below zero.
            ("out_time_us", v) => {
                self.out_time_us = v.parse::<i64>().map_or(0, |us| us.max(0) as u128);
                None
            }
            // 100 is kept for the output being in place, which `progress=end` is not yet.
            ("progress", _) if self.total_us > 0 => {
                let percent = (self.out_time_us * 100 / self.total_us).min(99) as u8;
                self.report(percent)
            }
            _ => None,
        }
    }

    pub(super) fn finish(&mut self) -> Option<u8> {
        self.report(100)
    }

    fn report(&mut self, percent: u8) -> Option<u8> {
        (self.last < Some(percent)).then(|| *self.last.insert(percent))
    }
}
