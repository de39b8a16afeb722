//! What the ecs pipeline takes of a source: its size and download time while it downloads
//! (`MAX_SOURCE_SIZE`, `SOURCE_DOWNLOAD_TIMEOUT`), its container, length and frame once probed
//! (`MAX_SOURCE_DURATION`, `MAX_SOURCE_PIXELS`). Without them one source could fill
//! `TRANSCODE_WORK_DIR`, hold a transcode slot for ever with its lease renewed, or make ffmpeg
//! read other files. Each refusal has a stable code (`FailureCode`) its reason starts with.

use futures::future::BoxFuture;

use crate::{
    config::{FrameSize, GiB, Settings, Span},
    domain::{FailureCode, Retryable},
    node::{DownloadError, Watch},
    tools::ffmpeg::{ALLOWED_FORMATS, Probe},
};

/// The caps, as the settings say them (and as the reasons name them).
#[derive(Debug, Clone, Copy)]
pub struct SourceLimits {
    pub max_size: GiB,
    pub download_timeout: Span,
    pub max_duration: Span,
    pub max_pixels: FrameSize,
}

impl SourceLimits {
    pub fn of(settings: &Settings) -> Self {
        Self {
            max_size: settings.max_source_size,
            download_timeout: settings.source_download_timeout,
            max_duration: settings.max_source_duration,
            max_pixels: settings.max_source_pixels,
        }
    }

    /// The probed source within the caps, or why not. Pure.
    pub fn check(&self, probe: &Probe) -> Result<(), SourceRefused> {
        if probe.duration > self.max_duration.0 {
            return Err(SourceRefused::TooLong { lasts: Span(probe.duration), limit: self.max_duration });
        }
        let frame = FrameSize { width: probe.width, height: probe.height };
        if !frame.fits_in(self.max_pixels) {
            return Err(SourceRefused::TooManyPixels { frame, limit: self.max_pixels });
        }
        Ok(())
    }

    /// What the downloader hears, answered with a stop past `MAX_SOURCE_SIZE`.
    pub(super) fn size_cap(&self) -> SizeCap {
        SizeCap(self.max_size.bytes())
    }
}

/// Why a source is not transcoded. None heals by trying again (see `Retryable`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SourceRefused {
    #[error("the source announces {announced} bytes, more than MAX_SOURCE_SIZE allows ({limit} GiB)")]
    Announced { announced: u64, limit: GiB },
    #[error("the source sent more than MAX_SOURCE_SIZE allows ({limit} GiB): stopped, and what came removed")]
    TooLarge { limit: GiB },
    #[error(
        "the source took longer than SOURCE_DOWNLOAD_TIMEOUT ({limit}) to download: stopped, and what came removed"
    )]
    TooSlow { limit: Span },
    #[error(
        "the source is a {format} file, not a video container vteacher transcodes ({}): playlists and lists of \
         files are refused, as they would make ffmpeg read other files or URLs",
        ALLOWED_FORMATS
    )]
    Format { format: String },
    #[error("the source lasts {lasts}, longer than MAX_SOURCE_DURATION ({limit})")]
    TooLong { lasts: Span, limit: Span },
    #[error("the source's frame is {frame}, larger than MAX_SOURCE_PIXELS ({limit}, either way up)")]
    TooManyPixels { frame: FrameSize, limit: FrameSize },
}

impl SourceRefused {
    pub fn code(&self) -> FailureCode {
        match self {
            Self::Announced { .. } | Self::TooLarge { .. } => FailureCode::SourceTooLarge,
            Self::TooSlow { .. } => FailureCode::SourceTooSlow,
            Self::Format { .. } => FailureCode::SourceFormatRefused,
            Self::TooLong { .. } => FailureCode::SourceTooLong,
            Self::TooManyPixels { .. } => FailureCode::SourceTooManyPixels,
        }
    }

    /// The refusal a size cap's stop stands for, knowing the cap.
    pub(super) fn from_download(err: &DownloadError, limits: &SourceLimits) -> Option<Self> {
        match err {
            DownloadError::TooLarge { announced: Some(announced), .. } => {
                Some(Self::Announced { announced: *announced, limit: limits.max_size })
            }
            DownloadError::TooLarge { announced: None, .. } => Some(Self::TooLarge { limit: limits.max_size }),
            _ => None,
        }
    }
}

