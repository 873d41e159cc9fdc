//! Ctrl-C and SIGTERM: a flag the sweep polls, so it can stop its children first.

use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::OnceLock;

use super::RunError;

static SIGNALS: AtomicUsize = AtomicUsize::new(0);
static LAST_SIGNAL: AtomicI32 = AtomicI32::new(0);

/// From now on SIGINT and SIGTERM only set a flag the runner polls, so it can stop its
/// children (which sit in their own process groups and do not see a terminal's Ctrl-C).
/// Called by the commands, never by the library on its own.
pub fn install_signal_handlers() -> Result<(), RunError> {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            use signal_hook::consts::{SIGINT, SIGTERM};
            let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
                .map_err(|e| format!("cannot install signal handlers: {e}"))?;
            std::thread::spawn(move || {
                for sig in signals.forever() {
                    LAST_SIGNAL.store(sig, Ordering::SeqCst);
                    SIGNALS.fetch_add(1, Ordering::SeqCst);
                }
            });
            Ok(())
        })
        .clone()
        .map_err(RunError::Other)
}

/// A SIGINT or SIGTERM arrived.
pub fn interrupted() -> bool {
    SIGNALS.load(Ordering::SeqCst) > 0
}

/// A second one arrived: skip grace periods.
pub fn hurry() -> bool {
    SIGNALS.load(Ordering::SeqCst) > 1
}

pub fn last_signal() -> i32 {
    LAST_SIGNAL.load(Ordering::SeqCst)
}
