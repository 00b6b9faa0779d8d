//! Bulk API 2.0 through the client against a local org: a load whose every row's outcome comes
//! back (failures with Salesforce's code and fields), upsert and delete loads, a query streamed
//! page by page, and a failed job as an error.

use std::time::Duration;

use futures_util::TryStreamExt;
use serde_json::{Value, json};
use sfkit_client::{BulkOperation, Error, Record};

use crate::common::{Local, record};

#[tokio::test]
async fn loads_report_every_row_and_queries_stream_every_page() {
    let l = Local::start().await;
    let c = l.client();
    let bulk = c.bulk().poll_interval(Duration::from_millis(10));

    // 250 good rows, one without a name; commas, quotes and newlines survive the CSV.
    let mut rows: Vec<Record> = (0..250)
        .map(|i| {
            record(
                json!({"Name": format!("Bulk {i:03}"), "Industry": "ClientBulk",
                "Description": format!("line \"{i}\",\nsecond line"), "NumberOfEmployees": i}),
            )
        })
        .collect();
    rows.push(record(json!({"Name": null, "Industry": "ClientBulk"})));
    let res = bulk
        .ingest_records("Account", BulkOperation::Insert, &rows)
        .await
        .unwrap();
    assert_eq!(res.jobs.len(), 1, "one load, one job");
    assert_eq!(res.jobs[0].number_records_processed, 251);
    assert_eq!(res.successful.len(), 250);
    assert!(
        res.successful
            .iter()
            .all(|s| s.created && s.id.starts_with("001"))
    );
    assert_eq!(res.failed.len(), 1);
    let f = &res.failed[0];
    assert_eq!(f.id, None);
    assert_eq!(f.errors[0].error_code, "REQUIRED_FIELD_MISSING");
    assert_eq!(f.errors[0].fields, ["Name"]);
    assert_eq!(f.row["Industry"], "ClientBulk");
    assert!(res.unprocessed.is_empty());

    // The query streams 250 records over pages of 100, typed as CSV strings (null when empty).
    let got: Vec<Record> = c
        .bulk()
        .poll_interval(Duration::from_millis(10))
        .page_size(100)
        .query("SELECT Id, Name, Description, NumberOfEmployees, Phone FROM Account WHERE Industry = 'ClientBulk' ORDER BY Name")
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got.len(), 250);
    assert_eq!(got[7]["Name"], "Bulk 007");
    assert_eq!(got[7]["Description"], "line \"7\",\nsecond line");
    assert_eq!(got[7]["NumberOfEmployees"], "7");
    assert_eq!(got[7]["Phone"], Value::Null);
    let api_after_query = c.api_usage().unwrap().used;

    // Delete the first ten by id; query_all still sees them.
    let ids: Vec<Record> = got[..10]
        .iter()
        .map(|r| record(json!({"Id": r["Id"]})))
        .collect();
    let del = bulk
        .ingest_records("Account", BulkOperation::Delete, &ids)
        .await
        .unwrap();
    assert_eq!(del.successful.len(), 10);
    assert!(del.successful.iter().all(|s| !s.created));
    let live: Vec<Record> = bulk
        .query("SELECT Id FROM Account WHERE Industry = 'ClientBulk'")
        .try_collect()
        .await
        .unwrap();
    let all: Vec<Record> = bulk
        .query_all("SELECT Id FROM Account WHERE Industry = 'ClientBulk'")
        .try_collect()
        .await
        .unwrap();
    assert_eq!((live.len(), all.len()), (240, 250));
    assert!(c.api_usage().unwrap().used > api_after_query);

    // Update through CSV: an empty cell leaves a field alone, #N/A clears it.
    let first = &got[10]["Id"];
    let csv = format!(
        "Id,Description,Phone\n{},#N/A,555-0101\n",
        first.as_str().unwrap()
    );
    let up = bulk
        .ingest_csv("Account", BulkOperation::Update, csv.as_bytes())
        .await
        .unwrap();
    assert_eq!(up.successful.len(), 1, "{:?}", up.failed);
    let acct: Record = c
        .sobjects("Account")
        .get(first.as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(acct["Description"], Value::Null);
    assert_eq!(acct["Phone"], "555-0101");
    assert_eq!(acct["Name"], "Bulk 010");
}

