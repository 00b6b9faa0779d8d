//! Prometheus text: requests by route and status, latency histograms by route, and each
//! connection's Salesforce API usage (from `Sforce-Limit-Info`).

use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Debug, Default)]
struct Histogram {
    counts: [u64; 10],
    count: u64,
    sum: f64,
}

#[derive(Debug, Default)]
pub(crate) struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
}

impl Metrics {
    pub(crate) fn record(&self, route: &str, status: u16, took: Duration) {
        *self
            .requests
            .lock()
            .entry((route.to_owned(), status))
            .or_default() += 1;
        let secs = took.as_secs_f64();
        let mut lat = self.latency.lock();
        let h = lat.entry(route.to_owned()).or_default();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b
                && let Some(c) = h.counts.get_mut(i)
            {
                *c += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    /// The exposition text; `usage` is (connection, used, max) per connection.
    pub(crate) fn render(&self, usage: &[(String, u64, u64)]) -> String {
        let mut out = String::new();
        out.push_str("# HELP sfkit_requests_total Requests by route and status.\n");
        out.push_str("# TYPE sfkit_requests_total counter\n");
        for ((route, status), n) in self.requests.lock().iter() {
            let _ = writeln!(
                out,
                "sfkit_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP sfkit_request_duration_seconds Request latency by route.\n");
        out.push_str("# TYPE sfkit_request_duration_seconds histogram\n");
        for (route, h) in self.latency.lock().iter() {
            for (b, c) in BUCKETS.iter().zip(h.counts.iter()) {
                let _ = writeln!(
                    out,
                    "sfkit_request_duration_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {c}"
                );
            }
            let _ = writeln!(
                out,
                "sfkit_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "sfkit_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "sfkit_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        out.push_str("# HELP sfkit_salesforce_api_requests_used Daily API requests used, per connection, as Salesforce last reported.\n");
        out.push_str("# TYPE sfkit_salesforce_api_requests_used gauge\n");
        for (conn, used, _) in usage {
            let _ = writeln!(
                out,
                "sfkit_salesforce_api_requests_used{{connection=\"{conn}\"}} {used}"
            );
        }
        out.push_str("# HELP sfkit_salesforce_api_requests_max Daily API request allowance, per connection.\n");
        out.push_str("# TYPE sfkit_salesforce_api_requests_max gauge\n");
        for (conn, _, max) in usage {
            let _ = writeln!(
                out,
                "sfkit_salesforce_api_requests_max{{connection=\"{conn}\"}} {max}"
            );
        }
        out
    }
}
