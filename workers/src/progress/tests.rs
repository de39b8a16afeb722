//! Where a log line lands beside the bars, on a terminal in memory (vt100).

use std::io::Write;

use indicatif::{InMemoryTerm, MultiProgress, ProgressDrawTarget, TermLike};

use super::*;

/// The terminal's side of a write to stderr: a tty turns "\n" into "\r\n" (onlcr).
struct Tty(InMemoryTerm);

impl io::Write for Tty {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write_str(&String::from_utf8_lossy(buf).replace('\n', "\r\n"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

const LOG: &str = "WARN a file under VIDEO_ROOT matches no layout; left alone\n";

#[test]
fn log_lines_go_above_a_spinner_and_leave_no_stale_copy_of_it() {
    let term = InMemoryTerm::new(12, 100);
    let multi = MultiProgress::with_draw_target(ProgressDrawTarget::term_like(Box::new(term.clone())));
    let spinner = Bars(multi.clone()).spinner("scanning /srv/video");
    spinner.set_message("12 files");
    spinner.tick();

    for _ in 0..2 {
        AboveBars { bars: &multi, out: Tty(term.clone()) }.write_all(LOG.as_bytes()).unwrap();
    }
    spinner.tick();

    let screen = term.contents();
    let lines: Vec<&str> = screen.lines().collect();
    assert_eq!(lines.iter().filter(|l| l.contains("scanning")).count(), 1, "one spinner on the screen:\n{screen}");
    assert!(lines.len() == 3 && lines[..2].iter().all(|l| l.starts_with("WARN")), "a row per log line:\n{screen}");
    assert!(lines[2].contains("scanning /srv/video 12 files"), "the spinner below them:\n{screen}");
    spinner.finish_and_clear();
}
