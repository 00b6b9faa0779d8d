//! Helpers shared by the binary's test files.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Stdio};

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

/// The built `sfkit` with the OS keyring turned off, so tests never touch the keyring of the
/// person running them (keys go in the data directory's key file); `keyring.rs` turns it on
/// inside a private D-Bus session.
pub(crate) fn sfkit_command() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_sfkit"));
    c.env("SFKIT_KEYRING", "off");
    c
}

/// `sfkit emulator` on an ephemeral port with its own data directory.
pub(crate) struct Emulator {
    child: Child,
    pub(crate) url: String,
    pub(crate) jwt_key: PathBuf,
    _dir: Dir,
}

impl Emulator {
    pub(crate) fn start() -> Self {
        let dir = Dir::new("org");
        let mut child = sfkit_command()
            .args(["emulator", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(&dir.0)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let (mut url, mut jwt_key) = (String::new(), PathBuf::new());
        let mut line = String::new();
        while out.read_line(&mut line).unwrap() > 0 {
            let l = line.trim();
            if let Some(u) = l.strip_prefix("sfkit local org listening on ") {
                url = u.to_owned();
            }
            if let Some(k) = l.strip_prefix("JWT key:") {
                jwt_key = PathBuf::from(k.split_whitespace().next().unwrap());
            }
            if l.starts_with("data:") {
                break;
            }
            line.clear();
        }
        Emulator {
            child,
            url,
            jwt_key,
            _dir: dir,
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
