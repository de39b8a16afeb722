//! Progress bars where a person waits (indicatif): `demo`, `bench`, `purge-legacy`, `node
//! scan`, a push host's start-up scan and `book --wait`. They draw on stderr and only when it is
//! a terminal, so a pipe, a log file, honcho or a test reads the plain lines alone. What a
//! command prints for the record goes through [`Bars::line`], above the bars; log lines go
//! through [`log_writer`], above them too.

use std::{io, sync::OnceLock, time::Duration};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

const TICK: Duration = Duration::from_millis(120);
/// A bar over bytes once their total is known ([`show_bytes`]); a spinner until then, since an
/// empty total would draw as a full bar.
const BYTES: &str = "{prefix:.bold} [{bar:30.cyan/blue}] {bytes}/{total_bytes} {msg}";
const SPINNER: &str = "{spinner} {prefix:.bold} {msg} ({elapsed})";

/// Bars drawn together: every `Bars::new` shares the process's one screen of bars, so that
/// bars made by different parts of a command stack up, and a log line can be written above all
/// of them.
#[derive(Clone)]
pub struct Bars(MultiProgress);

/// The process's bars, on stderr (hidden when it is not a terminal).
fn screen() -> &'static MultiProgress {
    static SCREEN: OnceLock<MultiProgress> = OnceLock::new();
    SCREEN.get_or_init(MultiProgress::new)
}

/// tracing's writer: stderr, the bars lifted while a log line is written. Written among them,
/// the line takes rows the bars think are theirs, and their next draw leaves a stale copy of a
/// bar stranded on the screen.
pub fn log_writer() -> AboveBars<'static, io::Stderr> {
    AboveBars { bars: screen(), out: io::stderr() }
}

pub struct AboveBars<'a, W> {
    bars: &'a MultiProgress,
    out: W,
}

impl<W: io::Write> io::Write for AboveBars<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let out = &mut self.out;
        self.bars.suspend(|| out.write(buf))
    }

    // tracing writes each event whole with one write_all: the bars are lifted once per line.
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let out = &mut self.out;
        self.bars.suspend(|| out.write_all(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl Default for Bars {
    fn default() -> Self {
        Self::new()
    }
}

impl Bars {
    pub fn new() -> Self {
        Self(screen().clone())
    }

    /// Prints a line of the command's output on stdout, above the bars (bars hidden: as is).
    pub fn line(&self, text: impl AsRef<str>) {
        self.0.suspend(|| println!("{}", text.as_ref()));
    }

    /// A bar over bytes (a download): a spinner until [`show_bytes`] gives it a total.
    pub fn bytes(&self, prefix: impl Into<String>) -> ProgressBar {
        self.add(ProgressBar::no_length(), SPINNER, prefix)
    }

    /// A bar over a count of steps (runs, videos, percent).
    pub fn steps(&self, len: u64, prefix: impl Into<String>) -> ProgressBar {
        self.add(ProgressBar::new(len), "{prefix:.bold} [{bar:30.cyan/blue}] {pos}/{len} {elapsed} {msg}", prefix)
    }

    /// A bar over a known time (an idle measurement), filled by the clock.
    pub fn timed(&self, length: Duration, prefix: impl Into<String>) -> ProgressBar {
        let bar = self.add(
            ProgressBar::new(length.as_secs().max(1)),
            "{prefix:.bold} [{bar:30.cyan/blue}] {pos}/{len} s {msg}",
            prefix,
        );
        let clock = bar.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(1));
            every.tick().await;
            while !clock.is_finished() && clock.position() < clock.length().unwrap_or(0) {
                every.tick().await;
                clock.inc(1);
            }
        });
        bar
    }

    /// A spinner for work of unknown length, its count in the message.
    pub fn spinner(&self, prefix: impl Into<String>) -> ProgressBar {
        self.add(ProgressBar::new_spinner(), SPINNER, prefix)
    }

    fn add(&self, bar: ProgressBar, template: &str, prefix: impl Into<String>) -> ProgressBar {
        let bar = self.0.add(bar.with_style(style(template)).with_prefix(prefix.into()));
        bar.enable_steady_tick(TICK);
        bar
    }
}

/// Shows `done` of `total` bytes on a bar made by [`Bars::bytes`] (a total of 0: not known yet).
pub fn show_bytes(bar: &ProgressBar, done: u64, total: u64) {
    if total == 0 {
        return;
    }
    if bar.length().is_none() {
        bar.set_style(style(BYTES));
    }
    bar.set_length(total.max(done));
    bar.set_position(done);
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).expect("a valid template").progress_chars("=> ")
}

/// A spinner alone, for a tool that shows one thing at a time.
pub fn spinner(prefix: impl Into<String>) -> ProgressBar {
    Bars::new().spinner(prefix)
}

#[cfg(test)]
mod tests;
