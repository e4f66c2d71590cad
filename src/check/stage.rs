//! Writing a folder of baselines all or nothing, whatever happens to the
//! process, and one `check` at a time per folder.
//!
//! `output::write_atomic` replaces one file atomically; `check --update`
//! replaces many, and a crash (kill -9, power loss) between two renames,
//! or a second `check --update` renaming its files at the same time, would
//! leave a mix of old and new baselines that no single run produced. So:
//!
//! - **One writer.** [`Folder::open`] takes an advisory lock (flock) on the
//!   baselines directory itself: exclusive for `--update`, shared for a
//!   plain `check`, held for the whole run so that what a run read and what
//!   it writes belong together. A second updater waits, and says so.
//! - **A commit point.** Every new file is written and synced into the
//!   staging directory `.racesim-staging/`; then the journal
//!   `.racesim-commit` naming them is written, synced and renamed into
//!   place. That rename is the commit: before it, the old set stands and
//!   the staged files are leftovers; after it, the new set is decided and
//!   the renames into place only carry it out.
//! - **Recovery.** Whoever takes the lock next finds a leftover journal and
//!   rolls it forward (renames whatever staged file is still there; the
//!   renames already done are not repeated), or finds staged files without
//!   a journal and removes them, and says which it did. Temporary files
//!   from killed single-file writes (`.racesim-*.tmp`) are removed too;
//!   baselines are read by their own names, so such leftovers are never
//!   mistaken for one.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};

/// Where new baselines wait for the commit.
const STAGING: &str = ".racesim-staging";
/// The commit record: a JSON array of the file names to move into place.
const JOURNAL: &str = ".racesim-commit";

/// A locked baselines directory. The lock goes when this is dropped (or
/// the process dies: the kernel releases flocks with the descriptor).
#[derive(Debug)]
pub struct Folder {
    dir: PathBuf,
    /// The open directory holding the lock; `None` when the directory does
    /// not exist (a plain check with no baselines yet locks nothing).
    lock: Option<File>,
    exclusive: bool,
}

impl Folder {
    /// Locks `dir` (exclusively when `write`; creating it then) and repairs
    /// what an interrupted update left there. Waits for another `check`
    /// holding a conflicting lock, saying so on standard error. What was
    /// repaired is returned as notes for the user.
    pub fn open(dir: &Path, write: bool) -> Result<(Folder, Vec<String>)> {
        if write {
            std::fs::create_dir_all(dir).with_context(|| {
                format!("cannot create the baselines directory {}", dir.display())
            })?;
        } else if !dir.is_dir() {
            return Ok((
                Folder {
                    dir: dir.to_path_buf(),
                    lock: None,
                    exclusive: false,
                },
                Vec::new(),
            ));
        }
        let handle = File::open(dir)
            .with_context(|| format!("cannot open the baselines directory {}", dir.display()))?;
        let mut folder = Folder {
            dir: dir.to_path_buf(),
            lock: None,
            exclusive: write,
        };
        lock(&handle, dir, write)?;
        folder.lock = Some(handle);
        if !write && folder.needs_repair() {
            // Repairing writes: trade the shared lock for an exclusive one.
            // Someone else may repair in between; `repair` finds out.
            let handle = folder.lock.take().expect("locked above");
            handle.unlock()?;
            lock(&handle, dir, true)?;
            folder.lock = Some(handle);
            folder.exclusive = true;
        }
        let notes = if folder.exclusive {
            folder.repair()?
        } else {
            Vec::new()
        };
        Ok((folder, notes))
    }

