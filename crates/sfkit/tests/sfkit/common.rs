//! Helpers shared by the test modules.
// Test helpers: a failure is a panic, and their buffers are sized by what they just read.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

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

/// What a command wrote to a terminal `cols` wide: its stdout, and its stderr too with
/// `stderr_too` (else stderr is piped and returned apart). Line ends come back as `\n`.
#[cfg(unix)]
pub(crate) struct OnTerminal {
    pub(crate) code: Option<i32>,
    pub(crate) terminal: String,
    pub(crate) stderr: String,
}

/// Runs `cmd` with its stdout (and, with `stderr_too`, its stderr) on a pseudo-terminal, as a
/// person at a terminal would run it.
#[cfg(unix)]
pub(crate) fn on_terminal(
    mut cmd: std::process::Command,
    cols: u16,
    stderr_too: bool,
) -> OnTerminal {
    use std::io::Read as _;
    let size = nix::pty::Winsize {
        ws_row: 50,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let pty = nix::pty::openpty(&size, None).unwrap();
    cmd.stdin(Stdio::null())
        .stdout(Stdio::from(pty.slave.try_clone().unwrap()));
    if stderr_too {
        cmd.stderr(Stdio::from(pty.slave.try_clone().unwrap()));
    } else {
        cmd.stderr(Stdio::piped());
    }
    let mut child = cmd.spawn().unwrap();
    // The terminal reads end (EIO) only once no process holds its other side: not this one
    // (the command keeps its copies until it is dropped), only the child.
    drop(cmd);
    drop(pty.slave);
    let mut master = std::fs::File::from(pty.master);
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 8192];
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
        }
        all
    });
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        e.read_to_string(&mut stderr).unwrap();
    }
    let status = child.wait().unwrap();
    let terminal = String::from_utf8(reader.join().unwrap()).unwrap();
    OnTerminal {
        code: status.code(),
        terminal: terminal.replace("\r\n", "\n"),
        stderr,
    }
}

/// A stand-in for Salesforce's query resource that answers from fixed pages, as fast as a
/// socket goes: `/services/data/vXX.X/query?q=...` (any version, any query) gets the first,
/// and each page's `nextRecordsUrl` the next. Serves until the test process ends.
pub(crate) struct PageServer {
    pub(crate) url: String,
}

impl PageServer {
    /// Serves `records` in pages of `per_page`, as Salesforce lays them out.
    pub(crate) fn start(records: &[serde_json::Value], per_page: usize) -> Self {
        use std::io::{Read as _, Write as _};
        let chunks: Vec<&[serde_json::Value]> = records.chunks(per_page.max(1)).collect();
        let pages: Vec<Vec<u8>> = chunks
            .iter()
            .enumerate()
            .map(|(i, chunk)| {
                let last = i + 1 == chunks.len();
                let mut page = serde_json::json!({
                    "totalSize": records.len(),
                    "done": last,
                    "records": chunk,
                });
                if !last {
                    page["nextRecordsUrl"] =
                        format!("/services/data/v66.0/query/01gPAGES-{}", i + 1).into();
                }
                serde_json::to_vec(&page).unwrap()
            })
            .collect();
        let pages = std::sync::Arc::new(pages);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let pages = pages.clone();
                std::thread::spawn(move || {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    loop {
                        // One request head at a time (these clients send GETs, no bodies).
                        let end = loop {
                            if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                                break Some(at + 4);
                            }
                            match conn.read(&mut chunk) {
                                Ok(0) | Err(_) => break None,
                                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            }
                        };
                        let Some(end) = end else { return };
                        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                        buf.drain(..end);
                        let path = head.split_whitespace().nth(1).unwrap_or("");
                        let page = if let Some((_, n)) = path.split_once("/query/01gPAGES-") {
                            n.parse::<usize>().ok().and_then(|n| pages.get(n))
                        } else if path.contains("/query") {
                            pages.first()
                        } else {
                            None
                        };
                        let (status, body): (&str, &[u8]) = match page {
                            Some(p) => ("200 OK", p),
                            None => (
                                "404 Not Found",
                                b"[{\"errorCode\":\"NOT_FOUND\",\"message\":\"no such page\"}]",
                            ),
                        };
                        let head = format!(
                            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                            body.len()
                        );
                        if conn.write_all(head.as_bytes()).is_err() || conn.write_all(body).is_err()
                        {
                            return;
                        }
                    }
                });
            }
        });
        PageServer { url }
    }
}
