//! The one wrapper around ffmpeg and ffprobe: `probe` a file, `Transcode` it to a rendition.
//!
//! Every child runs with stdin closed, `kill_on_drop`, and a deadline; a child past its
//! deadline is killed with SIGKILL. Not SIGTERM: on SIGTERM ffmpeg finalizes the output and it
//! looks finished. Paths go to ffmpeg as `file:` URLs, so a name with `:` or a leading `-` is
//! never read as a protocol or an option.
//!
//! Every input is read as a local file only, and only by a demuxer of `ALLOWED_FORMATS`
//! (`-protocol_whitelist file -format_whitelist …`, checked by ffmpeg before it reads past the
//! probe). The protocol whitelist alone is not enough: an HLS playlist or a concat list names
//! further files, and `file` is the protocol they are read by. An allow list, not a deny list:
//! ffmpeg has dozens of demuxers that open other files or URLs (hls, concat, dash, image2,
//! mpl2…), and new versions add more; the containers lessons come in are few.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};

pub use error::FfmpegError;
pub use parse::Probe;
use parse::{Progress, parse_probe, refused_format};

mod error;
mod parse;

/// The demuxers ffmpeg may read a source with: what recorders and editors write (FLV, MP4 and
/// MOV, Matroska and WebM, MPEG-TS and -PS, AVI, ASF/WMV). None of them opens another file
/// (the mov demuxer's external references stay off: `enable_drefs` is 0 by default).
pub const ALLOWED_FORMATS: &str = "flv,live_flv,mov,mp4,matroska,webm,mpegts,mpeg,avi,asf";

/// Before every input (ffprobe's URL, ffmpeg's `-i`): what it may be read with.
const INPUT_OPTIONS: [&str; 4] = ["-protocol_whitelist", "file", "-format_whitelist", ALLOWED_FORMATS];
const PROBE_TIMEOUT: Duration = Duration::from_secs(60);
const PROBE_ARGS: [&str; 6] = ["-v", "error", "-print_format", "json", "-show_format", "-show_streams"];
const STDERR_TAIL: usize = 2048;

/// Reads a file's first video stream, first audio stream and duration.
pub async fn probe(path: &Path) -> Result<Probe, FfmpegError> {
    let mut args: Vec<OsString> = PROBE_ARGS.map(OsString::from).into();
    args.extend(INPUT_OPTIONS.map(OsString::from));
    args.push(file_url(path));
    let child = spawn("ffprobe", &args)?;
    // Dropping the future on timeout drops the child, and kill_on_drop kills it.
    let output = tokio::time::timeout(PROBE_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| FfmpegError::Timeout(PROBE_TIMEOUT))??;
    if !output.status.success() {
        return Err(failed("ffprobe", output.status, &output.stderr));
    }
    parse_probe(&output.stdout)
}

/// One rendition: `input` scaled to `height` (width even, aspect kept), H.264, audio
/// copied, FLV.
#[derive(Debug, Clone, Copy)]
pub struct Transcode<'a> {
    pub input: &'a Path,
    pub output: &'a Path,
    pub height: u32,
    pub timeout: Duration,
}

