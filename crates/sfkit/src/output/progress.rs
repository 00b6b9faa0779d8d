//! Query progress on stderr: records so far and their rate, only when stderr is a terminal.

use std::io::IsTerminal as _;

/// Records past this many are a second page (Salesforce's default page size): a query that
/// fits one page is over before progress would help.
const FIRST_PAGE: u64 = 2_000;

/// Records so far and their rate, on stderr, past the first page, and only when stderr is a
/// terminal: a program reading stderr sees no progress noise.
pub(crate) struct Progress {
    enabled: bool,
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    pub(crate) fn new() -> Self {
        Progress {
            enabled: std::io::stderr().is_terminal(),
            bar: None,
        }
    }

    /// `n` records so far.
    pub(crate) fn set(&mut self, n: u64) {
        if !self.enabled || n <= FIRST_PAGE {
            return;
        }
        match &self.bar {
            // The bar redraws at most 20 times a second anyway: no need to tell it every record.
            Some(bar) => {
                if n.is_multiple_of(256) {
                    bar.set_position(n);
                }
            }
            None => {
                let bar = indicatif::ProgressBar::new_spinner();
                if let Ok(style) = indicatif::ProgressStyle::with_template(
                    "{spinner} {human_pos} records ({per_sec:0}, {elapsed})",
                ) {
                    bar.set_style(style);
                }
                bar.set_position(n);
                // Keeps it moving while a slow page is on its way.
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
                self.bar = Some(bar);
            }
        }
    }

    /// Takes the bar off the screen (before a table is printed, or at the end).
    pub(crate) fn clear(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
