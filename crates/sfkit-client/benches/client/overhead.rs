//! Part 1, **overhead**: one request through `sfkit_client::Client` against the same request
//! sent with a bare `reqwest::Client`, every side decoding the same shape (see the bench's top).

use super::*;

// ---------------------------------------------------------------------------------------------
// 1. Overhead per request: sfkit_client::Client against bare reqwest

/// What one side of the comparison sends.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Request {
    /// `GET /services/data/v66.0/limits/`, a small answer the org builds without SQLite.
    Limits,
    /// `GET /services/data/v66.0/sobjects/Account/{id}`, one record read from SQLite.
    Record,
}

/// Who sends it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Via {
    /// `sfkit_client::Client` (`limits()`, `sobjects("Account").get::<Record>`).
    Sfkit,
    /// A `reqwest::Client` built here, bearer header set by hand: its own connection.
    Bare,
    /// A second one built the same way: the control, to show the method's noise floor.
    BareControl,
    /// The `reqwest::Client` inside the sfkit client (`Client::http()`), called bare: the same
    /// connection, TLS setup, timeouts and user agent, without sfkit's layer.
    SfkitHttp,
}

pub(super) const VIAS: [Via; 4] = [Via::Sfkit, Via::Bare, Via::BareControl, Via::SfkitHttp];

pub(super) fn via_name(v: Via) -> &'static str {
    match v {
        Via::Sfkit => "sfkit Client",
        Via::Bare => "bare reqwest::Client",
        Via::BareControl => "(control: a second bare reqwest::Client)",
        Via::SfkitHttp => "(bare call through Client::http())",
    }
}

/// `/limits` decoded the way `Client::limits` decodes it.
#[derive(serde::Deserialize)]
pub(super) struct BareLimit {
    #[serde(rename = "Max", default)]
    pub(super) max: i64,
    #[serde(rename = "Remaining", default)]
    pub(super) remaining: i64,
}

pub(super) struct Sides {
    pub(super) client: Client,
    pub(super) bare: reqwest::Client,
    pub(super) control: reqwest::Client,
    pub(super) url: String,
    pub(super) token: String,
    pub(super) id: String,
}

impl Sides {
    async fn run(&self, request: Request, via: Via) {
        let http = match via {
            Via::Sfkit => return self.sfkit(request).await,
            Via::Bare => &self.bare,
            Via::BareControl => &self.control,
            Via::SfkitHttp => self.client.http(),
        };
        match request {
            Request::Limits => {
                let bytes = self
                    .bare_get(http, format!("{}/services/data/v{API}/limits/", self.url))
                    .await;
                let limits: BTreeMap<String, BareLimit> =
                    serde_json::from_slice(bytes.as_ref()).expect("limits JSON");
                assert!(limits.contains_key("DailyApiRequests"));
                black_box(limits.values().map(|l| l.max + l.remaining).sum::<i64>());
            }
            Request::Record => {
                let bytes = self
                    .bare_get(
                        http,
                        format!(
                            "{}/services/data/v{API}/sobjects/Account/{}",
                            self.url, self.id
                        ),
                    )
                    .await;
                let record: Map<String, Value> =
                    serde_json::from_slice(bytes.as_ref()).expect("record JSON");
                assert_eq!(record["Id"], self.id.as_str());
                black_box(record);
            }
        }
    }

    async fn sfkit(&self, request: Request) {
        match request {
            Request::Limits => {
                let limits = self.client.limits().await.expect("sfkit limits");
                assert!(limits.contains_key("DailyApiRequests"));
                black_box(limits);
            }
            Request::Record => {
                let record: Record = self
                    .client
                    .sobjects("Account")
                    .get(&self.id)
                    .await
                    .expect("sfkit get");
                assert_eq!(record["Id"], self.id.as_str());
                black_box(record);
            }
        }
    }

    async fn bare_get(&self, http: &reqwest::Client, url: String) -> impl AsRef<[u8]> {
        let resp = http
            .get(url)
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("bare request");
        assert!(resp.status().is_success(), "bare status {}", resp.status());
        resp.bytes().await.expect("bare body")
    }
}

pub(super) struct OverheadResult {
    /// Per request, per side (in `VIAS` order): the times of every iteration.
    pub(super) times: Vec<(Request, Vec<Vec<Duration>>)>,
}

impl OverheadResult {
    fn of(&self, request: Request, via: Via) -> &[Duration] {
        let (_, sides) = self
            .times
            .iter()
            .find(|(r, _)| *r == request)
            .expect("measured");
        &sides[VIAS.iter().position(|v| *v == via).expect("a side")]
    }
}

