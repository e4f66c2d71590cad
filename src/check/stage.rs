//! Writing several baselines all or nothing.
//!
//! `output::write_atomic` replaces one file atomically; `check --update`
//! replaces many, and a failure after the first rename would leave a mix of
//! new and old baselines. Here every new file is first written and synced
//! as a temporary file beside its destination. Only when all of them are
//! on disk are they renamed into place; if a rename still fails, the files
//! already replaced are put back from copies of their old contents, which
//! were staged the same way before the first rename.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use tempfile::NamedTempFile;

/// A file written and synced under a temporary name, waiting to be renamed
/// to `dest`. Dropping it removes the temporary file.
struct Staged {
    tmp: NamedTempFile,
    dest: PathBuf,
}

/// Writes every `(path, bytes)` or none: on error, each destination holds
/// what it held before and no temporary file is left behind.
pub fn write_all(files: &[(PathBuf, Vec<u8>)]) -> Result<()> {
    write_all_with(files, &mut |tmp, dest| {
        tmp.persist(dest)
            .map(drop)
            .map_err(|e| anyhow!(e.error))
            .with_context(|| format!("cannot replace {}", dest.display()))
    })
}

/// `write_all` with the rename step injected, so tests can make it fail.
fn write_all_with(
    files: &[(PathBuf, Vec<u8>)],
    rename: &mut dyn FnMut(NamedTempFile, &Path) -> Result<()>,
) -> Result<()> {
    // 1. Stage the new contents and a copy of every file about to be
    //    replaced. Any error here drops the temporaries and touches nothing.
    let mut new = Vec::with_capacity(files.len());
    let mut old = Vec::new();
    for (dest, bytes) in files {
        if let Ok(meta) = std::fs::symlink_metadata(dest) {
            if !meta.is_file() {
                return Err(anyhow!(
                    "cannot replace {}: it is not a regular file",
                    dest.display()
                ));
            }
            let previous = std::fs::read(dest)
                .with_context(|| format!("cannot read {} to keep a copy", dest.display()))?;
            old.push(stage(dest, &previous, Some(meta.permissions()))?);
            new.push(stage(dest, bytes, Some(meta.permissions()))?);
        } else {
            new.push(stage(dest, bytes, None)?);
        }
    }
    // 2. Rename everything into place; on failure put back what was
    //    already replaced.
    let mut done: Vec<PathBuf> = Vec::new();
    for s in new {
        let dest = s.dest.clone();
        if let Err(e) = rename(s.tmp, &dest) {
            return Err(match restore(&done, old) {
                Ok(()) => e.context("no baseline was changed"),
                Err(r) => e.context(format!(
                    "and restoring the files already replaced failed too: {r:#}"
                )),
            });
        }
        done.push(dest);
    }
    sync_dirs(files.iter().map(|(p, _)| p.as_path()));
    Ok(())
}

/// Writes `bytes` to a synced temporary file in `dest`'s directory.
fn stage(dest: &Path, bytes: &[u8], permissions: Option<std::fs::Permissions>) -> Result<Staged> {
    let tmp = crate::output::write_temporary(dest, bytes, permissions)?;
    Ok(Staged {
        tmp,
        dest: dest.to_path_buf(),
    })
}

/// Puts back the old contents of the files in `replaced` (files that did
/// not exist before are removed again).
fn restore(replaced: &[PathBuf], mut old: Vec<Staged>) -> Result<()> {
    let mut first_error = None;
    for dest in replaced {
        let result = match old.iter().position(|s| &s.dest == dest) {
            Some(i) => {
                let s = old.swap_remove(i);
                s.tmp.persist(dest).map(drop).map_err(|e| anyhow!(e.error))
            }
            None => std::fs::remove_file(dest).map_err(anyhow::Error::from),
        };
        if let Err(e) = result {
            first_error.get_or_insert(e.context(format!("{}", dest.display())));
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// Makes the renames durable (best effort: not every platform can sync a
/// directory).
fn sync_dirs<'a>(paths: impl Iterator<Item = &'a Path>) {
    let mut dirs: Vec<&Path> = paths.map(crate::output::directory_of).collect();
    dirs.sort();
    dirs.dedup();
    for d in dirs {
        if let Ok(f) = std::fs::File::open(d) {
            let _ = f.sync_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                let bytes = if p.is_file() {
                    std::fs::read(&p).unwrap()
                } else {
                    b"<dir>".to_vec()
                };
                (p.file_name().unwrap().to_string_lossy().into_owned(), bytes)
            })
            .collect();
        v.sort();
        v
    }

    fn setup() -> (tempfile::TempDir, Vec<(PathBuf, Vec<u8>)>) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.json"), "old a").unwrap();
        std::fs::write(dir.path().join("b.json"), "old b").unwrap();
        let files = ["a.json", "b.json", "c.json"]
            .iter()
            .map(|n| (dir.path().join(n), format!("new {n}").into_bytes()))
            .collect();
        (dir, files)
    }

    #[test]
    fn writes_every_file() {
        let (dir, files) = setup();
        write_all(&files).unwrap();
        let names: Vec<_> = listing(dir.path());
        assert_eq!(
            names,
            [
                ("a.json".into(), b"new a.json".to_vec()),
                ("b.json".into(), b"new b.json".to_vec()),
                ("c.json".into(), b"new c.json".to_vec()),
            ]
        );
    }

    #[test]
    fn a_destination_that_cannot_be_replaced_changes_nothing() {
        let (dir, files) = setup();
        std::fs::create_dir(dir.path().join("c.json")).unwrap();
        let before = listing(dir.path());
        let err = write_all(&files).unwrap_err();
        assert!(format!("{err:#}").contains("c.json"), "{err:#}");
        assert_eq!(listing(dir.path()), before);
    }

    #[test]
    fn a_failed_rename_puts_back_the_files_already_replaced() {
        let (dir, files) = setup();
        let before = listing(dir.path());
        let mut calls = 0;
        let err = write_all_with(&files, &mut |tmp, dest| {
            calls += 1;
            if calls == 3 {
                return Err(anyhow!("disk on fire"));
            }
            tmp.persist(dest).map(drop).map_err(|e| anyhow!(e.error))
        })
        .unwrap_err();
        assert!(format!("{err:#}").contains("no baseline was changed"));
        // a and b were renamed, then restored; no temporary is left.
        assert_eq!(listing(dir.path()), before);

        // A new file renamed before the failure is removed again.
        let mut calls = 0;
        let reordered = vec![files[2].clone(), files[0].clone(), files[1].clone()];
        write_all_with(&reordered, &mut |tmp, dest| {
            calls += 1;
            if calls == 2 {
                return Err(anyhow!("disk on fire"));
            }
            tmp.persist(dest).map(drop).map_err(|e| anyhow!(e.error))
        })
        .unwrap_err();
        assert_eq!(listing(dir.path()), before);
    }
}
