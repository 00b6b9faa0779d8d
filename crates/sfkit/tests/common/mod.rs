//! Helpers shared by the binary's test files.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;

/// A temporary directory, removed when dropped.
pub(crate) struct Dir(pub(crate) PathBuf);

impl Dir {
    /// A new empty directory whose name starts with `sfkit-{tag}`.
    pub(crate) fn new(tag: &str) -> Self {
        let d = std::env::temp_dir().join(format!(
            "sfkit-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
