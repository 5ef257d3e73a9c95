//! The progress line of long commands on stderr: replicates done, their
//! rate and, when the total is known, the time left. It appears only after a
//! second, so that quick runs (and tests) print nothing.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

pub struct Progress {
    bar: ProgressBar,
    started: Instant,
    shown: AtomicBool,
    quiet: bool,
}

impl Progress {
    /// A bar towards `total` replicates, or a counter when the total is not
    /// known in advance (`spcap replications`). `quiet` shows nothing.
    pub fn new(total: Option<u64>, quiet: bool) -> Progress {
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::hidden());
        let template = if total.is_some() {
            "{bar:40} {pos}/{len} replicates, {rate} replicates/s, {eta} left"
        } else {
            "{pos} replicates, {rate} replicates/s, {elapsed} so far"
        };
        let style = ProgressStyle::with_template(template)
            .map(|style| {
                style.with_key(
                    "rate",
                    |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.0}", state.per_sec());
                    },
                )
            })
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        Progress {
            bar,
            started: Instant::now(),
            shown: AtomicBool::new(false),
            quiet,
        }
    }

    /// One more replicate done (called from the worker threads).
    pub fn tick(&self) {
        if !self.quiet
            && !self.shown.load(Ordering::Relaxed)
            && self.started.elapsed().as_secs_f64() > 1.0
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        self.bar.inc(1);
    }

    /// Clears the line, so that the results print on a clean terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
