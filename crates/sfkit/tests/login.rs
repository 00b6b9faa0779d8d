//! `sfkit login` against a local org served by `sfkit emulator` in another process: the web
//! flow through the org's login page and the command's own callback, JWT, an access token;
//! saved logins chosen by `--org` or as the default; secrets never stored in plain text.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Output, Stdio};

use common::{Dir, Emulator};
use serde_json::Value;

fn sfkit(data: &Path, args: &[&str]) -> Output {
    common::sfkit_command()
        .args(args)
        .env("SFKIT_DATA_DIR", data)
        .env_remove("SF_INSTANCE_URL")
        .env_remove("SF_ACCESS_TOKEN")
        .env_remove("SFKIT_CLIENT_SECRET")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(0),
        "stdout {} stderr {}",
        text(&o.stdout),
        text(&o.stderr)
    );
    text(&o.stdout)
}

fn runtime() -> tokio::runtime::Runtime {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn password_token(url: &str) -> String {
    runtime().block_on(async {
        let v: Value = reqwest::Client::new()
            .post(format!("{url}/services/oauth2/token"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("grant_type=password&client_id=sfkit-local&client_secret=sfkit-local-secret&username=admin%40sfkit.local&password=sfkit-local")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["access_token"].as_str().unwrap().to_owned()
    })
}

#[test]
fn token_and_jwt_logins_are_saved_and_chosen() {
    let org = Emulator::start();
    let data = Dir::new("data");
    let token = password_token(&org.url);
    let o = common::sfkit_command()
        .args([
            "login",
            "token",
            "--instance-url",
            &org.url,
            "--name",
            "bytoken",
        ])
        .env("SFKIT_DATA_DIR", &data.0)
        .env("SF_ACCESS_TOKEN", &token)
        .output()
        .unwrap();
    ok(&o);
    assert!(
        text(&o.stderr).contains("logged in to"),
        "{}",
        text(&o.stderr)
    );
    assert!(!text(&o.stderr).contains(&token));

    // Secrets are encrypted; the key is the user's alone.
    let sealed = std::fs::read(data.0.join("secrets.bin")).unwrap();
    assert!(
        !sealed.windows(token.len()).any(|w| w == token.as_bytes()),
        "no plain token on disk"
    );
    let listing = std::fs::read_to_string(data.0.join("profiles.json")).unwrap();
    assert!(!listing.contains(&token));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        for f in ["secret.key", "secrets.bin"] {
            let mode = std::fs::metadata(data.0.join(f))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{f} is private: {mode:o}");
        }
    }

    // JWT with the org's key; it becomes the default.
    let o = sfkit(
        &data.0,
        &[
            "login",
            "jwt",
            "--login-url",
            &org.url,
            "--client-id",
            "sfkit-local",
            "--username",
            "viewer@sfkit.local",
            "--key-file",
            org.jwt_key.to_str().unwrap(),
            "--name",
            "byjwt",
        ],
    );
    ok(&o);
    let list = ok(&sfkit(&data.0, &["login", "list"]));
    assert!(list.contains("* byjwt"), "{list}");
    assert!(list.contains("  bytoken"), "{list}");
    let list: Value =
        serde_json::from_str(&ok(&sfkit(&data.0, &["login", "list", "--json"]))).unwrap();
    let by = |name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(by("byjwt")["default"], true);
    assert_eq!(by("bytoken")["default"], false);
    assert!(by("bytoken")["instanceUrl"].is_string());

    // The default (the viewer) may read but not write; --org picks the admin.
    let denied = sfkit(&data.0, &["run", "createAccount", "-p", "name=No"]);
    assert_eq!(denied.status.code(), Some(3), "{}", text(&denied.stdout));
    assert!(text(&denied.stdout).contains("INSUFFICIENT_ACCESS"));
    let chosen = sfkit(
        &data.0,
        &["--org", "bytoken", "run", "createAccount", "-p", "name=Yes"],
    );
    assert!(
        text(&chosen.stderr).contains("using the saved login for"),
        "says which org: {}",
        text(&chosen.stderr)
    );
    let made: Value = serde_json::from_str(&ok(&chosen)).unwrap();
    assert_eq!(made["success"], true);
    let nope = sfkit(&data.0, &["--org", "nosuch", "limits"]);
    assert_eq!(nope.status.code(), Some(4));
    assert!(
        text(&nope.stderr).contains("no saved login named"),
        "{}",
        text(&nope.stderr)
    );

    ok(&sfkit(&data.0, &["logout", "byjwt"]));
    let list = ok(&sfkit(&data.0, &["login", "list"]));
    assert!(!list.contains("byjwt"), "{list}");
    assert_eq!(sfkit(&data.0, &["logout", "byjwt"]).status.code(), Some(2));
}

/// The web flow: the command prints the authorize URL, the "browser" logs in on the org's page
/// and is sent to the command's callback, and the login is saved with its refresh token.
#[test]
fn the_web_flow_saves_a_renewable_login() {
    let org = Emulator::start();
    let data = Dir::new("web");
    let mut login = common::sfkit_command()
        .args([
            "login",
            "web",
            "--login-url",
            &org.url,
            "--client-id",
            "sfkit-local",
            "--port",
            "0",
            "--name",
            "web",
        ])
        .env("SFKIT_DATA_DIR", &data.0)
        .env("SFKIT_CLIENT_SECRET", "sfkit-local-secret")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(login.stderr.take().unwrap());
    let mut authorize = String::new();
    let mut line = String::new();
    while err.read_line(&mut line).unwrap() > 0 {
        if line.trim().starts_with("http") {
            authorize = line.trim().to_owned();
            break;
        }
        line.clear();
    }
    assert!(
        authorize.contains("/services/oauth2/authorize?"),
        "{authorize}"
    );
    runtime().block_on(async {
        let browser = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let url = reqwest::Url::parse(&authorize).unwrap();
        let mut form: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        form.push(("username".into(), "admin@sfkit.local".into()));
        form.push(("password".into(), "sfkit-local".into()));
        let r = browser
            .post(format!("{}/services/oauth2/authorize", org.url))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 302);
        let callback = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(callback.starts_with("http://localhost:"), "{callback}");
        let page = browser.get(&callback).send().await.unwrap();
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("Logged in"));
    });
    let status = login.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    assert!(status.success(), "{rest}");
    assert!(rest.contains("saved as \"web\""), "{rest}");
    // The saved login is the default now: no flags, no environment.
    let limits: Value = serde_json::from_str(&ok(&sfkit(&data.0, &["limits", "--json"]))).unwrap();
    assert!(limits["DailyApiRequests"]["max"].as_i64().unwrap() > 0);
}
