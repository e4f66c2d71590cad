//! Reading input files within limits: a scenario, plans, baseline or data
//! file is read only when it is a file (or a pipe) and at most
//! [`MAX_INPUT_BYTES`] long, so `/dev/zero`, a directory or a mistaken
//! multi-gigabyte file is refused at once with a clear reason instead of
//! being read forever or exhausting memory.

use std::fmt;
use std::io::Read;
use std::path::Path;

/// The largest input file racesim reads: far beyond any real scenario
/// (the shipped ones are a few kilobytes; 10,000 channels take about 1 MB).
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// Why an input file was not read.
#[derive(Debug)]
pub enum ReadError {
    Io(std::io::Error),
    Directory,
    /// A character or block device (`/dev/zero`), a socket.
    NotAFile,
    TooLarge,
}

impl ReadError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io(e) if e.kind() == std::io::ErrorKind::NotFound)
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::Directory => write!(f, "it is a directory, not a file"),
            ReadError::NotAFile => write!(f, "it is a device or socket, not a file"),
            ReadError::TooLarge => write!(
                f,
                "it is larger than {} MiB, the most racesim reads from one input file",
                MAX_INPUT_BYTES >> 20
            ),
        }
    }
}

/// Whether `path` may be read as an input: a regular file (or a pipe, as
/// from `<(command)`) within the size limit.
pub fn check(path: &Path) -> Result<(), ReadError> {
    let meta = std::fs::metadata(path).map_err(ReadError::Io)?;
    if meta.is_dir() {
        return Err(ReadError::Directory);
    }
    if !meta.is_file() && !is_fifo(&meta) {
        return Err(ReadError::NotAFile);
    }
    if meta.len() > MAX_INPUT_BYTES {
        return Err(ReadError::TooLarge);
    }
    Ok(())
}

/// The bytes of the input file `path`, refused as [`check`] says; a pipe
/// is read up to the limit.
pub fn read(path: &Path) -> Result<Vec<u8>, ReadError> {
    check(path)?;
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let mut bytes = Vec::new();
    file.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(ReadError::TooLarge);
    }
    Ok(bytes)
}

#[cfg(unix)]
fn is_fifo(meta: &std::fs::Metadata) -> bool {
    std::os::unix::fs::FileTypeExt::is_fifo(&meta.file_type())
}

#[cfg(not(unix))]
fn is_fifo(_: &std::fs::Metadata) -> bool {
    false
}
