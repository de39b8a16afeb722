//! Real lessons made by ffmpeg, and an ffmpeg that counts its runs.

use std::path::{Path, PathBuf};

/// A `seconds`-long 1280x720 FLV with sound, made by ffmpeg, as `<name>.flv` in `dir`.
pub(crate) async fn lesson_video(dir: &Path, name: &str, seconds: u32) -> Vec<u8> {
    made_by_ffmpeg(dir, name, seconds, "1280x720:rate=25").await
}

/// The same at 320x240, 10 frames a second: a lesson many transcodes can make quickly.
pub(crate) async fn small_lesson_video(dir: &Path, name: &str, seconds: u32) -> Vec<u8> {
    made_by_ffmpeg(dir, name, seconds, "320x240:rate=10").await
}

async fn made_by_ffmpeg(dir: &Path, name: &str, seconds: u32, picture: &str) -> Vec<u8> {
    let path = dir.join(format!("{name}.flv"));
    let (video, audio) =
        (format!("testsrc=size={picture}:duration={seconds}"), format!("sine=frequency=440:duration={seconds}"));
    let status = tokio::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", &video, "-f", "lavfi", "-i", &audio])
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "flv"])
        .arg(&path)
        .kill_on_drop(true)
        .status()
        .await
        .expect("ffmpeg is installed (bash .ci/run installs it)");
    assert!(status.success());
    std::fs::read(&path).unwrap()
}

/// An `ffmpeg` first on PATH (the folder returned first) that writes one line per run with its
/// arguments to the file returned second, and takes `delay_s` longer than the real one.
pub(crate) fn slow_counting_ffmpeg(dir: &Path, delay_s: u32) -> (PathBuf, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("slow-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let count = dir.join("ffmpeg-runs");
    let script =
        format!("#!/bin/sh\necho \"$@\" >> '{}'\nsleep {delay_s}\nexec /usr/bin/ffmpeg \"$@\"\n", count.display());
    let wrapper = bin.join("ffmpeg");
    std::fs::write(&wrapper, script).unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    (bin, count)
}
