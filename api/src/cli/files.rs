//! Product files on disk: pairs `<id>.odps.yaml` + `<id>.odcs.yaml`, named one by one or found in directories.

use std::path::{Path, PathBuf};

use meshport_shared::GovernancePolicy;

use super::client::Failure;
use crate::code::{Files, yaml};

const ODPS: &str = ".odps.yaml";
const ODCS: &str = ".odcs.yaml";

/// A product's two files, where they are, and their text.
#[derive(Debug, Clone)]
pub struct Pair {
    /// The files' name before `.odps.yaml`: the product's id as the export names them.
    pub id: String,
    pub odps_path: PathBuf,
    pub odcs_path: PathBuf,
    pub files: Files,
}

/// The pairs the paths name: a file of either kind stands for its pair, a directory for every pair in it. A file
/// without its other half is an error.
pub fn pairs(paths: &[PathBuf]) -> Result<Vec<Pair>, Failure> {
    let mut stems = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|e| unreadable(path, &e))?;
            let mut names = Vec::new();
            for entry in entries {
                let entry = entry.map_err(|e| unreadable(path, &e))?;
                names.push(entry.path());
            }
            names.sort();
            stems.extend(names.iter().filter_map(|name| stem_of(name)));
        } else {
            let stem = stem_of(path).ok_or_else(|| {
                Failure::usage(format!("`{}` is neither a directory nor a `*{ODPS}` or `*{ODCS}` file", path.display()))
            })?;
            stems.push(stem);
        }
    }
    stems.sort();
    stems.dedup();
    if stems.is_empty() {
        return Err(Failure::usage(format!("no `*{ODPS}` / `*{ODCS}` files in the paths given")));
    }
    stems.into_iter().map(|(dir, id)| pair(&dir, id)).collect()
}

fn stem_of(path: &Path) -> Option<(PathBuf, String)> {
    let name = path.file_name()?.to_str()?;
    let id = name.strip_suffix(ODPS).or_else(|| name.strip_suffix(ODCS))?;
    Some((path.parent().map(Path::to_path_buf).unwrap_or_default(), id.to_owned()))
}

fn pair(dir: &Path, id: String) -> Result<Pair, Failure> {
    let odps_path = dir.join(format!("{id}{ODPS}"));
    let odcs_path = dir.join(format!("{id}{ODCS}"));
    let files = Files { odps: read(&odps_path)?, odcs: read(&odcs_path)? };
    Ok(Pair { id, odps_path, odcs_path, files })
}

/// A file's text, refused beyond the reader's own limit before it is read whole.
fn read(path: &Path) -> Result<String, Failure> {
    let size = std::fs::metadata(path).map_err(|e| unreadable(path, &e))?.len();
    if size > yaml::LIMITS.bytes as u64 {
        return Err(Failure::usage(format!(
            "`{}` is {size} bytes: product files are read up to {} KiB",
            path.display(),
            yaml::LIMITS.bytes / 1024
        )));
    }
    std::fs::read_to_string(path).map_err(|e| unreadable(path, &e))
}

fn unreadable(path: &Path, e: &std::io::Error) -> Failure {
    Failure::usage(format!("cannot read `{}`: {e}", path.display()))
}

/// A governance policy from a JSON file, as `GET /api/v1/policy` answers it.
pub fn policy(path: &Path) -> Result<GovernancePolicy, Failure> {
    serde_json::from_str(&read(path)?)
        .map_err(|e| Failure::usage(format!("`{}` is not a governance policy: {e}", path.display())))
}

/// Both files as values, to compare.
pub fn values(files: &Files) -> Result<serde_json::Value, Failure> {
    let read = |text: &str, what: &str| {
        yaml::read(text, yaml::LIMITS).map_err(|e| Failure::usage(format!("the {what} file does not read: {e}")))
    };
    Ok(serde_json::json!({"odps": read(&files.odps, "ODPS")?, "odcs": read(&files.odcs, "ODCS")?}))
}

/// Writes a product's pair into `dir`.
pub fn write(dir: &Path, id: &str, files: &Files) -> Result<(), Failure> {
    for (suffix, text) in [(ODPS, &files.odps), (ODCS, &files.odcs)] {
        let path = dir.join(format!("{id}{suffix}"));
        std::fs::write(&path, text).map_err(|e| Failure::usage(format!("cannot write `{}`: {e}", path.display())))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_gives_its_pairs_and_a_file_stands_for_its_pair() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.odps.yaml", "b.odcs.yaml", "a.odcs.yaml", "a.odps.yaml", "notes.md"] {
            std::fs::write(dir.path().join(name), "x: 1\n").unwrap();
        }

        let ids: Vec<_> = pairs(&[dir.path().into()]).unwrap().into_iter().map(|p| p.id).collect();
        assert_eq!(ids, ["a", "b"]);
        let one = pairs(&[dir.path().join("b.odcs.yaml"), dir.path().join("b.odps.yaml")]).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].odps_path, dir.path().join("b.odps.yaml"));
    }

    #[test]
    fn a_file_without_its_other_half_or_of_another_kind_is_a_usage_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("c.odps.yaml"), "x: 1\n").unwrap();
        std::fs::write(dir.path().join("c.json"), "{}").unwrap();

        let missing = pairs(&[dir.path().into()]).unwrap_err();
        assert!(missing.message.contains("c.odcs.yaml"), "{}", missing.message);
        let other = pairs(&[dir.path().join("c.json")]).unwrap_err();
        assert!(other.message.contains("neither a directory"), "{}", other.message);
    }
}