/// Not one heals. The same bytes are as large, as long and as wide next time. Too slow: the
/// cap is far above what a real source needs (4 GiB in 30 minutes is 19 Mbit/s; an ecs
/// worker reads its object store at many times that), so a source that slow is broken or
/// hostile; retried, it would hold a transcode slot `JOB_ATTEMPTS` times as long, and a person
/// can book again once the source is fixed.
impl Retryable for SourceRefused {
    fn is_retryable(&self) -> bool {
        false
    }
}

/// A `Watch` that stops a download past `0` bytes: refused on the length announced, before a
/// byte of the body is read, or on the bytes received (a chunked or endless body).
pub(super) struct SizeCap(u64);

impl SizeCap {
    fn over(&self, bytes: u64, announced: bool) -> Result<(), DownloadError> {
        if bytes <= self.0 {
            return Ok(());
        }
        Err(DownloadError::TooLarge { limit: self.0, announced: announced.then_some(bytes) })
    }
}

impl Watch for SizeCap {
    fn started(&self, total: Option<u64>) -> BoxFuture<'_, Result<(), DownloadError>> {
        let said = total.map_or(Ok(()), |total| self.over(total, true));
        Box::pin(async move { said })
    }

    fn progress(&self, bytes: u64, _total: u64) -> BoxFuture<'_, Result<(), DownloadError>> {
        let said = self.over(bytes, false);
        Box::pin(async move { said })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn limits() -> SourceLimits {
        SourceLimits::of(&Settings::default())
    }

    fn probe(width: u32, height: u32, seconds: u64) -> Probe {
        Probe { width, height, duration: Duration::from_secs(seconds), video_codec: "h264".into(), audio_codec: None }
    }

    #[test]
    fn a_lesson_passes_and_the_caps_are_inclusive() {
        for (w, h, s) in [(1280, 720, 3600), (3840, 2160, 4 * 3600), (2160, 3840, 60), (1920, 1080, 1)] {
            assert_eq!(limits().check(&probe(w, h, s)), Ok(()), "{w}x{h} {s}s");
        }
    }

    #[test]
    fn longer_or_larger_sources_are_refused_with_their_codes() {
        let long = limits().check(&probe(1280, 720, 4 * 3600 + 1)).unwrap_err();
        assert_eq!(long.code(), FailureCode::SourceTooLong);
        assert_eq!(long.to_string(), "the source lasts 4h 1s, longer than MAX_SOURCE_DURATION (4h)");
        // More pixels than 3840x2160, or a side longer than 3840 (a strip of few pixels).
        for (w, h) in [(4096, 2304), (3841, 2160), (8000, 100), (100, 4000)] {
            let refused = limits().check(&probe(w, h, 60)).unwrap_err();
            assert_eq!(refused.code(), FailureCode::SourceTooManyPixels, "{w}x{h}");
            assert!(refused.to_string().contains(&format!("{w}x{h}")), "{refused}");
        }
    }

    #[test]
    fn the_size_cap_stops_on_the_length_announced_or_the_bytes_received() {
        let cap = SizeCap(1000);
        assert!(cap.over(1000, true).is_ok() && cap.over(1000, false).is_ok());
        assert!(matches!(cap.over(1001, true), Err(DownloadError::TooLarge { limit: 1000, announced: Some(1001) })));
        assert!(matches!(cap.over(1001, false), Err(DownloadError::TooLarge { limit: 1000, announced: None })));
        let limits = limits();
        let announced = SourceRefused::from_download(&cap.over(5000, true).unwrap_err(), &limits).unwrap();
        assert_eq!(announced.code(), FailureCode::SourceTooLarge);
        assert!(announced.to_string().contains("announces 5000 bytes"), "{announced}");
        assert_eq!(SourceRefused::from_download(&DownloadError::Abandoned, &limits), None);
    }

    #[test]
    fn no_refusal_is_retried() {
        let all = [
            SourceRefused::TooLarge { limit: limits().max_size },
            SourceRefused::TooSlow { limit: limits().download_timeout },
            SourceRefused::Format { format: "hls".into() },
        ];
        assert!(all.iter().all(|r| !r.is_retryable()));
    }
}
