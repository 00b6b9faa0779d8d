//! The web flow's two ends on this machine: the browser opened on the login page, and the
//! local HTTP callback the org redirects to with the code.

use sfkit_client::auth::Redirect;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Opens the URL in the person's browser, when there is a person (a terminal) to see it; the
/// URL is printed either way.
pub(super) fn open_browser(url: &str) {
    use std::io::IsTerminal as _;
    if !std::io::stderr().is_terminal() || std::env::var_os("SFKIT_NO_BROWSER").is_some() {
        return;
    }
    let opener: &[&str] = if cfg!(target_os = "macos") {
        &["open"]
    } else if cfg!(windows) {
        &["cmd", "/C", "start", ""]
    } else {
        &["xdg-open"]
    };
    if let Some((cmd, args)) = opener.split_first() {
        let _ = std::process::Command::new(cmd)
            .args(args)
            .arg(url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
    }
}

/// Waits for the browser's redirect (a code, or the login's refusal); answers it with a page
/// that sends the person back to the terminal. Other requests (a browser asking for its icon)
/// get a 404 and the wait goes on.
pub(super) async fn callback(listener: &tokio::net::TcpListener) -> anyhow::Result<Redirect> {
    loop {
        let (mut stream, _) = listener.accept().await?;
        let mut buf = vec![0u8; 8192];
        let mut len = 0;
        while len < buf.len() {
            let n = stream.read(buf.get_mut(len..).unwrap_or_default()).await?;
            if n == 0 {
                break;
            }
            len += n;
            if buf
                .get(..len)
                .is_some_and(|b| b.windows(4).any(|w| w == b"\r\n\r\n"))
            {
                break;
            }
        }
        let head = String::from_utf8_lossy(buf.get(..len).unwrap_or_default()).into_owned();
        let target = head.split_whitespace().nth(1).unwrap_or_default();
        let query = target.split_once('?').map_or("", |(_, q)| q);
        let answer = Redirect::from_query(query);
        let (status, body) = match (&answer.code, &answer.error) {
            (Some(_), _) => (
                "200 OK",
                "Logged in. You can close this tab and go back to the terminal.",
            ),
            (None, Some(_)) => (
                "400 Bad Request",
                "The login was refused; see the terminal.",
            ),
            _ => ("404 Not Found", "Not the login callback."),
        };
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
        if answer.is_answer() {
            return Ok(answer);
        }
    }
}
