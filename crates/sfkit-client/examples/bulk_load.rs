//! Loads a CSV file into an object with Bulk API 2.0: the file is scanned once, split into
//! jobs past Salesforce's upload limit, streamed from disk, and waited for; then every refused
//! row is printed with Salesforce's reason.
//!
//! Settings (environment):
//! - the org: `SF_INSTANCE_URL` + `SF_ACCESS_TOKEN`, or `SF_USERNAME`, `SF_PASSWORD`,
//!   `SF_CLIENT_ID`, `SF_CLIENT_SECRET` (+ `SF_LOGIN_URL`) for the username-password flow;
//! - `BULK_OBJECT`: the object, e.g. `Account`;
//! - `BULK_FILE`: the CSV file, a header row of field API names first;
//! - `BULK_OPERATION`: `insert` (default), `update`, `upsert:<ExternalIdField>`, `delete` or
//!   `hardDelete`.
//!
//! ```text
//! SF_INSTANCE_URL=https://example.my.salesforce.com SF_ACCESS_TOKEN=00D... \
//!   BULK_OBJECT=Account BULK_FILE=accounts.csv cargo run -p sfkit-client --example bulk_load
//! ```
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a program that prints"
)]

mod common;

use std::process::ExitCode;

use sfkit_client::{BulkFailure, BulkOperation, CsvUpload, LoadProgress, ResultKind};

use common::Failure;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("bulk_load: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `BULK_OPERATION`'s value as an operation.
fn operation(text: &str) -> Result<BulkOperation, Failure> {
    Ok(match text {
        "insert" => BulkOperation::Insert,
        "update" => BulkOperation::Update,
        "delete" => BulkOperation::Delete,
        "hardDelete" => BulkOperation::HardDelete,
        other => match other.strip_prefix("upsert:") {
            Some(field) if !field.is_empty() => BulkOperation::Upsert {
                external_id: field.to_owned(),
            },
            _ => {
                return Err(format!(
                    "BULK_OPERATION={other:?}: use insert, update, upsert:<ExternalIdField>, \
                     delete or hardDelete"
                )
                .into());
            }
        },
    })
}

async fn run() -> Result<ExitCode, Failure> {
    let client = common::client_from_env()?;
    let object = common::var("BULK_OBJECT", "the object to load, e.g. Account")?;
    let file = common::var("BULK_FILE", "the CSV file to load")?;
    let operation = operation(&common::optional("BULK_OPERATION").unwrap_or("insert".into()))?;

    let csv = CsvUpload::scan(&file)?;
    eprintln!("{file}: {} rows in {} job(s)", csv.rows(), csv.jobs());
    let bulk = client.bulk().on_progress(|p| {
        if let LoadProgress::Status {
            job,
            state,
            processed,
            total,
        } = p
        {
            eprintln!("job {job}: {state}, {processed} of {total} rows processed");
        }
    });
    let load = bulk.load(&object, &operation, &csv).await?;
    if let Some(e) = load.failure() {
        return Err(e.into());
    }
    println!(
        "{} rows saved, {} refused",
        load.successful(),
        load.failed()
    );
    for job in load
        .jobs
        .iter()
        .filter(|j| j.info.number_records_failed > 0)
    {
        let mut failed = bulk.result_rows(&job.info.id, ResultKind::Failed).await?;
        let header: Vec<String> = failed
            .header()
            .iter()
            .map(|h| String::from_utf8_lossy(h).into_owned())
            .collect();
        while let Some(row) = failed.next().await? {
            let failure = BulkFailure::from_row(&header, &row);
            let why: Vec<String> = failure
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.error_code, e.message))
                .collect();
            println!(
                "refused {}: {}",
                serde_json::to_string(&failure.row)?,
                why.join("; ")
            );
        }
    }
    Ok(if load.failed() > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
