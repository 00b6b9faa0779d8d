//! Bulk API 2.0 over real HTTP: ingest jobs (insert, update, upsert by external id and by a
//! parent's external id, delete), their result files, a job whose header names an unknown field,
//! the viewer's rows refused, CSV dialects; query jobs paged by `Sforce-Locator`; job errors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::common;

use std::time::{Duration, Instant};

use common::{TestOrg, V, data, data_v};
use reqwest::Method;
use serde_json::{Value, json};
use sfkit_emulator::{OrgConfig, VIEWER_USERNAME};

/// Widgets with a unique external id, and parts that look up their widget.
const SCHEMA: &str = r#"
[[object]]
name = "Widget__c"
label = "Widget"
prefix = "a0W"

[[object.fields]]
name = "Sku__c"
type = "string"
length = 40
external_id = true
unique = true

[[object.fields]]
name = "Color__c"
type = "string"
length = 40

[[object]]
name = "Part__c"
label = "Part"
prefix = "a0P"

[[object.fields]]
name = "Widget__c"
type = "reference"
to = ["Widget__c"]
relationship = "Widget__r"
children = "Parts__r"
"#;

async fn org() -> TestOrg {
    TestOrg::start_with(OrgConfig::default().schema(SCHEMA, "bulk.toml")).await
}

/// A CSV answer: status, headers and rows (the header row first).
struct Csv {
    status: u16,
    headers: reqwest::header::HeaderMap,
    rows: Vec<Vec<String>>,
    raw: String,
}

fn parse_csv(text: &str, delimiter: u8) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

impl TestOrg {
    async fn put_csv(&self, token: &str, path: &str, body: &str) -> u16 {
        self.http
            .put(self.url(path))
            .bearer_auth(token)
            .header("Content-Type", "text/csv")
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    async fn get_csv(&self, path: &str, delimiter: u8) -> Csv {
        let resp = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.token)
            .header("Accept", "text/csv")
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let raw = resp.text().await.unwrap();
        let rows = if status == 200 {
            parse_csv(&raw, delimiter)
        } else {
            Vec::new()
        };
        Csv {
            status,
            headers,
            rows,
            raw,
        }
    }

    /// Creates, fills and closes an ingest job as `token`'s user; waits for it to finish and
    /// returns its final info.
    async fn ingest_as(&self, token: &str, job: Value, csv: &str) -> Value {
        let created = self
            .send(
                Method::POST,
                &data("/jobs/ingest"),
                Some(&format!("Bearer {token}")),
                Some(job.to_string()),
                &[],
            )
            .await
            .expect(200);
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(created["state"], "Open");
        assert_eq!(
            self.put_csv(token, &data(&format!("/jobs/ingest/{id}/batches")), csv)
                .await,
            201
        );
        let closed = self
            .send(
                Method::PATCH,
                &data(&format!("/jobs/ingest/{id}")),
                Some(&format!("Bearer {token}")),
                Some(json!({"state": "UploadComplete"}).to_string()),
                &[],
            )
            .await
            .expect(200);
        assert_eq!(closed["state"], "UploadComplete");
        self.wait(&format!("/jobs/ingest/{id}")).await
    }

