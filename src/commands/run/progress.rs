//! A progress bar with ETA on a terminal, plain lines on stderr otherwise.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A progress bar with ETA on a terminal; plain lines on stderr otherwise (CI logs).
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new(total: usize) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total as u64);
            if let Ok(style) = ProgressStyle::with_template(
                "{bar:30.cyan/blue} {pos}/{len} points  {elapsed_precise} (ETA {eta})  {msg}",
            ) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(500));
            bar
        });
        Progress { bar }
    }

    /// A line above the bar (or on its own without one).
    pub fn say(&self, line: &str) {
        match &self.bar {
            Some(b) => b.println(line),
            None => eprintln!("{line}"),
        }
    }

    pub(super) fn begin(&self, n: usize, total: usize, name: &str) {
        match &self.bar {
            Some(b) => b.set_message(name.to_string()),
            None => eprintln!("[{n}/{total}] {name}: running"),
        }
    }

    pub(super) fn end(&self, n: usize, total: usize, name: &str, what: &str) {
        self.say(&format!("[{n}/{total}] {name}: {what}"));
    }

    /// One point is done with, however it ended (a retried attempt is not).
    pub(super) fn advance(&self) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }

    pub(super) fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
