//! Writing results: whole or not at all.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

/// Writes `bytes` to `path` via a temporary file in the same directory and
/// a rename, so readers see either the old file or the complete new one,
/// and a failure never clobbers earlier results.
///
/// What "the file" is follows the user: a symbolic link is followed, so the
/// link stays and the file it names is replaced; something that is not a
/// regular file (a pipe, `/dev/stdout`, a terminal) is written to in place,
/// since it cannot be replaced and holds no earlier result to protect.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    match destination(path)? {
        Destination::InPlace => std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|mut f| f.write_all(bytes).and_then(|_| f.flush()))
            .with_context(|| format!("cannot write {}", path.display())),
        Destination::Replace { path, permissions } => {
            let tmp = write_temporary(&path, bytes, permissions)?;
            tmp.persist(&path)
                .with_context(|| format!("cannot replace {}", path.display()))?;
            Ok(())
        }
    }
}

/// Where `write_atomic` puts a file's bytes.
enum Destination {
    /// Not a regular file (a pipe, a terminal): written to as it is.
    InPlace,
    /// A regular file, replaced by a rename; `path` with links followed.
    Replace {
        path: std::path::PathBuf,
        permissions: Option<std::fs::Permissions>,
    },
}

fn destination(path: &Path) -> Result<Destination> {
    // `metadata` follows links: this is what the path finally names.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        return Ok(Destination::InPlace);
    }
    if path.is_dir() {
        anyhow::bail!("cannot write {}: it is a directory", path.display());
    }
    let linked = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    let target = if linked {
        // A dangling link names the file to create.
        std::fs::canonicalize(path).ok().or_else(|| {
            let to = std::fs::read_link(path).ok()?;
            Some(path.parent().map_or(to.clone(), |dir| dir.join(&to)))
        })
    } else {
        None
    };
    let path = target.as_deref().unwrap_or(path);
    // A replaced file keeps its permissions.
    let permissions = std::fs::metadata(path).ok().map(|m| m.permissions());
    // A rename would replace a read-only file silently (only the directory's
    // permissions matter to it); the shell's `>` refuses, and so do we.
    if permissions.as_ref().is_some_and(|p| p.readonly()) {
        anyhow::bail!(
            "cannot write {}: the file is read-only, so racesim leaves it as it is (like the shell's `>`); make it writable (chmod u+w) or write to another file",
            path.display()
        );
    }
    Ok(Destination::Replace {
        path: path.to_path_buf(),
        permissions,
    })
}

/// A file written piece by piece (`Write`) and put in place by `commit`
/// exactly as `write_atomic` puts its bytes: for outputs too large to hold
/// in memory. Dropped without `commit`, it leaves the old file as it was.
pub struct AtomicFile {
    path: std::path::PathBuf,
    file: Open,
}

enum Open {
    InPlace(std::fs::File),
    Temporary(tempfile::NamedTempFile, Option<std::fs::Permissions>),
}

impl AtomicFile {
    pub fn create(path: &Path) -> Result<AtomicFile> {
        let (path, file) = match destination(path)? {
            Destination::InPlace => (
                path.to_path_buf(),
                Open::InPlace(
                    std::fs::OpenOptions::new()
                        .write(true)
                        .open(path)
                        .with_context(|| format!("cannot write {}", path.display()))?,
                ),
            ),
            Destination::Replace { path, permissions } => {
                let tmp = write_temporary(&path, &[], None)?;
                (path, Open::Temporary(tmp, permissions))
            }
        };
        Ok(AtomicFile { path, file })
    }

    pub fn commit(self) -> Result<()> {
        let path = self.path;
        match self.file {
            Open::InPlace(mut f) => f
                .flush()
                .with_context(|| format!("cannot write {}", path.display())),
            Open::Temporary(tmp, permissions) => {
                tmp.as_file()
                    .sync_all()
                    .with_context(|| format!("cannot write {}", path.display()))?;
                if let Some(p) = permissions {
                    tmp.as_file().set_permissions(p).with_context(|| {
                        format!("cannot set the permissions of {}", path.display())
                    })?;
                }
                tmp.persist(&path)
                    .with_context(|| format!("cannot replace {}", path.display()))?;
                Ok(())
            }
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.file {
            Open::InPlace(f) => f.write(buf),
            Open::Temporary(t, _) => t.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.file {
            Open::InPlace(f) => f.flush(),
            Open::Temporary(t, _) => t.flush(),
        }
    }
}

/// Writes `bytes` to a new, synced temporary file next to `dest` (in its
/// directory, so a rename can put it in place), as an ordinary file (0666
/// less the umask, not tempfile's private 0600) or with `permissions`.
pub fn write_temporary(
    dest: &Path,
    bytes: &[u8],
    permissions: Option<std::fs::Permissions>,
) -> Result<tempfile::NamedTempFile> {
    let dir = directory_of(dest);
    let mut builder = tempfile::Builder::new();
    builder.prefix(".racesim-").suffix(".tmp");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", dest.display()))?;
    if let Some(p) = permissions {
        tmp.as_file()
            .set_permissions(p)
            .with_context(|| format!("cannot set the permissions of {}", dest.display()))?;
    }
    Ok(tmp)
}

/// The directory a file is in (`.` for a bare file name).
pub fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Writes to `path` atomically, or to standard output when there is none.
pub fn emit(path: Option<&Path>, text: &str) -> Result<()> {
    emit_bytes(path, text.as_bytes())
}

/// `emit` for any bytes (a workbook as well as text).
pub fn emit_bytes(path: Option<&Path>, bytes: &[u8]) -> Result<()> {
    match path {
        Some(p) => write_atomic(p, bytes),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)
                .and_then(|_| out.flush())
                .context("cannot write to standard output")
        }
    }
}
