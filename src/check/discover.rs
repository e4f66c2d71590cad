//! Finding the scenarios to check: `*.csv` files that are not plans files,
//! each with the `<name>.plans.csv` beside it, if any.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::UsageError;
use crate::scenario::workbook;

const PLANS_SUFFIX: &str = ".plans.csv";

/// A scenario file and its plans file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// File stem: names the baseline `<name>.json`.
    pub name: String,
    pub scenario: PathBuf,
    pub plans: Option<PathBuf>,
}

/// Every scenario under `paths` (files or directories, searched
/// recursively, skipping hidden ones such as `.git`), sorted by path so
/// reports come out in the same order on every machine.
pub fn scenarios(paths: &[PathBuf]) -> Result<Vec<Found>, UsageError> {
    let mut files = Vec::new();
    for path in paths {
        let meta =
            std::fs::metadata(path).map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
        if meta.is_dir() {
            walk(path, &mut files)?;
        } else if is_scenario(path) || workbook::is_workbook(path) {
            // A workbook is checked when named; a directory search finds
            // CSV scenarios only, as before.
            files.push(path.clone());
        } else if file_name(path).ends_with(PLANS_SUFFIX) {
            return Err(UsageError(format!(
                "{} is a plans file; pass its scenario ({}.csv) instead, and the plans file is picked up with it",
                path.display(),
                file_name(path).trim_end_matches(PLANS_SUFFIX)
            )));
        } else {
            return Err(UsageError(format!(
                "{} is not a scenario file: scenarios are `*.csv` files or workbooks (`.xlsx`, `.ods`)",
                path.display()
            )));
        }
    }
    files.sort();
    files.dedup();
    let mut by_name: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut found = Vec::new();
    for scenario in files {
        let is_workbook = workbook::is_workbook(&scenario);
        let name = if is_workbook {
            scenario
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        } else {
            file_name(&scenario).trim_end_matches(".csv").to_string()
        };
        if let Some(first) = by_name.insert(name.clone(), scenario.clone()) {
            return Err(UsageError(format!(
                "{} and {} would share the baseline `{name}.json`; rename one, or check them in separate runs with their own --baselines",
                first.display(),
                scenario.display()
            )));
        }
        // A workbook's plans are its own `plans` sheet.
        let plans = if is_workbook {
            workbook::has_sheet(&scenario, workbook::Table::Plans).then(|| scenario.clone())
        } else {
            // Anything under the plans file's name is its plans file: a
            // directory or device there is refused when read, not skipped.
            let plans = scenario.with_file_name(format!("{name}{PLANS_SUFFIX}"));
            std::fs::symlink_metadata(&plans).is_ok().then_some(plans)
        };
        found.push(Found {
            name,
            plans,
            scenario,
        });
    }
    if found.is_empty() {
        let list: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(UsageError(format!(
            "no scenario files (`*.csv`, not `*.plans.csv`) under {}",
            list.join(", ")
        )));
    }
    Ok(found)
}

/// Where baselines live unless `--baselines` says otherwise: a `baselines`
/// directory beside the scenarios, i.e. inside the first path when it is a
/// directory, else next to the first file.
pub fn default_baselines(paths: &[PathBuf]) -> PathBuf {
    let Some(first) = paths.first() else {
        return PathBuf::from("baselines");
    };
    if first.is_dir() {
        return first.join("baselines");
    }
    match first.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.join("baselines"),
        _ => PathBuf::from("baselines"),
    }
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), UsageError> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| UsageError(format!("{}: {e}", dir.display())))?;
    for entry in entries {
        let entry = entry.map_err(|e| UsageError(format!("{}: {e}", dir.display())))?;
        let path = entry.path();
        if file_name(&path).starts_with('.') {
            continue;
        }
        // `file_type` does not follow symbolic links, so a link to a parent
        // directory cannot send the walk round in circles.
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir {
            walk(&path, files)?;
        } else if is_scenario(&path) && path.is_file() {
            files.push(path);
        }
    }
    Ok(())
}

fn is_scenario(path: &Path) -> bool {
    let name = file_name(path);
    name.ends_with(".csv") && !name.ends_with(PLANS_SUFFIX)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_scenarios_with_their_plans_and_skips_hidden_dirs() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        for f in [
            "b.csv",
            "b.plans.csv",
            "sub/a.csv",
            ".git/x.csv",
            "notes.txt",
        ] {
            std::fs::write(root.join(f), "").unwrap();
        }
        let found = scenarios(&[root.to_path_buf()]).unwrap();
        let names: Vec<&str> = found.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["b", "a"]);
        assert_eq!(found[0].plans, Some(root.join("b.plans.csv")));
        assert_eq!(found[1].plans, None);
    }

    #[test]
    fn rejects_duplicate_names_and_plans_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("x")).unwrap();
        std::fs::write(root.join("a.csv"), "").unwrap();
        std::fs::write(root.join("x/a.csv"), "").unwrap();
        std::fs::write(root.join("a.plans.csv"), "").unwrap();
        assert!(scenarios(&[root.to_path_buf()]).is_err());
        let err = scenarios(&[root.join("a.plans.csv")]).unwrap_err();
        assert!(err.0.contains("plans file"), "{}", err.0);
    }
}