    fn needs_repair(&self) -> bool {
        let leftovers = std::fs::read_dir(&self.dir).map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .any(|e| is_ours(&e.file_name().to_string_lossy()))
        });
        leftovers.unwrap_or(false)
    }

    /// Finishes or undoes what an interrupted update left behind.
    fn repair(&self) -> Result<Vec<String>> {
        let mut notes = Vec::new();
        let journal = self.dir.join(JOURNAL);
        if journal.exists() {
            let names = read_journal(&journal)?;
            let moved = self.roll_forward(&names)?;
            notes.push(format!(
                "an earlier `check --update` in {} was interrupted after it had decided its baselines; finished it ({moved} of {} files put in place now)",
                self.dir.display(),
                names.len()
            ));
        } else if self.dir.join(STAGING).exists() {
            notes.push(format!(
                "an earlier `check --update` in {} was interrupted before it changed any baseline; removed its staged files",
                self.dir.display()
            ));
        }
        self.clean()?;
        Ok(notes)
    }

    /// Renames every staged file named by the journal into place, then
    /// drops the journal. Renames already done (staged file gone) are
    /// skipped, so this can be repeated after any crash. Returns how many
    /// files it moved.
    fn roll_forward(&self, names: &[String]) -> Result<usize> {
        let staging = self.dir.join(STAGING);
        let mut moved = 0;
        for name in names {
            let from = staging.join(name);
            if from.exists() {
                let to = self.dir.join(name);
                std::fs::rename(&from, &to).with_context(|| {
                    format!(
                        "cannot put the new baseline {} in place; the next `racesim check` on {} tries again",
                        to.display(),
                        self.dir.display()
                    )
                })?;
                moved += 1;
            }
        }
        self.drop_journal()?;
        Ok(moved)
    }

    /// Once every file is in place, the update is no longer pending.
    fn drop_journal(&self) -> Result<()> {
        sync_dir(&self.dir);
        let journal = self.dir.join(JOURNAL);
        std::fs::remove_file(&journal)
            .with_context(|| format!("cannot remove {}", journal.display()))?;
        sync_dir(&self.dir);
        Ok(())
    }

    /// Removes the staging directory and every temporary file of ours.
    fn clean(&self) -> Result<()> {
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name == JOURNAL || !is_ours(&name) {
                continue;
            }
            let path = entry.path();
            let removed = if entry.file_type()?.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            removed.with_context(|| format!("cannot remove the leftover {}", path.display()))?;
        }
        Ok(())
    }

    /// Writes every `(path, bytes)` or none, by the protocol above. The
    /// paths must be in this folder. An error before the commit point
    /// leaves every baseline as it was; after it (only a failing rename),
    /// the message says the next run finishes the update.
    pub fn write_all(&self, files: &[(PathBuf, Vec<u8>)]) -> Result<()> {
        self.write_all_with(files, &mut |from, to| {
            std::fs::rename(from, to).map_err(anyhow::Error::from)
        })
    }

    /// `write_all` with the final renames injected, so tests can make one
    /// fail.
    fn write_all_with(
        &self,
        files: &[(PathBuf, Vec<u8>)],
        rename: &mut dyn FnMut(&Path, &Path) -> Result<()>,
    ) -> Result<()> {
        if files.is_empty() {
            return Ok(());
        }
        if !self.exclusive {
            bail!("internal error: baselines written without the folder's exclusive lock");
        }
        let names = self.names(files)?;
        // 1. Stage. Any error here leaves the old set, and the staged files
        //    are removed (or, after a crash, by the next run).
        let staged = self.stage(files, &names);
        if let Err(e) = staged {
            let _ = self.clean();
            return Err(e.context("no baseline was changed"));
        }
        // 2. Commit: the journal is written under a temporary name and
        //    renamed, so it exists whole or not at all.
        let committed = crate::output::write_temporary(
            &self.dir.join(JOURNAL),
            serde_json::to_string(&names)?.as_bytes(),
            None,
        )
        .and_then(|tmp| {
            tmp.persist(self.dir.join(JOURNAL))
                .map_err(|e| anyhow!(e.error))
        });
        if let Err(e) = committed {
            let _ = self.clean();
            return Err(e.context("cannot write the commit record; no baseline was changed"));
        }
        sync_dir(&self.dir);
        // 3. Carry it out.
        let staging = self.dir.join(STAGING);
        for name in &names {
            let (from, to) = (staging.join(name), self.dir.join(name));
            rename(&from, &to).with_context(|| {
                format!(
                    "cannot replace {}; the update is decided but not complete: the next `racesim check` on {} finishes it",
                    to.display(),
                    self.dir.display()
                )
            })?;
        }
        self.drop_journal()?;
        self.clean()
    }

    /// The file names of `files`, refusing paths outside this folder and
    /// anything racesim keeps for itself.
    fn names(&self, files: &[(PathBuf, Vec<u8>)]) -> Result<Vec<String>> {
        files
            .iter()
            .map(|(path, _)| {
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .filter(|n| !is_ours(n))
                    .ok_or_else(|| {
                        anyhow!("cannot write {}: not a baseline name", path.display())
                    })?;
                if crate::output::directory_of(path) != self.dir {
                    bail!(
                        "internal error: {} is not in the baselines directory {}",
                        path.display(),
                        self.dir.display()
                    );
                }
                Ok(name.to_string())
            })
            .collect()
    }

    /// Writes and syncs the new files into the staging directory, each
    /// with the permissions of the file it replaces.
    fn stage(&self, files: &[(PathBuf, Vec<u8>)], names: &[String]) -> Result<()> {
        let staging = self.dir.join(STAGING);
        std::fs::create_dir(&staging)
            .with_context(|| format!("cannot create {}", staging.display()))?;
        for ((dest, bytes), name) in files.iter().zip(names) {
            let permissions = match std::fs::symlink_metadata(dest) {
                Ok(meta) if !meta.is_file() => {
                    bail!(
                        "cannot replace {}: it is not a regular file",
                        dest.display()
                    )
                }
                Ok(meta) => Some(meta.permissions()),
                Err(_) => None,
            };
            let tmp = crate::output::write_temporary(&staging.join(name), bytes, permissions)?;
            tmp.persist(staging.join(name))
                .map_err(|e| anyhow!(e.error))
                .with_context(|| format!("cannot stage {}", dest.display()))?;
        }
        sync_dir(&staging);
        Ok(())
    }
}

