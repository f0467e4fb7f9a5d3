//! What guards a running `train`: the lock on its run folder, and the stop on Ctrl-C or SIGTERM.

use std::path::Path;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;

use burn_gan::train::{latest_checkpoint, StopFlag};
use burn_gan::Error;

use super::{invalid, CliResult};

/// Holds the run folder for this process: an advisory lock on `<run>/.lock`, which the operating
/// system releases when the process ends however it ends, so a killed run leaves no stale lock.
/// A second `train` on the same folder gets one line instead of interleaving its checkpoints and
/// `metrics.jsonl` with the first's.
pub(super) fn lock_run_folder(out: &Path) -> CliResult<std::fs::File> {
    let path = out.join(".lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(invalid(format!(
            "{} is in use by another `burn-gan train`; wait for it to end, or choose another --out",
            out.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io(&path, e)),
    }
}

/// How a Ctrl-C (SIGINT) or SIGTERM reaches training: the stop request and the signal.
#[derive(Clone, Default)]
pub(super) struct Stop {
    pub(super) flag: StopFlag,
    pub(super) signal: Arc<AtomicI32>,
}

impl Stop {
    /// The signal's name in messages.
    pub(super) fn name(&self) -> &'static str {
        signal_name(self.signal.load(Ordering::SeqCst))
    }
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        2 => "Ctrl-C",
        15 => "SIGTERM",
        _ => "a signal",
    }
}

/// Ctrl-C (SIGINT) or SIGTERM during training: the first asks training to stop after the step
/// under way and write a checkpoint there (see [`Train`]); a second stops at once, with one line
/// saying which checkpoint the run folder keeps, and exit status 128 + the signal. Checkpoint
/// files are written through a rename and numbered apart, so a stop in the middle of one leaves
/// the previous set whole.
#[cfg(unix)]
pub(super) fn stop_on_signals(out: &Path) -> Stop {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let stop = Stop::default();
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return stop; // Without a handler, a signal stops the program as it always does.
    };
    let out = out.to_path_buf();
    let handle = stop.clone();
    std::thread::spawn(move || {
        for signal in signals.forever() {
            let name = signal_name(signal);
            if !handle.flag.requested() {
                handle.signal.store(signal, Ordering::SeqCst);
                handle.flag.request();
                eprintln!(
                    "{name}: stopping after this step with a checkpoint there; {name} again stops at once"
                );
                continue;
            }
            let kept = match latest_checkpoint(&out) {
                Some(_) => format!(
                    "{} keeps its newest checkpoint; continue with `burn-gan train --resume --out {}`",
                    out.display(),
                    out.display()
                ),
                None => format!(
                    "{} has no checkpoint yet; start again with another --out, or delete it",
                    out.display()
                ),
            };
            eprintln!("error: training stopped by {name}: {kept}");
            std::process::exit(128 + signal);
        }
    });
    stop
}

#[cfg(not(unix))]
pub(super) fn stop_on_signals(_out: &Path) -> Stop {
    Stop::default()
}
