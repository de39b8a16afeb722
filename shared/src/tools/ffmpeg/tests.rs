//! Real ffmpeg on small inputs made by ffmpeg itself.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::parse::Progress;
use super::*;
use crate::domain::Retryable;

const MINUTE: Duration = Duration::from_secs(60);

/// Runs ffmpeg to make a test input; `args` go between the banner flags and `out`.
async fn make(out: &Path, args: &str) -> PathBuf {
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-y", "-loglevel", "error"])
        .args(args.split_whitespace())
        .arg(out)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .status()
        .await
        .expect("ffmpeg runs");
    assert!(status.success(), "making {}", out.display());
    out.to_owned()
}

/// A 720p FLV with AAC audio, as a recorder would upload. testsrc through libx264 gives
/// 4:4:4, which the rendition must not keep.
async fn source(dir: &Path, name: &str, secs: u32) -> PathBuf {
    let lavfi = format!(
        "-f lavfi -i testsrc=size=1280x720:rate=25:duration={secs} \
         -f lavfi -i sine=frequency=440:duration={secs} \
         -c:v libx264 -preset ultrafast -c:a aac -f flv"
    );
    make(&dir.join(name), &lavfi).await
}

fn rendition<'a>(input: &'a Path, output: &'a Path, timeout: Duration) -> Transcode<'a> {
    Transcode { input, output, height: 240, timeout }
}

async fn pixel_format(path: &Path) -> String {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=pix_fmt"])
        .args(["-of", "default=noprint_wrappers=1:nokey=1"])
        .arg(path)
        .output()
        .await
        .expect("ffprobe runs");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Live processes whose command line names `needle` (zombies have an empty one).
fn processes_naming(needle: &Path) -> Vec<String> {
    let needle = needle.to_string_lossy().into_owned();
    let procs = std::fs::read_dir("/proc").expect("/proc");
    (procs.flatten())
        .filter_map(|p| std::fs::read(p.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(&needle))
        .collect()
}

#[tokio::test]
async fn transcode_to_240_keeps_aspect_audio_and_duration() {
    let dir = tempfile::tempdir().unwrap();
    // A colon once made ffmpeg look for a protocol named "class 3005".
    let input = source(dir.path(), "class 3005:720P.flv", 3).await;
    let output = dir.path().join("class 3005:240P.flv");
    let src = probe(&input).await.unwrap();

    let job = rendition(&input, &output, MINUTE);
    job.run(src.duration, |_| {}).await.unwrap();

    let out = probe(&output).await.unwrap();
    assert_eq!(out.height, 240);
    assert!(out.width % 2 == 0 && (426..=428).contains(&out.width), "{out:?}");
    assert!(out.duration.abs_diff(src.duration) < Duration::from_secs(1), "{out:?} {src:?}");
    assert_eq!(out.video_codec, "h264");
    assert_eq!(out.audio_codec.as_deref(), Some("aac"));
    assert_eq!(out.audio_codec, src.audio_codec, "audio is copied");
    assert_eq!(pixel_format(&input).await, "yuv444p");
    assert_eq!(pixel_format(&output).await, "yuv420p", "players refuse 4:4:4");
    assert!(!job.partial_path().exists());
}

#[tokio::test]
async fn progress_rises_and_ends_at_100() {
    let dir = tempfile::tempdir().unwrap();
    let input = source(dir.path(), "in.flv", 3).await;
    let output = dir.path().join("out.flv");
    let src = probe(&input).await.unwrap();

    let mut seen = Vec::new();
    let job = rendition(&input, &output, MINUTE);
    job.run(src.duration, |p| seen.push(p)).await.unwrap();

    assert_eq!(seen.last(), Some(&100), "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "each percent once, rising: {seen:?}");
}

#[tokio::test]
async fn timeout_kills_ffmpeg_and_leaves_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let full = source(dir.path(), "full.flv", 3).await;
    let src = probe(&full).await.unwrap();
    // A source that stops arriving (a stalled mount): most of the file, then nothing and no
    // EOF. Half is too little: ffmpeg would still be probing the input, not yet writing.
    let input = dir.path().join("stalled.flv");
    nix::unistd::mkfifo(&input, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let mut most = std::fs::read(&full).unwrap();
    most.truncate(most.len() * 3 / 4);
    let (hold, held) = std::sync::mpsc::channel::<()>();
    let fifo = input.clone();
    std::thread::spawn(move || {
        use std::io::Write;
        let mut w = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
        let _ = w.write_all(&most);
        let _ = held.recv(); // keeps the write end open until the test ends
    });

    let output = dir.path().join("out.flv");
    let job = rendition(&input, &output, Duration::from_secs(2));
    let mut partial_while_running = false;
    let started = Instant::now();
    let result = job.run(src.duration, |_| partial_while_running |= job.partial_path().exists()).await;

    assert!(matches!(result, Err(FfmpegError::Timeout(_))), "{result:?}");
    assert!(result.unwrap_err().is_retryable());
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
    assert!(partial_while_running, "ffmpeg had started writing");
    assert!(!job.partial_path().exists() && !output.exists());
    assert_eq!(processes_naming(&output), Vec::<String>::new(), "ffmpeg is gone");
    drop(hold);
}

#[tokio::test]
async fn corrupt_input_fails_for_good_without_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.flv");
    // Seeded: random bytes now and then look like a stream some demuxer accepts.
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    let noise: Vec<u8> = std::iter::repeat_with(|| rng.u8(..)).take(200_000).collect();
    std::fs::write(&input, noise).unwrap();
    let output = dir.path().join("out.flv");

    let job = rendition(&input, &output, MINUTE);
    let err = job.run(MINUTE, |_| {}).await.unwrap_err();

    assert!(matches!(err, FfmpegError::Failed { .. }), "{err:?}");
    assert!(!err.is_retryable(), "{err}");
    assert!(err.to_string().contains("Invalid data"), "the reason is kept: {err}");
    assert!(!job.partial_path().exists() && !output.exists());
}

#[tokio::test]
async fn two_audio_tracks_keep_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let lavfi = "-f lavfi -i testsrc=size=320x240:rate=25:duration=1 \
                 -f lavfi -i sine=duration=1 -f lavfi -i sine=frequency=880:duration=1 \
                 -map 0 -map 1 -map 2 -c:v libx264 -preset ultrafast -c:a aac";
    let input = make(&dir.path().join("in.mkv"), lavfi).await;
    let output = dir.path().join("out.flv");

    let job = rendition(&input, &output, MINUTE);
    job.run(Duration::from_secs(1), |_| {}).await.expect("FLV holds one audio track");

    assert_eq!(probe(&output).await.unwrap().audio_codec.as_deref(), Some("aac"));
}

#[tokio::test]
async fn probe_rejects_files_without_video() {
    let dir = tempfile::tempdir().unwrap();
    let audio = make(&dir.path().join("a.m4a"), "-f lavfi -i sine=duration=1 -c:a aac").await;
    let err = probe(&audio).await.unwrap_err();
    assert!(matches!(&err, FfmpegError::BadOutput(m) if m == "no video stream"), "{err:?}");

    let text = dir.path().join("notes.flv");
    std::fs::write(&text, "not a video\n").unwrap();
    let err = probe(&text).await.unwrap_err();
    assert!(matches!(err, FfmpegError::Failed { tool: "ffprobe", .. }), "{err:?}");
    assert!(!err.is_retryable());
}

/// An HLS playlist and a concat list naming a real video: ffprobe and ffmpeg refuse both by
/// their container, before opening what they name (the named video would probe fine).
#[tokio::test]
async fn playlists_and_file_lists_are_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let named = make(&dir.path().join("named.ts"), "-f lavfi -i testsrc=duration=2 -c:v libx264 -f mpegts").await;
    let hls = dir.path().join("hls");
    let playlist = format!("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n{}\n#EXT-X-ENDLIST\n", named.display());
    std::fs::write(&hls, playlist).unwrap();
    let concat = dir.path().join("concat");
    std::fs::write(&concat, "ffconcat version 1.0\nfile 'named.ts'\n").unwrap();
    for (input, format) in [(&hls, "hls"), (&concat, "concat")] {
        let err = probe(input).await.unwrap_err();
        assert!(matches!(&err, FfmpegError::FormatRefused { format: f } if f == format), "{err:?}");
        assert!(!err.is_retryable());
        let output = dir.path().join("out.flv");
        let err = rendition(input, &output, MINUTE).run(Duration::from_secs(2), |_| {}).await.unwrap_err();
        assert!(matches!(&err, FfmpegError::FormatRefused { format: f } if f == format), "{err:?}");
        assert!(!output.exists());
    }
    assert_eq!(probe(&named).await.unwrap().height, 240, "what they name is a video");
}

