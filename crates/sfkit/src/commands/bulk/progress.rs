//! Progress on stderr for loads and exports, drawn only when stderr is a terminal.

use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sfkit_client::LoadProgress;

/// Progress on stderr when it is a terminal; nothing otherwise.
#[derive(Clone)]
pub(super) struct Bar(Option<ProgressBar>);

impl Bar {
    pub(super) fn new(rows: u64) -> Self {
        Self::styled(
            Some(rows),
            "{spinner} {msg:<14} [{bar:30}] {human_pos}/{human_len} rows {prefix} ({elapsed})",
            ("uploading", "uploaded"),
        )
    }

    pub(super) fn counter() -> Self {
        Self::styled(
            None,
            "{spinner} {human_pos} rows exported ({rate}, {elapsed})",
            ("", ""),
        )
    }

    fn styled(len: Option<u64>, template: &str, (what, counted): (&str, &'static str)) -> Self {
        if !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        // Drawn only once set up: each setting draws a frame.
        let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::hidden());
        bar.set_message(what.to_owned());
        bar.set_prefix(counted);
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> ").with_key(
                "rate",
                |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0}/s", s.per_sec());
                },
            ));
        }
        bar.set_draw_target(ProgressDrawTarget::stderr());
        // The spinner and clock move between status checks, which can be seconds apart.
        bar.enable_steady_tick(Duration::from_millis(120));
        Bar(Some(bar))
    }

    /// What is going on (`uploading`, the job's state), and what the count is of.
    fn phase(&self, what: &str, counted: &'static str) {
        if let Some(bar) = &self.0 {
            bar.set_message(what.to_owned());
            bar.set_prefix(counted);
        }
    }

    pub(super) fn load_progress(&self, p: &LoadProgress) {
        let Some(bar) = &self.0 else { return };
        match p {
            LoadProgress::Uploaded { rows, total } => {
                bar.set_length(*total);
                bar.set_position(*rows);
            }
            LoadProgress::Status {
                state,
                processed,
                total,
                ..
            } => {
                bar.set_length(*total);
                bar.set_position(*processed);
                self.phase(state, "processed");
            }
            _ => {}
        }
    }

    pub(super) fn set(&self, n: u64) {
        if let Some(bar) = &self.0 {
            bar.set_position(n);
        }
    }

    pub(super) fn clear(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