impl Transcode<'_> {
    /// The exact argument list, writing to `output`. `run` uses the same list with the
    /// partial path (`partial_path`) as its last argument.
    pub fn args(&self) -> Vec<OsString> {
        self.args_to(self.output)
    }

    /// Where `run` writes before the output is complete; renamed to `output` on success.
    pub fn partial_path(&self) -> PathBuf {
        let mut path = self.output.as_os_str().to_owned();
        path.push(".partial");
        path.into()
    }

    fn args_to(&self, output: &Path) -> Vec<OsString> {
        let scale = format!("scale=-2:{}", self.height);
        let mut args: Vec<OsString> =
            ["-hide_banner", "-nostdin", "-y", "-loglevel", "error"].map(OsString::from).into();
        args.extend(INPUT_OPTIONS.map(OsString::from));
        args.extend(["-i".into(), file_url(self.input)]);
        // FLV holds one audio stream; 4:4:4 sources would give High 4:4:4, which players refuse.
        args.extend(
            ["-map", "0:v:0", "-map", "0:a:0?", "-c:v", "libx264", "-preset", "veryfast"]
                .into_iter()
                .chain(["-pix_fmt", "yuv420p", "-vf", &scale, "-c:a", "copy"])
                .chain(["-progress", "pipe:1", "-nostats", "-f", "flv"])
                .map(OsString::from),
        );
        args.push(file_url(output));
        args
    }

    /// Runs ffmpeg. `on_progress` gets each new whole percent of `source_duration` done,
    /// at most 99 while ffmpeg runs, and 100 once the output is in place. Nothing is left at
    /// `output` or the partial path unless this returns `Ok`, also when the future is dropped.
    pub async fn run(
        &self,
        source_duration: Duration,
        mut on_progress: impl FnMut(u8) + Send,
    ) -> Result<(), FfmpegError> {
        let partial = Partial { path: self.partial_path(), committed: false };
        let mut child = spawn("ffmpeg", &self.args_to(&partial.path))?;
        let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
        let (stdout, stderr) = stdout.zip(stderr).expect("both piped in spawn");
        let mut progress = Progress::new(source_duration);
        let ran = tokio::time::timeout(self.timeout, async {
            let (read, tail) = tokio::join!(read_progress(stdout, &mut progress, &mut on_progress), read_tail(stderr));
            read?;
            Ok::<_, std::io::Error>((child.wait().await?, tail?))
        })
        .await;
        let (status, tail) = match ran {
            Ok(Ok(done)) => done,
            Ok(Err(e)) => return Err(kill(child, e.into()).await),
            Err(_) => return Err(kill(child, FfmpegError::Timeout(self.timeout)).await),
        };
        if !status.success() {
            return Err(failed("ffmpeg", status, &tail));
        }
        partial.commit(self.output).await?;
        if let Some(percent) = progress.finish() {
            on_progress(percent);
        }
        Ok(())
    }
}

/// Kills and reaps ffmpeg before the partial file is removed, so nothing writes after.
async fn kill(mut child: Child, error: FfmpegError) -> FfmpegError {
    let _ = child.kill().await;
    error
}

/// The output while ffmpeg writes it. Dropped without `commit` (failure, timeout, or the
/// caller dropping `run`), it removes the file, so a half-written rendition never looks done.
struct Partial {
    path: PathBuf,
    committed: bool,
}

impl Partial {
    async fn commit(mut self, to: &Path) -> std::io::Result<()> {
        tokio::fs::rename(&self.path, to).await?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

async fn read_progress(
    stdout: ChildStdout,
    progress: &mut Progress,
    on_progress: &mut (impl FnMut(u8) + Send),
) -> std::io::Result<()> {
    let mut lines = BufReader::new(stdout);
    let mut line = Vec::new();
    while lines.read_until(b'\n', &mut line).await? > 0 {
        if let Some(percent) = progress.line(&String::from_utf8_lossy(&line)) {
            on_progress(percent);
        }
        line.clear();
    }
    Ok(())
}

/// Reads all of stderr (so ffmpeg never blocks on a full pipe), keeping the last bytes.
async fn read_tail(mut stderr: impl AsyncRead + Unpin) -> std::io::Result<Vec<u8>> {
    let (mut tail, mut chunk) = (Vec::new(), [0u8; 4096]);
    loop {
        let n = stderr.read(&mut chunk).await?;
        if n == 0 {
            return Ok(tail);
        }
        tail.extend_from_slice(&chunk[..n]);
        let excess = tail.len().saturating_sub(STDERR_TAIL);
        tail.drain(..excess);
    }
}

fn spawn(tool: &'static str, args: &[OsString]) -> Result<Child, FfmpegError> {
    Command::new(tool)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => FfmpegError::NotInstalled(tool),
            _ => FfmpegError::Io(e),
        })
}

fn failed(tool: &'static str, status: ExitStatus, stderr: &[u8]) -> FfmpegError {
    let start = stderr.len().saturating_sub(STDERR_TAIL);
    let stderr_tail = String::from_utf8_lossy(&stderr[start..]).trim().to_owned();
    if let Some(format) = refused_format(&stderr_tail) {
        return FfmpegError::FormatRefused { format };
    }
    FfmpegError::Failed { tool, status, stderr_tail }
}

fn file_url(path: &Path) -> OsString {
    let mut url = OsString::from("file:");
    url.push(path);
    url
}

#[cfg(test)]
mod tests;