#[tokio::test]
async fn failed_jobs_and_bad_queries_are_errors() {
    let l = Local::start().await;
    let c = l.client();
    let bulk = c.bulk().poll_interval(Duration::from_millis(10));
    // A header naming no field fails the whole job.
    let e = bulk
        .ingest_csv("Account", BulkOperation::Insert, b"Name,Nope__c\nA,1\n")
        .await
        .unwrap_err();
    match &e {
        Error::Bulk { state, message, .. } => {
            assert_eq!(state, "Failed");
            assert!(message.contains("Nope__c"), "{message}");
        }
        other => panic!("expected a bulk error, got {other:?}"),
    }
    // Upsert needs an external id field that exists: Salesforce refuses the job.
    let e = bulk
        .ingest_csv(
            "Account",
            BulkOperation::Upsert {
                external_id: "Name".into(),
            },
            b"Name\nA\n",
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Api(_)), "{e:?}");
    let e = bulk
        .query("SELECT Id, (SELECT Id FROM Contacts) FROM Account")
        .try_collect::<Vec<Record>>()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Api(_)), "{e:?}");
}

/// A file past the upload limit loads as several jobs, each streamed from disk, with progress
/// reported along the way; the result files of each job are read a row at a time.
#[tokio::test]
async fn a_file_past_the_upload_limit_loads_in_several_jobs() {
    use sfkit_client::{CsvUpload, LoadProgress, ResultKind};
    use std::sync::{Arc, Mutex};

    let l = Local::start().await;
    let c = l.client();
    let dir = std::env::temp_dir().join(format!("sfkit-client-bulk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("accounts.csv");
    let mut text = String::from("Name,Industry,Description\r\n");
    for i in 0..500 {
        let name = if i == 321 {
            String::new()
        } else {
            format!("Split {i:03}")
        };
        text.push_str(&format!(
            "{name},ClientSplit,\"row {i}, \"\"quoted\"\"\r\nsecond line\"\r\n"
        ));
    }
    std::fs::write(&path, &text).unwrap();
    let upload = CsvUpload::scan_with_limit(&path, 4_000).unwrap();
    assert_eq!(upload.rows(), 500);
    assert!(upload.jobs() >= 5, "{} jobs", upload.jobs());

    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let bulk = c
        .bulk()
        .poll_interval(Duration::from_millis(10))
        .on_progress(move |p| log.lock().unwrap().push(p.clone()));
    let load = bulk
        .load("Account", &BulkOperation::Insert, &upload)
        .await
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(load.failure().is_none());
    assert_eq!(load.jobs.len(), upload.jobs());
    assert_eq!(
        (load.processed(), load.successful(), load.failed()),
        (500, 499, 1)
    );
    assert_eq!(load.columns, ["Name", "Industry", "Description"]);

    // Every row once, across the jobs, cells intact.
    let mut names = Vec::new();
    let mut failed = Vec::new();
    for job in &load.jobs {
        let mut ok = bulk
            .result_rows(&job.info.id, ResultKind::Successful)
            .await
            .unwrap();
        assert_eq!(&ok.header()[0], b"sf__Id");
        while let Some(row) = ok.next().await.unwrap() {
            names.push(String::from_utf8(row[2].to_vec()).unwrap());
            assert!(row[4].ends_with(b"\"quoted\"\r\nsecond line"), "{row:?}");
        }
        let mut bad = bulk
            .result_rows(&job.info.id, ResultKind::Failed)
            .await
            .unwrap();
        while let Some(row) = bad.next().await.unwrap() {
            failed.push(String::from_utf8(row[4].to_vec()).unwrap());
        }
    }
    names.sort();
    let mut expected: Vec<String> = (0..500)
        .filter(|i| *i != 321)
        .map(|i| format!("Split {i:03}"))
        .collect();
    expected.sort();
    assert_eq!(names, expected);
    assert_eq!(failed, ["row 321, \"quoted\"\r\nsecond line"]);

    // Progress: uploads that grow to every row, then status checks ending with all processed.
    let seen = seen.lock().unwrap();
    let uploaded: Vec<u64> = seen
        .iter()
        .filter_map(|p| match p {
            LoadProgress::Uploaded { rows, total } => {
                assert_eq!(*total, 500);
                Some(*rows)
            }
            _ => None,
        })
        .collect();
    assert!(uploaded.windows(2).all(|w| w[0] <= w[1]), "{uploaded:?}");
    assert_eq!(uploaded.last(), Some(&500));
    match seen.last() {
        Some(LoadProgress::Status {
            state, processed, ..
        }) => {
            assert_eq!((state.as_str(), *processed), ("JobComplete", 500));
        }
        other => panic!("last progress: {other:?}"),
    }
}
