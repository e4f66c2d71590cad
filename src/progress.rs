//! The one place progress bars are made.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{
    HumanCount, HumanDuration, ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle,
};

/// A run expected to take longer than this says so when no bar is drawn.
const LONG_RUN: Duration = Duration::from_secs(5);
/// How long a run goes before its pace is trusted for an estimate.
const FIRST_BATCH: Duration = Duration::from_secs(1);

/// A progress bar on stderr with an ETA, hidden when stderr is not a
/// terminal (CI logs, pipes) or when the user asked for quiet. A bar
/// dropped unfinished (an error, Ctrl-C) clears its line, so the terminal
/// is left clean for the message that follows. Without a terminal, a run
/// that will take more than a few seconds says once, after its first
/// second of trials, how long it will take, so a CI log shows why a step
/// is slow before it ends.
pub fn bar(total: u64, message: &str, visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    if !std::io::stderr().is_terminal() {
        let bar = ProgressBar::hidden();
        bar.set_length(total);
        announce_estimate(&bar, message.to_string());
        return bar;
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
        .with_finish(ProgressFinish::AndClear);
    let style = ProgressStyle::with_template(
        "{msg} [{bar:30}] {human_pos}/{human_len} trials · {per_sec} · ETA {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(message.to_string());
    bar
}

/// Watches `bar` from a thread of its own (the simulation is not slowed
/// or changed) and prints the estimate once the first trials are done.
fn announce_estimate(bar: &ProgressBar, name: String) {
    let weak = bar.downgrade();
    let start = Instant::now();
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(100));
            let Some(bar) = weak.upgrade() else { return };
            let (done, total) = (bar.position(), bar.length().unwrap_or(0));
            if bar.is_finished() || done >= total {
                return;
            }
            let elapsed = start.elapsed();
            if done == 0 || elapsed < FIRST_BATCH {
                continue;
            }
            if let Some(left) = remaining(elapsed, done, total).filter(|d| *d > LONG_RUN) {
                eprintln!(
                    "racesim: {name}: {} trials, about {} to go ({} done in {}; Ctrl-C stops it)",
                    HumanCount(total),
                    HumanDuration(left),
                    HumanCount(done),
                    HumanDuration(elapsed)
                );
            }
            return;
        }
    });
}

/// Time left at the pace so far.
fn remaining(elapsed: Duration, done: u64, total: u64) -> Option<Duration> {
    let per_trial = elapsed.as_secs_f64() / done as f64;
    Duration::try_from_secs_f64(per_trial * total.saturating_sub(done) as f64).ok()
}