/// Takes the flock on `dir`'s open handle, waiting (and saying so) when
/// another process holds a conflicting one.
fn lock(handle: &File, dir: &Path, exclusive: bool) -> Result<()> {
    let attempt = if exclusive {
        handle.try_lock()
    } else {
        handle.try_lock_shared()
    };
    match attempt {
        Ok(()) => return Ok(()),
        Err(std::fs::TryLockError::WouldBlock) => {}
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock {}", dir.display()));
        }
    }
    eprintln!(
        "racesim: waiting for another `racesim check` using the baselines in {} to finish",
        dir.display()
    );
    let waited = if exclusive {
        handle.lock()
    } else {
        handle.lock_shared()
    };
    waited.with_context(|| format!("cannot lock {}", dir.display()))
}

fn read_journal(path: &Path) -> Result<Vec<String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let names: Vec<String> = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is damaged; compare the baselines with your scenarios and remove it",
            path.display()
        )
    })?;
    // Names with a path in them were not written by racesim.
    if let Some(bad) = names
        .iter()
        .find(|n| n.contains(['/', '\\']) || n.is_empty() || is_ours(n))
    {
        bail!(
            "{} names {bad:?}, which is not a baseline; remove the file",
            path.display()
        );
    }
    Ok(names)
}

/// The names racesim uses for its own temporary files in a baselines
/// folder (and in any folder it writes to).
fn is_ours(name: &str) -> bool {
    name == STAGING || name == JOURNAL || (name.starts_with(".racesim-") && name.ends_with(".tmp"))
}

/// Makes renames in `dir` durable (best effort: not every platform can
/// sync a directory).
fn sync_dir(dir: &Path) {
    if let Ok(f) = File::open(dir) {
        let _ = f.sync_all();
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

    fn new_set() -> Vec<(String, Vec<u8>)> {
        ["a.json", "b.json", "c.json"]
            .iter()
            .map(|n| (n.to_string(), format!("new {n}").into_bytes()))
            .collect()
    }

    #[test]
    fn writes_every_file() {
        let (dir, files) = setup();
        let (folder, notes) = Folder::open(dir.path(), true).unwrap();
        assert!(notes.is_empty());
        folder.write_all(&files).unwrap();
        assert_eq!(listing(dir.path()), new_set());
    }

    #[test]
    fn a_destination_that_cannot_be_replaced_changes_nothing() {
        let (dir, files) = setup();
        std::fs::create_dir(dir.path().join("c.json")).unwrap();
        let before = listing(dir.path());
        let (folder, _) = Folder::open(dir.path(), true).unwrap();
        let err = folder.write_all(&files).unwrap_err();
        assert!(format!("{err:#}").contains("c.json"), "{err:#}");
        assert!(format!("{err:#}").contains("no baseline was changed"));
        assert_eq!(listing(dir.path()), before);
    }

    #[test]
    fn a_failed_rename_after_the_commit_is_finished_by_the_next_run() {
        let (dir, files) = setup();
        let mut calls = 0;
        {
            let (folder, _) = Folder::open(dir.path(), true).unwrap();
            let err = folder
                .write_all_with(&files, &mut |from, to| {
                    calls += 1;
                    if calls == 2 {
                        return Err(anyhow!("disk on fire"));
                    }
                    std::fs::rename(from, to).map_err(anyhow::Error::from)
                })
                .unwrap_err();
            assert!(
                format!("{err:#}").contains("next `racesim check`"),
                "{err:#}"
            );
        }
        // Even a plain (reading) check finishes it first.
        let (_folder, notes) = Folder::open(dir.path(), false).unwrap();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("2 of 3 files"), "{notes:?}");
        assert_eq!(listing(dir.path()), new_set());
    }

    #[test]
    fn staged_files_without_a_commit_are_removed_and_the_old_set_kept() {
        let (dir, _) = setup();
        let before = listing(dir.path());
        std::fs::create_dir(dir.path().join(STAGING)).unwrap();
        std::fs::write(dir.path().join(STAGING).join("a.json"), "new a").unwrap();
        std::fs::write(dir.path().join(".racesim-x1y2.tmp"), "half").unwrap();
        std::fs::write(dir.path().join(".racesim-AbC123.tmp"), "[\"a.j").unwrap();
        let (_folder, notes) = Folder::open(dir.path(), false).unwrap();
        assert!(
            notes[0].contains("before it changed any baseline"),
            "{notes:?}"
        );
        assert_eq!(listing(dir.path()), before);
    }

    #[test]
    fn a_shared_lock_waits_for_the_updater() {
        let (dir, files) = setup();
        let (writer, _) = Folder::open(dir.path(), true).unwrap();
        let path = dir.path().to_path_buf();
        let reader = std::thread::spawn(move || {
            let (_folder, _) = Folder::open(&path, false).unwrap();
            listing(&path)
        });
        std::thread::sleep(std::time::Duration::from_millis(100));
        writer.write_all(&files).unwrap();
        drop(writer);
        // The reader got in only after the whole set was written.
        assert_eq!(reader.join().unwrap(), new_set());
    }
}
