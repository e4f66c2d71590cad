//! Ctrl-C (SIGINT): stop cleanly and say how far the run got.
//!
//! While a guarded simulation runs (`Listening` alive), the first Ctrl-C
//! only raises a flag: the driver stops after the blocks in flight, the
//! command returns `Halt::Interrupted` ("interrupted after N of M
//! trials"), progress bars clear themselves as they are dropped, and
//! nothing is written, since every output is written after the simulation
//! and atomically. Anywhere else, and at a second Ctrl-C, racesim clears
//! the terminal's line and exits at once with 130 (128 + SIGINT, as
//! shells report it); an output being written then is left as it was,
//! since writes go through a temporary file and a rename.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The exit code of an interrupted command.
pub const EXIT_INTERRUPTED: i32 = 130;

static REQUESTED: AtomicBool = AtomicBool::new(false);
static LISTENERS: AtomicUsize = AtomicUsize::new(0);

/// Installs the handler; call once, from `main`. Without it (in tests and
/// as a library) Ctrl-C keeps its default meaning.
pub fn install() {
    // Failing to install leaves the default behaviour, which is safe.
    let _ = ctrlc::set_handler(|| {
        let first = !REQUESTED.swap(true, Ordering::SeqCst);
        if first && LISTENERS.load(Ordering::SeqCst) > 0 {
            return;
        }
        let mut err = std::io::stderr().lock();
        if std::io::stderr().is_terminal() {
            // Clear the progress bar's line.
            let _ = write!(err, "\r\x1b[2K");
        }
        let _ = writeln!(err, "racesim: interrupted; no output was written");
        let _ = err.flush();
        std::process::exit(EXIT_INTERRUPTED);
    });
}

/// Whether Ctrl-C was pressed.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// While alive, Ctrl-C asks the simulation to stop instead of exiting.
pub struct Listening(());

impl Listening {
    pub fn start() -> Listening {
        LISTENERS.fetch_add(1, Ordering::SeqCst);
        Listening(())
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        LISTENERS.fetch_sub(1, Ordering::SeqCst);
    }
}
