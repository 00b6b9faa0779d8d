//! Runs a SOQL query and prints every record, one JSON object a line, following every page
//! (`nextRecordsUrl`) and every child subquery's further pages to the end, in constant memory.
//!
//! Settings (environment):
//! - the org: `SF_INSTANCE_URL` + `SF_ACCESS_TOKEN`, or `SF_USERNAME`, `SF_PASSWORD`,
//!   `SF_CLIENT_ID`, `SF_CLIENT_SECRET` (+ `SF_LOGIN_URL`) for the username-password flow;
//! - `SOQL`: the query (default `SELECT Id, Name FROM Account`);
//! - `SF_QUERY_ALL=1`: include deleted and archived records (`queryAll`).
//!
//! Against sfkit's local org (`sfkit emulator --memory --seed demo`, listening on
//! `http://127.0.0.1:8443`):
//!
//! ```text
//! SF_LOGIN_URL=http://127.0.0.1:8443 SF_USERNAME=admin@sfkit.local SF_PASSWORD=sfkit-local \
//! SF_CLIENT_ID=sfkit-local SF_CLIENT_SECRET=sfkit-local-secret \
//!   cargo run -p sfkit-client --example query_every_page
//! ```
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a program that prints"
)]

mod common;

use std::io::Write as _;
use std::process::ExitCode;

use futures_util::{StreamExt as _, TryStreamExt as _};
use sfkit_client::Record;

use common::Failure;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("query_every_page: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Failure> {
    let client = common::client_from_env()?;
    let soql = common::optional("SOQL").unwrap_or_else(|| "SELECT Id, Name FROM Account".into());
    let all = common::optional("SF_QUERY_ALL").is_some_and(|v| v == "1" || v == "true");
    let records = if all {
        client.query_all::<Record>(&soql).left_stream()
    } else {
        client.query::<Record>(&soql).right_stream()
    };
    let mut records = std::pin::pin!(records);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut count = 0u64;
    while let Some(mut record) = records.try_next().await? {
        // `attributes` (type and URL) is Salesforce's bookkeeping, not the record's data.
        record.shift_remove("attributes");
        serde_json::to_writer(&mut out, &record)?;
        out.write_all(b"\n")?;
        count += 1;
    }
    out.flush()?;
    eprintln!("{count} records");
    Ok(())
}
