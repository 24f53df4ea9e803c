//! Writing outputs: through a temporary file in the target's folder, then a rename.
//!
//! - Readers never see a partial file, and a failure leaves nothing behind.
//! - A new file gets the mode the umask gives (`0666 & !umask`); `--force` over an existing
//!   regular file keeps that file's mode. A symbolic link at the target is replaced, never
//!   followed.
//! - Temporary files are named `.engross-<pid>-XXXXXX` and registered while they exist, so
//!   SIGINT/SIGTERM remove them (see `signals`); after a SIGKILL, the next process's first
//!   write in that folder removes those of processes that no longer run, owned by the same user.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context as _;
use tempfile::NamedTempFile;

use crate::Error;

/// The temporary files that exist now, for the signal handler to remove.
pub(super) static TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The prefix of every temporary file (`.engross-<pid>-`).
const PREFIX: &str = ".engross-";

/// A finished temporary file waiting to be put in place.
pub struct Staged {
    tmp: NamedTempFile,
    target: PathBuf,
}

fn registry() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    // A panic while holding the lock leaves a list that is still right.
    TEMPS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn forget(path: &Path) {
    registry().retain(|p| p != path);
}

/// Write `bytes` to a new temporary file beside `target`, with the mode `target` will have.
pub fn stage(target: &Path, bytes: &[u8], force: bool) -> anyhow::Result<Staged> {
    super::signals::install();
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut builder = tempfile::Builder::new();
    let prefix = format!("{PREFIX}{}-", std::process::id());
    builder.prefix(&prefix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Created with 0666: the kernel applies the umask, as for any new file.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let tmp = {
        // Registered under the lock it was created under: a signal between the two cannot
        // leave it behind.
        let mut temps = registry();
        let tmp = builder
            .tempfile_in(&dir)
            .with_context(|| format!("cannot write in {}", dir.display()))?;
        temps.push(tmp.path().to_path_buf());
        tmp
    };
    let staged = Staged {
        tmp,
        target: target.to_path_buf(),
    };
    let written = (|| -> anyhow::Result<()> {
        // Once per folder and process: a roster writes thousands of files into one folder,
        // and reading it before each made the run quadratic in the rows.
        if first_write_in(&dir) {
            remove_stale(&dir, staged.tmp.path());
        }
        if force && let Ok(old) = std::fs::symlink_metadata(target) {
            // Overwriting a regular file keeps its mode; a link is replaced by a new file.
            if old.file_type().is_file() {
                std::fs::set_permissions(staged.tmp.path(), old.permissions())?;
            }
        }
        let mut file = staged.tmp.as_file();
        file.write_all(bytes)?;
        file.sync_all()?;
        stall();
        Ok(())
    })();
    match written {
        Ok(()) => Ok(staged),
        Err(e) => {
            discard(staged);
            Err(e.context(format!("cannot write {}", target.display())))
        }
    }
}

/// For the signal tests only: with `ENGROSS_TEST_STALL_MS` set, wait that long after a
/// temporary file is written and before it is renamed, so a test can signal the process while a
/// temporary file exists.
fn stall() {
    if let Some(ms) = std::env::var_os("ENGROSS_TEST_STALL_MS")
        .and_then(|v| v.to_str().and_then(|s| s.parse::<u64>().ok()))
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

/// Remove a staged file without putting it in place.
pub fn discard(staged: Staged) {
    let path = staged.tmp.path().to_path_buf();
    drop(staged);
    forget(&path);
}

/// Put a staged file in place: replace the target with `force`, else fail if it exists.
pub fn commit(staged: Staged, force: bool) -> anyhow::Result<()> {
    let Staged { tmp, target } = staged;
    let path = tmp.path().to_path_buf();
    let persisted = if force {
        tmp.persist(&target).map(|_| ())
    } else {
        tmp.persist_noclobber(&target).map(|_| ())
    };
    // Renamed, or removed when the rename failed (the error drops the temporary file).
    let result = persisted.map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::Error::from(Error::OutputExists {
                path: target.clone(),
            })
        } else {
            anyhow::Error::from(Error::Io {
                action: "write",
                path: target.clone(),
                source: e.error,
            })
        }
    });
    forget(&path);
    result
}

/// Whether this process has not written in `dir` before (and now has).
fn first_write_in(dir: &Path) -> bool {
    static SWEPT: Mutex<std::collections::BTreeSet<PathBuf>> =
        Mutex::new(std::collections::BTreeSet::new());
    SWEPT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(dir.to_path_buf())
}

/// Remove temporary files left in `dir` by engross processes that no longer run (killed with
/// SIGKILL, or by a power cut), when they belong to the same user as `ours`. Best effort: a
/// file that cannot be checked or removed stays.
fn remove_stale(dir: &Path, ours: &Path) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        let Ok(me) = std::fs::metadata(ours) else {
            return;
        };
        if !Path::new("/proc/self").exists() {
            return;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let own = std::process::id();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(pid) = name
                .to_str()
                .and_then(|n| n.strip_prefix(PREFIX))
                .and_then(|rest| rest.split_once('-'))
                .and_then(|(pid, _)| pid.parse::<u32>().ok())
            else {
                continue;
            };
            if pid == own || Path::new("/proc").join(pid.to_string()).exists() {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            if meta.file_type().is_file() && meta.uid() == me.uid() {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (dir, ours);
}