    /// A new, open insert job on Account; its id.
    async fn new_insert_job(&self) -> String {
        self.post(
            &data("/jobs/ingest"),
            &json!({"object": "Account", "operation": "insert"}),
        )
        .await
        .expect(200)["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Asserts a job's only failed row failed with an `sf__Error` starting `prefix`.
    async fn expect_failure(&self, id: &str, delimiter: u8, prefix: &str) {
        let bad = self
            .get_csv(
                &data(&format!("/jobs/ingest/{id}/failedResults")),
                delimiter,
            )
            .await;
        assert_eq!(bad.rows.len(), 2, "{:?}", bad.rows);
        assert!(bad.rows[1][1].starts_with(prefix), "{:?}", bad.rows);
    }

    async fn ingest(&self, job: Value, csv: &str) -> Value {
        let token = self.token.clone();
        self.ingest_as(&token, job, csv).await
    }

    /// Polls a job until it is finished.
    async fn wait(&self, job_path: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let info = self.get(&data(job_path)).await.expect(200);
            match info["state"].as_str().unwrap() {
                "JobComplete" | "Failed" | "Aborted" => return info,
                _ => {
                    assert!(Instant::now() < deadline, "job never finished: {info}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    }
}

fn column<'a>(rows: &'a [Vec<String>], name: &str) -> Vec<&'a str> {
    let at = rows[0].iter().position(|h| h == name).unwrap();
    rows[1..].iter().map(|r| r[at].as_str()).collect()
}

#[tokio::test]
async fn an_insert_job_keeps_good_rows_and_reports_each_bad_one() {
    let t = org().await;
    let csv = "Name,Industry,AnnualRevenue,Description\n\
               Bulk One,Bulkland,1000,plain\n\
               Bulk Two,Bulkland,2500.5,\"has, a comma\nand a newline\"\n\
               ,Bulkland,10,no name\n\
               Bulk Three,Bulkland,,\"quote \"\"inside\"\"\"\n";
    check_created_job_info_and_delete(&t).await;

    let info = t
        .ingest(json!({"object": "Account", "operation": "insert"}), csv)
        .await;
    assert_eq!(info["state"], "JobComplete", "{info}");
    assert_eq!(info["numberRecordsProcessed"], 4);
    assert_eq!(info["numberRecordsFailed"], 1);
    let id = info["id"].as_str().unwrap();
    check_insert_successful_results(&t, id).await;
    check_insert_failed_results(&t, id).await;
    check_inserted_rows_are_in_the_org(&t).await;
    check_insert_left_nothing_unprocessed(&t, id).await;
}

/// The job info's shape clients rely on; a job that is never uploaded can be deleted.
async fn check_created_job_info_and_delete(t: &TestOrg) {
    let created = t
        .post(
            &data("/jobs/ingest"),
            &json!({"object": "Account", "operation": "insert", "lineEnding": "LF"}),
        )
        .await
        .expect(200);
    // The job info's shape clients rely on.
    assert_eq!(created["jobType"], "V2Ingest");
    assert_eq!(created["apiVersion"], json!(66.0));
    let id = created["id"].as_str().unwrap();
    assert!(id.starts_with("750") && id.len() == 18, "{id}");
    assert_eq!(
        created["contentUrl"],
        format!("services/data/v{V}/jobs/ingest/{id}/batches")
    );
    assert_eq!(created["columnDelimiter"], "COMMA");
    t.delete(&data(&format!("/jobs/ingest/{id}")))
        .await
        .expect(204);
}

/// The insert job's successful results: its CSV header and the rows as sent.
async fn check_insert_successful_results(t: &TestOrg, id: &str) {
    let ok = t
        .get_csv(
            &data(&format!("/jobs/ingest/{id}/successfulResults/")),
            b',',
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.raw);
    assert!(
        ok.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert_eq!(
        ok.rows[0],
        [
            "sf__Id",
            "sf__Created",
            "Name",
            "Industry",
            "AnnualRevenue",
            "Description"
        ]
    );
    assert_eq!(ok.rows.len(), 4);
    assert_eq!(column(&ok.rows, "sf__Created"), ["true", "true", "true"]);
    assert_eq!(
        column(&ok.rows, "Description"),
        ["plain", "has, a comma\nand a newline", "quote \"inside\""]
    );
}

/// The insert job's failed results: the row without a name, with its error.
async fn check_insert_failed_results(t: &TestOrg, id: &str) {
    let bad = t
        .get_csv(&data(&format!("/jobs/ingest/{id}/failedResults/")), b',')
        .await;
    assert_eq!(bad.rows[0][..2], ["sf__Id", "sf__Error"]);
    assert_eq!(bad.rows.len(), 2);
    assert_eq!(bad.rows[1][0], "", "a failed insert has no id");
    let err = &bad.rows[1][1];
    assert!(
        err.starts_with("REQUIRED_FIELD_MISSING:") && err.ends_with(":Name --"),
        "{err}"
    );
    assert_eq!(bad.rows[1][5], "no name");
}

/// The rows are in the org, with their types.
async fn check_inserted_rows_are_in_the_org(t: &TestOrg) {
    let q = t
        .get(&data(
            "/query?q=SELECT+Name,+AnnualRevenue,+Description+FROM+Account+WHERE+Industry+=+'Bulkland'+ORDER+BY+Name",
        ))
        .await
        .expect(200);
    assert_eq!(q["totalSize"], 3);
    assert_eq!(q["records"][0]["Name"], "Bulk One");
    assert_eq!(q["records"][0]["AnnualRevenue"], json!(1000.0));
    assert_eq!(q["records"][1]["AnnualRevenue"], Value::Null);
    assert_eq!(
        q["records"][2]["Description"],
        "has, a comma\nand a newline"
    );
}

/// Nothing is left unprocessed.
async fn check_insert_left_nothing_unprocessed(t: &TestOrg, id: &str) {
    let rest = t
        .get_csv(
            &data(&format!("/jobs/ingest/{id}/unprocessedrecords/")),
            b',',
        )
        .await;
    assert_eq!(
        rest.rows,
        [["Name", "Industry", "AnnualRevenue", "Description"]]
    );
}

#[tokio::test]
async fn update_upsert_and_delete_jobs_and_parents_by_external_id() {
    let t = org().await;
    let info = t
        .ingest(
            json!({"object": "Widget__c", "operation": "upsert", "externalIdFieldName": "Sku__c"}),
            "Sku__c,Name,Color__c\nW-1,First,red\nW-2,Second,blue\n",
        )
        .await;
    assert_eq!(info["numberRecordsFailed"], 0, "{info}");
    // Again: W-1 exists now (updated), W-3 is new; a row without its key fails.
    let info = t
        .ingest(
            json!({"object": "Widget__c", "operation": "upsert", "externalIdFieldName": "Sku__c"}),
            "Sku__c,Name,Color__c\nW-1,First again,#N/A\nW-3,Third,green\n,Nameless,grey\n",
        )
        .await;
    let id = info["id"].as_str().unwrap();
    let ok = t
        .get_csv(&data(&format!("/jobs/ingest/{id}/successfulResults")), b',')
        .await;
    assert_eq!(column(&ok.rows, "Sku__c"), ["W-1", "W-3"]);
    assert_eq!(column(&ok.rows, "sf__Created"), ["false", "true"]);
    t.expect_failure(id, b',', "MISSING_ARGUMENT:").await;
    let w1 = t
        .get(&data("/sobjects/Widget__c/Sku__c/W-1"))
        .await
        .expect(200);
    assert_eq!(w1["Name"], "First again");
    assert_eq!(w1["Color__c"], Value::Null, "#N/A clears a field");
    let w1_id = w1["Id"].as_str().unwrap().to_owned();

    // Parts find their widget by its external id; an unknown one fails that row only.
    let info = t
        .ingest(
            json!({"object": "Part__c", "operation": "insert"}),
            "Name,Widget__r.Sku__c\nBolt,W-1\nNut,W-404\n",
        )
        .await;
    assert_eq!(info["numberRecordsFailed"], 1, "{info}");
    let id = info["id"].as_str().unwrap();
    t.expect_failure(id, b',', "INVALID_FIELD:Foreign key external ID: W-404")
        .await;
    let parts = t
        .get(&data("/query?q=SELECT+Name,+Widget__r.Sku__c+FROM+Part__c"))
        .await
        .expect(200);
    assert_eq!(parts["totalSize"], 1);
    assert_eq!(parts["records"][0]["Widget__r"]["Sku__c"], "W-1");

    // Update by Id (empty cells leave fields alone), then delete.
    let info = t
        .ingest(
            json!({"object": "Widget__c", "operation": "update"}),
            &format!("Id,Color__c,Name\n{w1_id},purple,\n,black,No id\n"),
        )
        .await;
    assert_eq!(info["numberRecordsFailed"], 1);
    let w1 = t
        .get(&data(&format!("/sobjects/Widget__c/{w1_id}")))
        .await
        .expect(200);
    assert_eq!(w1["Color__c"], "purple");
    assert_eq!(w1["Name"], "First again");
    let info = t
        .ingest(
            json!({"object": "Widget__c", "operation": "delete"}),
            &format!("Id\n{w1_id}\n001000000000000AAA\n"),
        )
        .await;
    assert_eq!(info["numberRecordsProcessed"], 2);
    assert_eq!(info["numberRecordsFailed"], 1, "a foreign id fails: {info}");
    t.get(&data(&format!("/sobjects/Widget__c/{w1_id}")))
        .await
        .expect(404);
}

#[tokio::test]
async fn bad_jobs_get_salesforce_errors_and_lose_nothing() {
    let t = org().await;
    check_bad_job_requests_are_refused(&t).await;
    let id = check_an_unknown_header_fails_the_job(&t).await;
    let jid = check_one_upload_per_job_and_abort(&t).await;
    check_listing_shows_jobs_and_delete_removes_one(&t, &id, &jid).await;
    check_the_viewers_rows_each_fail(&t).await;
}

/// Unknown objects, bad operations and options, bad JSON and unknown job ids are refused.
async fn check_bad_job_requests_are_refused(t: &TestOrg) {
    let e = t
        .post(
            &data("/jobs/ingest"),
            &json!({"object": "NoSuch__c", "operation": "insert"}),
        )
        .await;
    assert_eq!(e.status, 400);
    assert_eq!(e.json()[0]["errorCode"], "INVALIDJOB");
    let e = t
        .post(
            &data("/jobs/ingest"),
            &json!({"object": "Widget__c", "operation": "upsert"}),
        )
        .await;
    assert_eq!(e.json()[0]["errorCode"], "INVALIDJOB");
    let e = t
        .post(
            &data("/jobs/ingest"),
            &json!({"object": "Account", "operation": "merge"}),
        )
        .await;
    assert_eq!(e.status, 400);
    let e = t
        .post(
            &data("/jobs/ingest"),
            &json!({"object": "Account", "operation": "insert", "columnDelimiter": "SPACE"}),
        )
        .await;
    assert_eq!(e.status, 400);
    t.post_raw(&data("/jobs/ingest"), "{not json")
        .await
        .expect(400);
    t.get(&data("/jobs/ingest/750000000000001AAA"))
        .await
        .expect(404);
}

/// A header naming an unknown field fails the whole job, as Salesforce does; its id.
async fn check_an_unknown_header_fails_the_job(t: &TestOrg) -> String {
    let info = t
        .ingest(
            json!({"object": "Account", "operation": "insert"}),
            "Name,Bogus__c\nX,1\n",
        )
        .await;
    assert_eq!(info["state"], "Failed");
    assert_eq!(
        info["errorMessage"],
        "InvalidBatch : Field name not found : Bogus__c"
    );
    info["id"].as_str().unwrap().to_owned()
}

/// One upload per job; no second close; an aborted job writes nothing. The job's id.
async fn check_one_upload_per_job_and_abort(t: &TestOrg) -> String {
    let job = t
        .post(
            &data("/jobs/ingest"),
            &json!({"object": "Account", "operation": "insert"}),
        )
        .await
        .expect(200);
    let jid = job["id"].as_str().unwrap().to_owned();
    let batches = data(&format!("/jobs/ingest/{jid}/batches"));
    assert_eq!(t.put_csv(&t.token, &batches, "Name\nA\n").await, 201);
    assert_eq!(t.put_csv(&t.token, &batches, "Name\nB\n").await, 400);
    t.patch(
        &data(&format!("/jobs/ingest/{jid}")),
        &json!({"state": "Aborted"}),
    )
    .await
    .expect(200);
    let e = t
        .patch(
            &data(&format!("/jobs/ingest/{jid}")),
            &json!({"state": "UploadComplete"}),
        )
        .await;
    assert_eq!(e.json()[0]["errorCode"], "INVALIDJOBSTATE");
    // Aborted: nothing written; results of an unfinished job are refused.
    let q = t
        .get(&data("/query?q=SELECT+Id+FROM+Account+WHERE+Name+=+'A'"))
        .await
        .expect(200);
    assert_eq!(q["totalSize"], 0);
    let r = t
        .get_csv(
            &data(&format!("/jobs/ingest/{jid}/successfulResults")),
            b',',
        )
        .await;
    assert_eq!(r.status, 400);
    jid
}

/// Listing shows the jobs; deleting one removes it.
async fn check_listing_shows_jobs_and_delete_removes_one(t: &TestOrg, id: &str, jid: &str) {
    let list = t.get(&data("/jobs/ingest")).await.expect(200);
    assert_eq!(list["done"], true);
    let ids: Vec<&str> = list["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&id) && ids.contains(&jid));
    t.delete(&data(&format!("/jobs/ingest/{id}")))
        .await
        .expect(204);
    t.get(&data(&format!("/jobs/ingest/{id}")))
        .await
        .expect(404);
}

/// The read-only user's rows each fail; the job itself completes.
async fn check_the_viewers_rows_each_fail(t: &TestOrg) {
    let viewer = t.org.mint_token(VIEWER_USERNAME).unwrap();
    let info = t
        .ingest_as(
            &viewer,
            json!({"object": "Account", "operation": "insert"}),
            "Name\nFrom viewer\n",
        )
        .await;
    assert_eq!(info["state"], "JobComplete");
    assert_eq!(info["numberRecordsFailed"], 1);
    let vid = info["id"].as_str().unwrap();
    t.expect_failure(vid, b',', "INSUFFICIENT_ACCESS_OR_READONLY:")
        .await;
}

#[tokio::test]
async fn tab_delimited_crlf_jobs_answer_in_their_own_dialect() {
    let t = org().await;
    let info = t
        .ingest(
            json!({"object": "Contact", "operation": "insert", "columnDelimiter": "TAB", "lineEnding": "CRLF"}),
            "LastName\tEmail\r\nTabbed\ttab@example.com\r\nBad\tnot-an-email\r\n",
        )
        .await;
    assert_eq!(info["columnDelimiter"], "TAB");
    assert_eq!(info["lineEnding"], "CRLF");
    assert_eq!(info["numberRecordsFailed"], 1);
    let id = info["id"].as_str().unwrap();
    let ok = t
        .get_csv(
            &data(&format!("/jobs/ingest/{id}/successfulResults")),
            b'\t',
        )
        .await;
    assert!(
        ok.raw.contains("\r\n") && ok.raw.contains('\t'),
        "{:?}",
        ok.raw
    );
    assert_eq!(column(&ok.rows, "Email"), ["tab@example.com"]);
    t.expect_failure(id, b'\t', "INVALID_EMAIL_ADDRESS:").await;
}

#[tokio::test]
async fn query_jobs_page_their_csv_behind_locators() {
    let t = org().await;
    let mut csv = String::from("Name,Industry,AnnualRevenue\n");
    for i in 0..25 {
        let revenue = if i % 5 == 0 {
            String::new()
        } else {
            (i * 100).to_string()
        };
        csv.push_str(&format!("Q {i:02},BulkQuery,{revenue}\n"));
    }
    let info = t
        .ingest(json!({"object": "Account", "operation": "insert"}), &csv)
        .await;
    assert_eq!(info["numberRecordsFailed"], 0);

    let id = run_the_paged_query_job(&t).await;
    let rows = check_pages_behind_locators(&t, &id).await;
    check_results_version_and_locator(&t, &id).await;
    check_query_all_sees_deleted_rows(&t, &rows[0][0]).await;
    check_bulk_queries_that_are_refused(&t).await;
    let list = t.get(&data("/jobs/query")).await.expect(200);
    assert_eq!(list["records"].as_array().unwrap().len(), 3);
}

/// The query job over the 25 `BulkQuery` accounts, run to completion; its id.
async fn run_the_paged_query_job(t: &TestOrg) -> String {
    let soql = "SELECT Id, Name, a.Owner.Name, AnnualRevenue FROM Account a WHERE Industry = 'BulkQuery' ORDER BY Name";
    let job = t
        .post(
            &data("/jobs/query"),
            &json!({"operation": "query", "query": soql}),
        )
        .await
        .expect(200);
    assert_eq!(job["jobType"], "V2Query");
    assert_eq!(job["object"], "Account");
    let id = job["id"].as_str().unwrap().to_owned();
    let done = t.wait(&format!("/jobs/query/{id}")).await;
    assert_eq!(done["state"], "JobComplete");
    assert_eq!(done["numberRecordsProcessed"], 25);
    id
}

/// The results come 10 rows a page behind `Sforce-Locator`s; every row, in order.
async fn check_pages_behind_locators(t: &TestOrg, id: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut locator: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut path = data(&format!("/jobs/query/{id}/results?maxRecords=10"));
        if let Some(l) = &locator {
            path.push_str(&format!("&locator={l}"));
        }
        let page = t.get_csv(&path, b',').await;
        assert_eq!(page.status, 200, "{}", page.raw);
        pages += 1;
        assert_eq!(page.rows[0], ["Id", "Name", "Owner.Name", "AnnualRevenue"]);
        let n: usize = page.headers["sforce-numberofrecords"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(n, page.rows.len() - 1);
        rows.extend(page.rows.into_iter().skip(1));
        match page.headers["sforce-locator"].to_str().unwrap() {
            "null" => break,
            l => locator = Some(l.to_owned()),
        }
        assert!(pages < 10, "runaway paging");
    }
    assert_eq!(pages, 3);
    assert_eq!(rows.len(), 25);
    assert_eq!(rows[0][1], "Q 00");
    assert_eq!(rows[0][3], "", "null is an empty cell");
    assert_eq!(rows[1][3], "100.0");
    assert!(!rows[0][2].is_empty(), "the owner's name: {:?}", rows[0]);
    assert!(rows.iter().all(|r| r[0].len() == 18));
    rows
}

/// Results are read with the version that made the job; a made-up locator is refused.
async fn check_results_version_and_locator(t: &TestOrg, id: &str) {
    let r = t
        .get_csv(&data_v("60.0", &format!("/jobs/query/{id}/results")), b',')
        .await;
    assert_eq!(r.status, 409);
    // A made-up locator is refused.
    let r = t
        .get_csv(
            &data(&format!("/jobs/query/{id}/results?locator=zzz")),
            b',',
        )
        .await;
    assert_eq!(r.status, 400);
}

/// queryAll sees deleted rows; query does not.
async fn check_query_all_sees_deleted_rows(t: &TestOrg, first: &str) {
    t.delete(&data(&format!("/sobjects/Account/{first}")))
        .await
        .expect(204);
    for (op, n) in [("query", 24), ("queryAll", 25)] {
        let job = t
            .post(
                &data("/jobs/query"),
                &json!({"operation": op, "query": "SELECT Id FROM Account WHERE Industry = 'BulkQuery'"}),
            )
            .await
            .expect(200);
        let id = job["id"].as_str().unwrap();
        let done = t.wait(&format!("/jobs/query/{id}")).await;
        assert_eq!(done["numberRecordsProcessed"], n, "{op}");
        let all = t
            .get_csv(&data(&format!("/jobs/query/{id}/results")), b',')
            .await;
        assert_eq!(all.rows.len(), n + 1);
        assert_eq!(all.headers["sforce-locator"], "null");
    }
}

/// What Bulk queries cannot do, and queries that do not parse.
async fn check_bulk_queries_that_are_refused(t: &TestOrg) {
    for (soql, code) in [
        (
            "SELECT Id, (SELECT Id FROM Contacts) FROM Account",
            "API_ERROR",
        ),
        ("SELECT COUNT() FROM Account", "API_ERROR"),
        ("SELECT Id FROM Account OFFSET 5", "API_ERROR"),
        ("SELECT FROM Account", "MALFORMED_QUERY"),
        ("SELECT Bogus__c FROM Account", "INVALID_FIELD"),
    ] {
        let e = t
            .post(
                &data("/jobs/query"),
                &json!({"operation": "query", "query": soql}),
            )
            .await;
        assert_eq!(e.status, 400, "{soql}: {}", e.text);
        assert_eq!(e.json()[0]["errorCode"], code, "{soql}");
    }
}

/// At most 1,000 jobs are kept: a new one pushes out the oldest finished job, never an open one.
#[tokio::test]
async fn the_oldest_finished_job_makes_room() {
    let t = org().await;
    let open = t.new_insert_job().await;
    let mut finished = Vec::new();
    for _ in 0..999 {
        let id = t.new_insert_job().await;
        t.patch(
            &data(&format!("/jobs/ingest/{id}")),
            &json!({"state": "Aborted"}),
        )
        .await
        .expect(200);
        finished.push(id);
    }
    t.post(
        &data("/jobs/ingest"),
        &json!({"object": "Account", "operation": "insert"}),
    )
    .await
    .expect(200);
    let list = t.get(&data("/jobs/ingest")).await.expect(200);
    assert_eq!(list["records"].as_array().unwrap().len(), 1000);
    t.get(&data(&format!("/jobs/ingest/{}", finished[0])))
        .await
        .expect(404);
    t.get(&data(&format!("/jobs/ingest/{}", finished[1])))
        .await
        .expect(200);
    t.get(&data(&format!("/jobs/ingest/{open}")))
        .await
        .expect(200);
}