pub(super) fn bare_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .expect("bare reqwest client")
}

pub(super) async fn overhead(scale: &Scale) -> OverheadResult {
    use rand::SeedableRng as _;
    use rand::seq::SliceRandom as _;

    eprintln!("overhead per request ...");
    let org = Org::start(OrgConfig::default())
        .await
        .expect("start the org");
    let store = org.store().clone();
    let id = store
        .insert(&admin(&store), "Account", &account(42))
        .expect("insert an Account");
    let token = org.mint_token(ADMIN_USERNAME).expect("a token");
    let url = org.url().to_owned();
    let client = Client::builder()
        .token_source(StaticToken::new(token.clone(), url.clone()))
        .build()
        .expect("sfkit client");
    // reqwest's rustls backend is built without a provider: use aws-lc-rs, as the client does.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let sides = Sides {
        client,
        bare: bare_client(),
        control: bare_client(),
        url,
        token,
        id,
    };
    let mut all: Vec<(Request, Via)> = [Request::Limits, Request::Record]
        .into_iter()
        .flat_map(|r| VIAS.map(|v| (r, v)))
        .collect();
    for _ in 0..scale.overhead_warmup {
        for &(r, v) in &all {
            sides.run(r, v).await;
        }
    }
    // Every iteration runs each side once, in a new random order: which side runs first, and
    // which connection was used just before, changes the time (by 10 µs and more), so no side
    // may keep a fixed place.
    let mut rng = rand::rngs::StdRng::seed_from_u64(4);
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); all.len()];
    let index = all.clone();
    for _ in 0..scale.overhead_iters {
        all.shuffle(&mut rng);
        for &(r, v) in &all {
            let t = Instant::now();
            sides.run(r, v).await;
            let k = index.iter().position(|s| *s == (r, v)).expect("a side");
            times[k].push(t.elapsed());
        }
    }
    drop(sides);
    org.shutdown().await;
    let mut times = times.into_iter();
    let times = [Request::Limits, Request::Record]
        .into_iter()
        .map(|r| (r, times.by_ref().take(VIAS.len()).collect()))
        .collect();
    OverheadResult { times }
}

pub(super) fn report_overhead(scale: &Scale, o: &OverheadResult) {
    println!();
    println!(
        "1. overhead per request: in-process org over plain HTTP, {} iterations of each side (after {} warm-up), sides in a random order each iteration, JSON decoded on every side into the same shape",
        scale.overhead_iters, scale.overhead_warmup
    );
    println!("   | request | side | median | p10 | p90 |");
    for (request, name) in [
        (Request::Limits, "GET /limits"),
        (Request::Record, "GET /sobjects/Account/{id}"),
    ] {
        for via in VIAS {
            let s = stats(o.of(request, via).to_vec());
            println!(
                "   | {name} | {} | {} | {} | {} |",
                via_name(via),
                us(s.median),
                us(s.p10),
                us(s.p90)
            );
        }
    }
    for (request, name) in [(Request::Limits, "limits"), (Request::Record, "record GET")] {
        let ratio = |a: Via, b: Via| {
            let (a, b) = (o.of(request, a), o.of(request, b));
            let (sa, sb) = (stats(a.to_vec()), stats(b.to_vec()));
            let paired = median_f64(
                a.iter()
                    .zip(b)
                    .map(|(a, b)| a.as_secs_f64() / b.as_secs_f64())
                    .collect(),
            );
            (
                sa.median.as_secs_f64() / sb.median.as_secs_f64(),
                (sa.median.as_secs_f64() - sb.median.as_secs_f64()) * 1e6,
                paired,
                sa.p90.as_secs_f64() / sb.p90.as_secs_f64(),
            )
        };
        let show = |what: &str, (r, d, p, p90): (f64, f64, f64, f64)| {
            format!("{what} {r:.3}x ({d:+.1} µs; paired {p:.3}x; p90 {p90:.3}x)")
        };
        let vs_bare = ratio(Via::Sfkit, Via::Bare);
        let vs_http = ratio(Via::Sfkit, Via::SfkitHttp);
        println!(
            "   {name}: {}; {}; {} (target <= 1.10x: {})",
            show("sfkit / bare", vs_bare),
            show("sfkit / its own reqwest bare", vs_http),
            show("control / bare", ratio(Via::BareControl, Via::Bare)),
            verdict(scale, vs_bare.0 <= 1.10 && vs_http.0 <= 1.10)
        );
    }
}
