//! `sfkit emulator`: run the local Salesforce org until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use sfkit_emulator::{
    ADMIN_USERNAME, CLIENT_ID, CLIENT_SECRET, FaultSpec, Org, OrgConfig, PASSWORD, VIEWER_USERNAME,
};

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  sfkit emulator --tls --seed demo\n  sfkit emulator --memory --addr 127.0.0.1:0 --schema invoices.toml\n  sfkit emulator --faults 'latency=200ms@0.1,503@0.05' --token-ttl 5m"
)]
pub(crate) struct EmulatorArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8443")]
    addr: SocketAddr,
    /// Keep nothing: the data vanish when the org stops (otherwise they live in the data
    /// directory's `org/`, the same org every sfkit command uses).
    #[arg(long)]
    memory: bool,
    /// Sample data: `demo` loads a realistic, deterministic org (once per data directory).
    #[arg(long, value_name = "demo|none", default_value = "none", value_parser = ["demo", "none"])]
    seed: String,
    /// Inject faults into API calls, e.g. `latency=200ms@0.1,503@0.05,expire@0.01,lock@0.02`.
    #[arg(long, value_name = "SPEC", value_parser = parse_faults)]
    faults: Option<FaultSpec>,
    /// Serve the admin endpoint `/_sfkit/faults` (GET shows, PUT replaces the fault spec).
    #[arg(long)]
    admin: bool,
    /// Serve HTTPS with the org's own certificate authority (clients must trust its ca.pem).
    #[arg(long)]
    tls: bool,
    /// Schema files (TOML) declaring custom objects and fields. They are kept with the org's
    /// data, so the objects exist for every later command; giving a file of the same name
    /// again replaces the kept copy.
    #[arg(long, value_name = "FILE")]
    schema: Vec<PathBuf>,
    /// How long access tokens live, e.g. 30s, 15m, 2h.
    #[arg(long, value_name = "DURATION", default_value = "2h", value_parser = parse_duration)]
    token_ttl: Duration,
    /// API requests allowed per day before REQUEST_LIMIT_EXCEEDED.
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    daily_api_limit: u64,
}

/// `500ms`, `5s`, `15m`, `2h`, `1d`; a bare number is seconds.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 30s, 15m or 2h"))?;
    let secs = |k: u64| n.checked_mul(k).map(Duration::from_secs);
    let d = match unit {
        "ms" => Some(Duration::from_millis(n)),
        "" | "s" => secs(1),
        "m" => secs(60),
        "h" => secs(3600),
        "d" => secs(86_400),
        _ => None,
    };
    d.filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{s:?} is not a duration like 30s, 15m or 2h"))
}

fn parse_faults(s: &str) -> Result<FaultSpec, String> {
    FaultSpec::parse(s)
}

pub(crate) fn run(data_dir: &std::path::Path, args: EmulatorArgs) -> anyhow::Result<ExitCode> {
    let dir = (!args.memory).then(|| data_dir.join("org"));
    crate::runtime::block_on(serve(dir, args))?
}

async fn serve(dir: Option<PathBuf>, args: EmulatorArgs) -> anyhow::Result<ExitCode> {
    let mut config = OrgConfig::default()
        .addr(args.addr)
        .token_ttl(args.token_ttl)
        .daily_api_limit(args.daily_api_limit)
        .tls(args.tls)
        .seed_demo(args.seed == "demo")
        .faults(args.faults.clone().unwrap_or_default())
        .admin(args.admin);
    if let Some(dir) = &dir {
        // Its database holds live tokens: say so if others may read it.
        let files = crate::keys::org_files(dir);
        sfkit_store::private::warn_exposed(files.iter().map(std::path::PathBuf::as_path));
        config = config.data_dir(dir);
    }
    for path in &args.schema {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading schema file {}", path.display()))?;
        config = config.schema(text, path.display().to_string());
    }
    let org = match Org::start(config).await {
        Ok(org) => org,
        Err(e @ sfkit_emulator::Error::InUse { .. }) => {
            // Another process serves this org already: every command uses it from there.
            eprintln!("sfkit: {e}");
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => return Err(e).context("starting the local org"),
    };
    println!("sfkit local org listening on {}", org.url());
    println!(
        "  users:     {ADMIN_USERNAME} (full access), {VIEWER_USERNAME} (read only); password {PASSWORD}"
    );
    println!("  OAuth app: client id {CLIENT_ID}, secret {CLIENT_SECRET}");
    println!("  token URL: {}/services/oauth2/token", org.url());
    let jwt = org.jwt_files().context("preparing the JWT bearer key")?;
    println!(
        "  JWT key:   {} (sign RS256 assertions; certificate {})",
        jwt.key_pem.display(),
        jwt.cert_pem.display()
    );
    if let Some(ca) = org.ca_pem() {
        println!(
            "  trust:     {} (REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS or SSL_CERT_FILE)",
            ca.display()
        );
    }
    if let Some(f) = &args.faults {
        println!("  faults:    {f}");
    }
    match &dir {
        Some(d) => println!(
            "  data:      {} (other sfkit commands on this data directory use this org)",
            d.display()
        ),
        None => println!("  data:      in memory (nothing is kept)"),
    }
    crate::runtime::shutdown_signal().await;
    println!("sfkit local org stopping");
    org.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