#[test]
fn the_refused_format_is_read_from_ffmpeg_s_words_only() {
    let said = "[hls @ 0x5580] Format not on whitelist 'flv,mov'\nfile:/w/source: Invalid argument";
    assert_eq!(parse::refused_format(said).as_deref(), Some("hls"));
    assert_eq!(parse::refused_format("[x?y=secret @ 0x1] Format not on whitelist").as_deref(), Some("unknown"));
    assert_eq!(parse::refused_format("file:/w/source: Invalid data found when processing input"), None);
}

#[test]
fn progress_lines_become_rising_percents() {
    let mut p = Progress::new(Duration::from_secs(10));
    let feed = |p: &mut Progress, lines: &str| lines.lines().filter_map(|l| p.line(l)).collect();
    let seen: Vec<u8> = feed(&mut p, "out_time_us=N/A\nprogress=continue\n");
    assert_eq!(seen, [0]);
    let seen: Vec<u8> = feed(&mut p, "out_time_us=-20000\nprogress=continue\n");
    assert_eq!(seen, [] as [u8; 0], "no repeat, no going back");
    let seen: Vec<u8> = feed(&mut p, "out_time_us=2500000\nprogress=continue\n");
    assert_eq!(seen, [25]);
    let seen: Vec<u8> = feed(&mut p, "out_time_us=10400000\nprogress=end\n");
    assert_eq!(seen, [99], "100 waits for the output to be in place");
    assert_eq!(p.finish(), Some(100));
}
