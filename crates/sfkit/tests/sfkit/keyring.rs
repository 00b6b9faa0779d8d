//! Saved logins with the OS keyring: a private D-Bus session bus with GNOME Keyring as its
//! Secret Service (both started here, in a temporary home), the built `sfkit` logging in to a
//! local org. The key that seals `secrets.bin` must go to the keyring, not to a file, and a
//! later run that cannot reach the keyring must fail clearly rather than lose the saved logins.
//!
//! Needs `dbus-daemon` and `gnome-keyring-daemon` (Debian: dbus-daemon, gnome-keyring); CI
//! installs them and sets `SFKIT_TEST_KEYRING=1`, which makes their absence a failure instead of
//! a skipped test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr
)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Dir, Emulator, sfkit_command};

/// A session bus and a Secret Service on it, gone when dropped.
struct Session {
    bus: Child,
    keyring: Child,
    address: String,
    home: Dir,
}

impl Session {
    /// `None` when the programs are missing and the test may be skipped.
    fn start() -> Option<Self> {
        let required = std::env::var("SFKIT_TEST_KEYRING").is_ok_and(|v| v == "1");
        let have = |p: &str| {
            Command::new(p)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok()
        };
        if !have("dbus-daemon") || !have("gnome-keyring-daemon") {
            assert!(
                !required,
                "SFKIT_TEST_KEYRING=1 but dbus-daemon or gnome-keyring-daemon is missing"
            );
            eprintln!("skipped: no dbus-daemon or gnome-keyring-daemon here");
            return None;
        }
        let home = Dir::new("keyring-home");
        let mut bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut address = String::new();
        BufReader::new(bus.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_owned();
        assert!(address.starts_with("unix:"), "bus address {address:?}");
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("HOME", &home.0)
            .env("XDG_DATA_HOME", home.0.join("data"))
            .env("XDG_RUNTIME_DIR", &home.0)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The password of the new login keyring, which --unlock reads from standard input.
        let mut stdin = keyring.stdin.take().unwrap();
        stdin.write_all(b"sfkit-test-keyring").unwrap();
        drop(stdin);
        let s = Session {
            bus,
            keyring,
            address,
            home,
        };
        s.wait_for_secret_service();
        Some(s)
    }

    fn wait_for_secret_service(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let o = Command::new("dbus-send")
                .args([
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    "string:org.freedesktop.secrets",
                ])
                .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
                .output()
                .unwrap();
            if String::from_utf8_lossy(&o.stdout).contains("boolean true") {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the Secret Service never came up on the bus"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `sfkit` inside this session, the keyring on.
    fn command(&self, data: &Path, args: &[&str]) -> Command {
        let mut c = sfkit_command();
        c.args(args)
            .env("SFKIT_DATA_DIR", data)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env("HOME", &self.home.0)
            .env_remove("SFKIT_KEYRING")
            .env_remove("SFKIT_SECRET_KEY")
            .env_remove("SF_INSTANCE_URL")
            .env_remove("SF_ACCESS_TOKEN");
        c
    }

    fn sfkit(&self, data: &Path, args: &[&str]) -> Output {
        self.command(data, args).output().unwrap()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        for c in [&mut self.keyring, &mut self.bus] {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn saved_logins_are_sealed_with_a_key_kept_in_the_os_keyring() {
    let Some(session) = Session::start() else {
        return;
    };
    let org = Emulator::start();
    let data = Dir::new("keyring-data");
    let secret = "sfkit-local-secret";

    let login_args = |name: &'static str| {
        [
            "login",
            "client-credentials",
            "--instance-url",
            &org.url,
            "--client-id",
            "sfkit-local",
            "--name",
            name,
        ]
        .map(str::to_owned)
    };
    let login = session
        .command(&data.0, &login_args("kr").each_ref().map(String::as_str))
        .env("SFKIT_CLIENT_SECRET", secret)
        .output()
        .unwrap();
    let err = text(&login.stderr);
    assert_eq!(login.status.code(), Some(0), "{err}");
    assert!(
        err.contains("the OS keyring"),
        "says where the key is: {err}"
    );
    assert!(!err.contains(secret));

    // No key on disk: only the marker naming the keyring entry, and sealed secrets.
    assert!(!data.0.join("secret.key").exists(), "no key file");
    let marker = std::fs::read_to_string(data.0.join("secret.keyring")).unwrap();
    assert!(marker.starts_with("data-key:"), "{marker}");
    let sealed = std::fs::read(data.0.join("secrets.bin")).unwrap();
    assert!(!sealed.windows(secret.len()).any(|w| w == secret.as_bytes()));

    // Later runs open the secrets with the key from the keyring.
    let o = session.sfkit(&data.0, &["--org", "kr", "limits", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let limits: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(limits["DailyApiRequests"]["max"].as_u64().unwrap() > 0);

    // A second login in the same data directory keeps using the same key.
    let again = session.sfkit(&data.0, &["login", "list"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("kr"));

    // Without the keyring the saved login cannot be opened: a clear error, exit 4, nothing
    // overwritten, and no fresh key file that would orphan the sealed secrets.
    let o = sfkit_command()
        .args(["--org", "kr", "limits"])
        .env("SFKIT_DATA_DIR", &data.0)
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("SFKIT_KEYRING")
        .env_remove("SFKIT_SECRET_KEY")
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(4), "{err}");
    assert!(
        err.contains("OS keyring") && err.contains("secret.keyring"),
        "{err}"
    );
    assert!(!data.0.join("secret.key").exists());
    assert_eq!(std::fs::read(data.0.join("secrets.bin")).unwrap(), sealed);

    // Back in the session, everything is still there.
    let o = session.sfkit(&data.0, &["--org", "kr", "limits", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));

    // SFKIT_KEYRING=off in a new data directory: the key goes in a private file instead.
    let plain = Dir::new("keyring-off");
    let o = session
        .command(&plain.0, &login_args("file").each_ref().map(String::as_str))
        .env("SFKIT_CLIENT_SECRET", secret)
        .env("SFKIT_KEYRING", "off")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(plain.0.join("secret.key").exists());
    assert!(!plain.0.join("secret.keyring").exists());
}
