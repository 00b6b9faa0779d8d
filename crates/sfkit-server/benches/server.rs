//! 25 concurrent callers of getAccount: through the server's `/v1/actions` against the local
//! org, and the same reads made directly with the client in this process, alternating, in one
//! run. Target: the server sustains at least half the direct throughput. Reports throughput and
//! p50/p99 latency of each side.
//!
//! `cargo bench -p sfkit-server --bench server` (3 s a round, 4 rounds); under
//! `cargo test --benches` it runs a short smoke round and judges nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sfkit_client::Client;
use sfkit_client::auth::Password;
use sfkit_server::{Server, ServerConfig, ServerHandle};
use sfkit_store::{Cipher, Scope};

const CALLERS: usize = 25;

struct Round {
    calls: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

fn pct(v: &mut [Duration], q: f64) -> Duration {
    v.sort();
    v[((v.len() - 1) as f64 * q).round() as usize]
}

async fn round<F, Fut>(duration: Duration, call: F) -> Round
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let start = Instant::now();
    let tasks: Vec<_> = (0..CALLERS)
        .map(|_| {
            let call = call.clone();
            tokio::spawn(async move {
                let mut lat = Vec::new();
                while start.elapsed() < duration {
                    let t = Instant::now();
                    call().await;
                    lat.push(t.elapsed());
                }
                lat
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    Round {
        calls: latencies.len(),
        elapsed: start.elapsed(),
        latencies,
    }
}

fn main() {
    let smoke = !std::env::args().any(|a| a == "--bench");
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let dir = std::env::temp_dir().join(format!("sfkit-server-bench-{}", std::process::id()));
        let setup = Setup::start(&dir).await;
        let (secs, rounds) = if smoke { (0.2, 1) } else { (3.0, 2) };
        let (mut direct_rounds, mut server_rounds) = measure(&setup, secs, rounds).await;
        report(&mut direct_rounds, &mut server_rounds, secs, rounds, smoke);
        setup.server.shutdown().await;
        let _ = std::fs::remove_dir_all(&dir);
    });
}

/// The server on the local org, its API key, and the account both sides read.
struct Setup {
    server: ServerHandle,
    base: String,
    key: String,
    http: reqwest::Client,
    client: Client,
    id: String,
}

impl Setup {
    /// Starts the server with its local org under `dir`, creates the account through it, and
    /// logs a client in to the same org.
    async fn start(dir: &Path) -> Self {
        let store = sfkit_store::open(
            "sqlite::memory:",
            Cipher::from_base64(&Cipher::generate().unwrap()).unwrap(),
        )
        .await
        .unwrap();
        let (_, key) = store
            .create_api_key("bench", Scope::default())
            .await
            .unwrap();
        let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), Arc::clone(&store));
        config.local_org_dir = Some(dir.join("org"));
        config.rate_per_key = 1e9;
        let server = Server::start(config).await.unwrap();
        let base = server.url().to_owned();
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(CALLERS)
            .build()
            .unwrap();
        let made: Value = http
            .post(format!("{base}/v1/actions/createAccount"))
            .bearer_auth(&key)
            .json(&json!({"name": "Bench Co", "industry": "Energy", "annualRevenue": 1000000}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = made["id"].as_str().unwrap().to_owned();
        let (_, conns) = (
            (),
            http.get(format!("{base}/v1/connections"))
                .bearer_auth(&key)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap(),
        );
        let org = conns["connections"][0]["instanceUrl"]
            .as_str()
            .unwrap()
            .to_owned();
        let client = Client::builder()
            .token_source(
                Password::new(
                    "sfkit-local",
                    "sfkit-local-secret",
                    "admin@sfkit.local",
                    "sfkit-local",
                )
                .login_url(org),
            )
            .build()
            .unwrap();
        Setup {
            server,
            base,
            key,
            http,
            client,
            id,
        }
    }
}

/// Warms up both paths, then `rounds * 2` rounds of `secs` each side, alternating which goes
/// first: the direct rounds and the server's.
async fn measure(setup: &Setup, secs: f64, rounds: usize) -> (Vec<Round>, Vec<Round>) {
    let Setup {
        base,
        key,
        http,
        client,
        id,
        ..
    } = setup;
    let direct = {
        let (client, id) = (client.clone(), id.clone());
        move || {
            let (client, id) = (client.clone(), id.clone());
            async move {
                let r: Value = client.sobjects("Account").get(&id).await.unwrap();
                assert_eq!(r["Name"], "Bench Co");
            }
        }
    };
    let via_server = {
        let (http, base, key, id) = (http.clone(), base.clone(), key.clone(), id.clone());
        move || {
            let (http, url, key, id) = (
                http.clone(),
                format!("{base}/v1/actions/getAccount"),
                key.clone(),
                id.clone(),
            );
            async move {
                let r = http
                    .post(url)
                    .bearer_auth(key)
                    .json(&json!({ "id": id }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                let v: Value = r.json().await.unwrap();
                assert_eq!(v["Name"], "Bench Co");
            }
        }
    };
    let d = Duration::from_secs_f64(secs);
    // Warm up both paths.
    round(Duration::from_millis(300), direct.clone()).await;
    round(Duration::from_millis(300), via_server.clone()).await;
    let mut direct_rounds = Vec::new();
    let mut server_rounds = Vec::new();
    for i in 0..rounds * 2 {
        if i % 2 == 0 {
            direct_rounds.push(round(d, direct.clone()).await);
            server_rounds.push(round(d, via_server.clone()).await);
        } else {
            server_rounds.push(round(d, via_server.clone()).await);
            direct_rounds.push(round(d, direct.clone()).await);
        }
    }
    (direct_rounds, server_rounds)
}

/// Prints one side's row of the table: calls, throughput, p50 and p99; returns the throughput.
fn summarize(name: &str, rs: &mut [Round]) -> f64 {
    let calls: usize = rs.iter().map(|r| r.calls).sum();
    let secs: f64 = rs.iter().map(|r| r.elapsed.as_secs_f64()).sum();
    let mut lat: Vec<Duration> = rs.iter_mut().flat_map(|r| r.latencies.drain(..)).collect();
    let (p50, p99) = (pct(&mut lat, 0.5), pct(&mut lat, 0.99));
    let rate = calls as f64 / secs;
    println!(
        "   | {name} | {calls} | {rate:.0}/s | {:.2} ms | {:.2} ms |",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
    rate
}

/// The table of both sides and the server / direct ratio against the target.
fn report(
    direct_rounds: &mut [Round],
    server_rounds: &mut [Round],
    secs: f64,
    rounds: usize,
    smoke: bool,
) {
    println!(
        "\n{CALLERS} concurrent callers of getAccount, {} rounds of {secs} s each side, alternating",
        rounds * 2
    );
    println!("   | path | calls | throughput | p50 | p99 |");
    let direct_rate = summarize("client, in process", direct_rounds);
    let server_rate = summarize("server /v1/actions", server_rounds);
    let ratio = server_rate / direct_rate;
    if smoke {
        println!("   server / direct: {ratio:.2} (a smoke run judges nothing)");
    } else {
        println!(
            "   server / direct: {ratio:.2} (target >= 0.5: {})",
            if ratio >= 0.5 { "met" } else { "MISSED" }
        );
    }
}
