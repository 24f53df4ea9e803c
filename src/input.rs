//! Reading untrusted input files safely: only regular files, never more than a limit.
//!
//! A FIFO, a device such as `/dev/zero` or a socket may never end (or never start: opening a
//! FIFO blocks until a writer comes), so engross opens without blocking, checks the opened
//! file's type, and reads at most `limit + 1` bytes to tell "at the limit" from "over it".
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// The largest text or PDF input to `diff` and `redline`, in bytes (64 MiB).
pub const MAX_COMPARE_BYTES: u64 = 64 << 20;

/// What a non-regular file is, for messages.
fn kind_of(ty: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ty.is_fifo() {
            return "a FIFO";
        }
        if ty.is_char_device() || ty.is_block_device() {
            return "a device";
        }
        if ty.is_socket() {
            return "a socket";
        }
    }
    if ty.is_dir() {
        "a folder"
    } else if ty.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

/// Open a file for reading without blocking on a FIFO, and check that it is a regular file.
pub fn open_regular(path: &Path) -> Result<File> {
    let io = |source| Error::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer. It does
        // nothing to reads of a regular file, the only kind read below.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(io)?;
    let ty = file.metadata().map_err(io)?.file_type();
    if !ty.is_file() {
        return Err(Error::NotAFile {
            path: path.to_path_buf(),
            kind: kind_of(ty),
        });
    }
    Ok(file)
}

/// Read a whole regular file of at most `limit` bytes. `what` names the kind of input in the
/// error (`a data file`).
pub fn read_bytes(path: &Path, limit: u64, what: &'static str) -> Result<Vec<u8>> {
    let file = open_regular(path)?;
    // Room for the whole file at once (a read through `take` has no size hint): growing the
    // buffer by doubling copied it and touched twice its memory.
    let size = file.metadata().map_or(0, |m| m.len()).min(limit);
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| Error::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > limit {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            what,
            limit,
        });
    }
    Ok(bytes)
}

/// Read a whole regular UTF-8 text file of at most `limit` bytes; invalid UTF-8 is an error
/// naming the line and column of the first bad byte.
pub fn read_text(path: &Path, limit: u64, what: &'static str) -> Result<String> {
    let bytes = read_bytes(path, limit, what)?;
    String::from_utf8(bytes).map_err(|e| {
        let good = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let before = std::str::from_utf8(bytes.get(..good).unwrap_or_default()).unwrap_or("");
        let (line, column) = crate::error::line_column(before, good);
        Error::Io {
            action: "read",
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not UTF-8 text: invalid byte at line {line}, column {column}"),
            ),
        }
    })
}
