//! Files that hold secrets, and the directories they live in, for their owner alone: files
//! made 0600, directories 0700 (on Unix; elsewhere the platform's defaults), and a check that
//! names any that others may read. A database file is made before SQLite opens it because
//! SQLite gives its `-wal` and `-shm` side files the database file's mode: made 0600, all three
//! are. Files found looser are reported, not changed: the owner may have meant it (a backup
//! group), and a warning is what `ssh` and `gpg` give too.

use std::io;
use std::path::{Path, PathBuf};

/// A file or directory that others than its owner may read, write or enter.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Exposed {
    /// Where it is.
    pub path: PathBuf,
    /// Its permission bits (`0o644`, ...).
    pub mode: u32,
    /// True for a directory.
    pub dir: bool,
}

impl std::fmt::Display for Exposed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (what, want) = if self.dir {
            ("directory", "700")
        } else {
            ("file", "600")
        };
        write!(
            f,
            "the {what} {} is open to other users (mode {:o}); it holds secrets: chmod {want} it",
            self.path.display(),
            self.mode
        )
    }
}

/// Creates `dir` and any missing parents, each one the owner's alone; those already there are
/// left as they are.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// Creates the empty file `path`, the owner's alone, unless it exists (then it is untouched).
pub fn create_file(path: &Path) -> io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path).map(drop)
}

/// Those of `paths` that exist and that others may use. Symbolic links are followed: what
/// matters is who can read what the link points to.
pub fn exposed<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Vec<Exposed> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        paths
            .into_iter()
            .filter_map(|p| {
                let meta = std::fs::metadata(p).ok()?;
                let mode = meta.permissions().mode() & 0o7777;
                (mode & 0o077 != 0).then(|| Exposed {
                    path: p.to_path_buf(),
                    mode,
                    dir: meta.is_dir(),
                })
            })
            .collect()
    }
    #[cfg(not(unix))]
    {
        let _ = paths;
        Vec::new()
    }
}

/// [`exposed`], each one logged as a warning.
pub fn warn_exposed<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Vec<Exposed> {
    let found = exposed(paths);
    for e in &found {
        tracing::warn!(path = %e.path.display(), mode = format_args!("{:o}", e.mode), "{e}");
    }
    found
}

/// A SQLite database's file and its side files (`-wal`, `-shm`, `-journal`).
pub fn database_files(db: &Path) -> Vec<PathBuf> {
    let mut files = vec![db.to_path_buf()];
    for side in ["-wal", "-shm", "-journal"] {
        let mut name = db.as_os_str().to_owned();
        name.push(side);
        files.push(PathBuf::from(name));
    }
    files
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn made_private_and_loose_ones_found() {
        let root = std::env::temp_dir().join(format!("sfkit-private-{}", std::process::id()));
        let dir = root.join("x").join("y");
        create_dir(&dir).unwrap();
        let file = dir.join("f");
        create_file(&file).unwrap();
        assert!(exposed([root.join("x").as_path(), dir.as_path(), file.as_path()]).is_empty());
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        // Made again: left as it is (the owner's choice), and found.
        create_file(&file).unwrap();
        let found = exposed([dir.as_path(), file.as_path(), dir.join("absent").as_path()]);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].mode, found[0].dir), (0o644, false));
        assert!(found[0].to_string().contains(&file.display().to_string()));
        let _ = std::fs::remove_dir_all(&root);
    }
}
