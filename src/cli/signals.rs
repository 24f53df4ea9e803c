//! SIGINT and SIGTERM: remove the temporary files being written, then exit 130 or 143 (128 plus
//! the signal's number), as a shell expects. Only outputs already renamed into place survive,
//! and those are whole.
// No panic reachable from input (issue 10): no unchecked indexing or arithmetic here; each
// `allow` below says why it is safe.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

/// Start the thread that waits for the signals, once, before the first temporary file is
/// made: a command that writes no file (a diff to standard output) starts no thread and keeps
/// the default action, which leaves nothing behind.
pub(super) fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(start);
}

fn start() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
            // Without the handler, the default action still stops engross; only temporary
            // files may be left, and the next run in that folder removes them.
            return;
        };
        let spawned = std::thread::Builder::new()
            .name("engross-signals".into())
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    let temps = super::files::TEMPS
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    for path in temps.iter() {
                        let _ = std::fs::remove_file(path);
                    }
                    std::process::exit(128_i32.saturating_add(signal));
                }
            });
        drop(spawned);
    }
}
