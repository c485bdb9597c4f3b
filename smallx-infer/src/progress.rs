//! Progress bars, shown only on a terminal.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    every: u64,
}

impl Progress {
    /// A bar over `total` units, if `show` and standard error is a terminal.
    pub(crate) fn new(total: usize, label: &str, show: bool) -> Self {
        let bar = (show && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(total as u64);
            let style = ProgressStyle::with_template(
                "{prefix} {bar:30} {pos}/{len} [{elapsed_precise}<{eta_precise}, {per_sec}] {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_prefix(label.to_string());
            bar
        });
        Progress {
            bar,
            every: (total as u64 / 200).max(1),
        }
    }

    /// Advance by one; `message` is computed only when the bar is redrawn.
    pub(crate) fn tick(&self, message: impl FnOnce() -> String) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
            if bar.position() % self.every == 0 {
                bar.set_message(message());
            }
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}
