//! Connections that stall or pile up: timeouts close them, the connection limit makes room for
//! real clients, and `/healthz` answers throughout. Timeouts are short here (a second or two);
//! the deadlines the tests wait on are generous, to catch hangs, not to time anything.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::common::Srv;

/// How long the tests wait for what should take a second or two.
const DEADLINE: Duration = Duration::from_secs(20);

/// A server with short timeouts and room for `max` connections.
async fn short_timeouts(max: usize) -> Srv {
    Srv::start(|c, _| {
        c.max_connections = max;
        c.header_read_timeout = Duration::from_secs(1);
        c.body_read_timeout = Duration::from_secs(1);
        c.idle_timeout = Duration::from_secs(3);
    })
    .await
}

/// Everything the server sends until it closes the connection; `None` if it is still open
/// after `DEADLINE`.
async fn until_closed(mut tcp: TcpStream) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(DEADLINE, async {
        let mut buf = [0u8; 4096];
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok().map(|()| got)
}

/// `/healthz` from a new client (a new connection), within the deadline.
async fn health(addr: SocketAddr) {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let r = tokio::time::timeout(DEADLINE, http.get(format!("http://{addr}/healthz")).send())
        .await
        .expect("/healthz answers while clients stall")
        .unwrap();
    assert_eq!(r.status(), 200);
}

async fn connect(addr: SocketAddr, send: &[u8]) -> TcpStream {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    if !send.is_empty() {
        tcp.write_all(send).await.unwrap();
    }
    tcp
}

/// Regression (issue 10): 300 clients that sent half a request line made `/healthz` time out
/// for everyone, and stayed connected for as long as they liked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_clients_are_closed_and_health_checks_keep_answering() {
    let s = short_timeouts(100).await;
    let addr = s.addr();
    let mut half_sent = Vec::new();
    for i in 0..300 {
        half_sent.push(connect(addr, b"GET /heal").await);
        if i % 100 == 99 {
            health(addr).await;
        }
    }
    let body = format!(
        "POST /v1/actions/createLead HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"lastName\"",
        s.admin
    );
    let mut body_stalled = Vec::new();
    for _ in 0..20 {
        body_stalled.push(connect(addr, body.as_bytes()).await);
    }
    let mut silent = Vec::new();
    for _ in 0..20 {
        silent.push(connect(addr, b"").await);
    }
    for _ in 0..3 {
        health(addr).await;
    }

    let started = Instant::now();
    for tcp in body_stalled {
        let got = until_closed(tcp)
            .await
            .expect("a stalled body is timed out");
        let text = String::from_utf8_lossy(&got);
        assert!(text.starts_with("HTTP/1.1 408"), "{text}");
        let json = text.split("\r\n\r\n").nth(1).unwrap_or("");
        let v: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(v["error"]["code"], "REQUEST_TIMEOUT", "{text}");
    }
    for tcp in half_sent {
        let got = until_closed(tcp)
            .await
            .expect("a half-sent request is timed out");
        // Answered 408 when the timeout struck, or simply closed when the connection made room
        // for a newer one: either way, never anything but a 408.
        let text = String::from_utf8_lossy(&got);
        assert!(
            text.is_empty() || text.starts_with("HTTP/1.1 408"),
            "{text}"
        );
    }
    for tcp in silent {
        assert!(
            until_closed(tcp).await.is_some(),
            "a silent connection is closed"
        );
    }
    assert!(started.elapsed() < DEADLINE);
    health(addr).await;
    s.stop().await;
}

/// The header timeout counts from the first byte: a client that sends a byte at a time, each
/// well within the timeout, is still cut off.
#[tokio::test]
async fn headers_sent_a_byte_at_a_time_are_timed_out() {
    let s = short_timeouts(100).await;
    let mut tcp = connect(s.addr(), b"G").await;
    let started = Instant::now();
    let mut closed = false;
    for b in b"ET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: 1234567890123456789012345678901234567890\r\n\r\n" {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if tcp.write_all(&[*b]).await.is_err() {
            closed = true;
            break;
        }
        if started.elapsed() > DEADLINE {
            break;
        }
    }
    if !closed {
        let got = until_closed(tcp).await.expect("closed");
        let text = String::from_utf8_lossy(&got);
        assert!(
            !text.contains("200 OK"),
            "a request that took this long to send is not served: {text}"
        );
    }
    s.stop().await;
}

/// A kept-alive connection lives past the header timeout (it is idle, not slow), and is closed
/// once idle for the idle timeout.
#[tokio::test]
async fn idle_kept_alive_connections_are_closed_after_the_idle_timeout() {
    let s = short_timeouts(100).await;
    let mut tcp = connect(s.addr(), b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let mut buf = vec![0u8; 4096];
    let n = tcp.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    // Longer than the header timeout, shorter than the idle one: still open, still served.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let n = tcp.read(&mut buf).await.unwrap();
    assert!(
        String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
    let got = until_closed(tcp).await.expect("closed once idle");
    assert!(got.is_empty(), "closed without a word: {got:?}");
    s.stop().await;
}

/// A client that asks for answers and never reads them: once the socket takes no more for
/// `send_timeout`, the server closes the connection. Before, such a connection counted as
/// "under way" forever, and the connection limit could never free it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_closed() {
    // Idle connections wait long here: only the send timeout can close this one in time.
    let s = Srv::start(|c, _| {
        c.idle_timeout = Duration::from_secs(120);
        c.send_timeout = Duration::from_secs(1);
    })
    .await;
    let addr = s.addr();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    // A small window, so the answers back up quickly.
    socket.set_recv_buffer_size(4096).unwrap();
    let mut tcp = socket.connect(addr).await.unwrap();
    // Many pipelined requests for the catalog (tens of kilobytes each): megabytes of answers.
    let one = format!(
        "GET /v1/actions HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\r\n",
        s.admin
    );
    let n = 200;
    tcp.write_all(one.repeat(n).as_bytes()).await.unwrap();
    // Not reading, for longer than the send timeout.
    tokio::time::sleep(Duration::from_secs(4)).await;
    health(addr).await;
    let got = until_closed(tcp)
        .await
        .expect("the server closed the connection of a client that stopped reading");
    let answers = got.windows(12).filter(|w| w == b"HTTP/1.1 200").count();
    assert!(answers < n, "cut short: {answers} of {n} answers");
    s.stop().await;
}
