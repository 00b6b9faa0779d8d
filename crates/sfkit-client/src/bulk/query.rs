//! Query jobs: created, waited for, and their results read page after page (following
//! `Sforce-Locator` until it says `null`), each page parsed as it arrives.

use futures_util::stream::{self, Stream};
use reqwest::Method;
use serde_json::json;

use super::rows::CsvRows;
use super::{Bulk, JobInfo, header_names, to_record};
use crate::client::{Req, data};
use crate::error::Error;
use crate::sobjects::Record;

/// The rows of a Bulk query's results, across every page, read as they arrive: memory holds
/// one network chunk and one row, whatever the result's size.
#[derive(Debug)]
pub struct QueryRows {
    bulk: Bulk,
    job: String,
    header: csv::ByteRecord,
    page: CsvRows,
    rows: u64,
}

impl QueryRows {
    /// The columns, in the query's order.
    pub fn header(&self) -> &csv::ByteRecord {
        &self.header
    }

    /// The job id.
    pub fn job(&self) -> &str {
        &self.job
    }

    /// Rows read so far.
    pub fn count(&self) -> u64 {
        self.rows
    }

    /// The next row; `None` after the last page's last.
    pub async fn next(&mut self) -> Result<Option<csv::ByteRecord>, Error> {
        loop {
            if let Some(row) = self.page.next().await? {
                self.rows += 1;
                return Ok(Some(row));
            }
            let Some(locator) = next_locator(self.page.locator()) else {
                return Ok(None);
            };
            // Every page repeats the header: `open` reads it, and the rows follow.
            self.page = self.bulk.page(&self.job, Some(locator)).await?;
        }
    }
}

/// The locator of the page after this one; Salesforce says `null` on the last.
fn next_locator(l: Option<&str>) -> Option<String> {
    l.filter(|l| !l.is_empty() && *l != "null")
        .map(str::to_owned)
}

impl Bulk {
    /// Runs a Bulk query (`all`: include deleted and archived records, `queryAll`), waits for
    /// it, and opens its first page of results.
    pub async fn query_rows(&self, soql: &str, all: bool) -> Result<QueryRows, Error> {
        let body = json!({"operation": if all { "queryAll" } else { "query" }, "query": soql,
            "contentType": "CSV", "columnDelimiter": "COMMA", "lineEnding": "LF"});
        let info: JobInfo = self
            .client
            .send_json(
                &Req::new(Method::POST, data(&["jobs", "query"])).json(&body)?,
                "create bulk query job",
            )
            .await?;
        let done = self.wait("query", &info.id, None, &|_| {}).await?;
        if let Some(e) = done.failure() {
            return Err(e);
        }
        let page = self.page(&info.id, None).await?;
        Ok(QueryRows {
            bulk: self.clone(),
            job: info.id,
            header: page.header().clone(),
            page,
            rows: 0,
        })
    }

    async fn page(&self, job: &str, locator: Option<String>) -> Result<CsvRows, Error> {
        let mut req =
            Req::get(&["jobs", "query", job, "results"]).query("maxRecords", self.page.to_string());
        if let Some(l) = locator {
            req = req.query("locator", l);
        }
        CsvRows::open(self.client.send_streamed(&req).await?, b',').await
    }

    /// Runs a Bulk query and streams its records (cells as strings, empty as `null`).
    pub fn query(&self, soql: &str) -> impl Stream<Item = Result<Record, Error>> + Send + 'static {
        self.records(soql, false)
    }

    /// [`Self::query`] including deleted and archived records.
    pub fn query_all(
        &self,
        soql: &str,
    ) -> impl Stream<Item = Result<Record, Error>> + Send + 'static {
        self.records(soql, true)
    }

    fn records(
        &self,
        soql: &str,
        all: bool,
    ) -> impl Stream<Item = Result<Record, Error>> + Send + 'static {
        let (bulk, soql) = (self.clone(), soql.to_owned());
        stream::try_unfold(None, move |rows: Option<(QueryRows, Vec<String>)>| {
            let (bulk, soql) = (bulk.clone(), soql.clone());
            async move {
                let (mut rows, header) = match rows {
                    Some(r) => r,
                    None => {
                        let rows = bulk.query_rows(&soql, all).await?;
                        let header = header_names(rows.header());
                        (rows, header)
                    }
                };
                let row = rows.next().await?;
                Ok(row.map(|row| (to_record(&header, &row), Some((rows, header)))))
            }
        })
    }
}
