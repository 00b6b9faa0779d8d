//! SOQL as a stream of records: the first page from `/query` (or `/queryAll`), then
//! `nextRecordsUrl` to the end, the next page fetched while the caller reads the current one
//! (so at most two pages in memory). A record whose child subquery
//! came back with `done: false` has the rest of its children fetched through the child
//! relationship's own locator before it is handed out, so every record is whole.

use std::collections::VecDeque;

use futures_util::stream::{self, Stream};
use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::client::{Client, Req, Target};
use crate::error::Error;

/// How to run a query.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueryOptions {
    /// Include deleted and archived records (`queryAll`).
    pub all_rows: bool,
    /// Records per page, 200 to 2,000 (`Sforce-Query-Options: batchSize`); Salesforce may use
    /// another.
    pub batch_size: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    #[serde(default)]
    next_records_url: Option<String>,
    #[serde(default)]
    records: Vec<Map<String, Value>>,
}

/// A page whose records are kept as text until each is decoded once, straight into the
/// caller's type (building a map first and converting it cost as much again).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPage {
    #[serde(default)]
    next_records_url: Option<String>,
    #[serde(default)]
    records: Vec<Box<serde_json::value::RawValue>>,
}

/// The first page of a query: its total size and records (for callers that want one page).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct QueryPage {
    /// Rows the whole query matches.
    pub total_size: u64,
    /// True when this page is the last.
    pub done: bool,
    /// Where the next page is.
    pub next_records_url: Option<String>,
    /// This page's records.
    pub records: Vec<Map<String, Value>>,
}

struct State<T> {
    client: Client,
    /// The first page's request, until it is sent.
    next: Option<Req>,
    /// The next page, already being fetched while the caller reads this one.
    pending: Option<Prefetch>,
    ready: VecDeque<T>,
    context: String,
}

/// A page request running on its own task; dropping it (the caller dropped the stream) stops
/// it.
struct Prefetch(tokio::task::JoinHandle<Result<RawPage, Error>>);

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Prefetch {
    fn start(client: &Client, req: Req, context: &str) -> Self {
        let (client, context) = (client.clone(), context.to_owned());
        Prefetch(tokio::spawn(async move {
            client.send_json::<RawPage>(&req, &context).await
        }))
    }

    async fn page(mut self) -> Result<RawPage, Error> {
        (&mut self.0)
            .await
            .map_err(|e| Error::decode("query", format!("the page fetch stopped: {e}")))?
    }
}

impl Client {
    /// Runs SOQL and streams every record, following `nextRecordsUrl` to the end. Records
    /// decode into `T`: a [`crate::Record`] map or the caller's own `Deserialize` type.
    pub fn query<T>(&self, soql: &str) -> impl Stream<Item = Result<T, Error>> + Send + 'static
    where
        T: DeserializeOwned + Send + 'static,
    {
        self.query_with(soql, QueryOptions::default())
    }

    /// [`Self::query`] including deleted and archived records.
    pub fn query_all<T>(&self, soql: &str) -> impl Stream<Item = Result<T, Error>> + Send + 'static
    where
        T: DeserializeOwned + Send + 'static,
    {
        self.query_with(
            soql,
            QueryOptions {
                all_rows: true,
                ..QueryOptions::default()
            },
        )
    }

    /// [`Self::query`] with options.
    pub fn query_with<T>(
        &self,
        soql: &str,
        options: QueryOptions,
    ) -> impl Stream<Item = Result<T, Error>> + Send + 'static
    where
        T: DeserializeOwned + Send + 'static,
    {
        let first = first_request(soql, options);
        let state = State {
            client: self.clone(),
            next: Some(first),
            pending: None,
            ready: VecDeque::new(),
            context: if options.all_rows {
                "queryAll"
            } else {
                "query"
            }
            .to_owned(),
        };
        stream::try_unfold(state, move |mut st| async move {
            loop {
                if let Some(item) = st.ready.pop_front() {
                    return Ok(Some((item, st)));
                }
                let page: RawPage = match (st.pending.take(), st.next.take()) {
                    (Some(fetch), _) => fetch.page().await?,
                    (None, Some(req)) => st.client.send_json(&req, &st.context).await?,
                    (None, None) => return Ok(None),
                };
                // Ask for the next page now, so the org works while the caller reads this one
                // (one page more in memory at most).
                st.pending = page.next_records_url.map(|url| {
                    let req = with_options(Req::new(Method::GET, Target::Raw(url)), options);
                    Prefetch::start(&st.client, req, &st.context)
                });
                for raw in page.records {
                    let text = raw.get();
                    // Only a record with a child subquery result has `done`; only those may
                    // need their children's further pages.
                    let item = if text.contains("\"done\"") {
                        let mut record: Map<String, Value> = serde_json::from_str(text)
                            .map_err(|e| Error::decode(st.context.as_str(), e))?;
                        complete_children(&st.client, &mut record, options).await?;
                        serde_json::from_value(Value::Object(record))
                    } else {
                        serde_json::from_str(text)
                    }
                    .map_err(|e| Error::decode(st.context.as_str(), e))?;
                    st.ready.push_back(item);
                }
            }
        })
    }

    /// The first page of a query only.
    pub async fn query_page(&self, soql: &str, options: QueryOptions) -> Result<QueryPage, Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Raw {
            total_size: u64,
            done: bool,
            #[serde(default)]
            next_records_url: Option<String>,
            #[serde(default)]
            records: Vec<Map<String, Value>>,
        }
        let raw: Raw = self
            .send_json(&first_request(soql, options), "query")
            .await?;
        Ok(QueryPage {
            total_size: raw.total_size,
            done: raw.done,
            next_records_url: raw.next_records_url,
            records: raw.records,
        })
    }
}

fn first_request(soql: &str, options: QueryOptions) -> Req {
    let resource = if options.all_rows {
        "queryAll"
    } else {
        "query"
    };
    with_options(Req::get(&[resource, ""]).query("q", soql), options)
}

fn with_options(mut req: Req, options: QueryOptions) -> Req {
    if let Some(n) = options.batch_size
        && let Ok(value) = HeaderValue::from_str(&format!("batchSize={}", n.clamp(200, 2000)))
    {
        req.headers
            .push((HeaderName::from_static("sforce-query-options"), value));
    }
    req
}

/// Follows each child relationship of `record` whose result is not `done`, appending the rest
/// of its records.
async fn complete_children(
    client: &Client,
    record: &mut Map<String, Value>,
    options: QueryOptions,
) -> Result<(), Error> {
    for value in record.values_mut() {
        let Value::Object(child) = value else {
            continue;
        };
        if child.get("done") != Some(&Value::Bool(false)) {
            continue;
        }
        let mut next = child
            .get("nextRecordsUrl")
            .and_then(Value::as_str)
            .map(str::to_owned);
        while let Some(url) = next.take() {
            let req = with_options(Req::new(Method::GET, Target::Raw(url)), options);
            let page: Page = client.send_json(&req, "child query").await?;
            if let Some(Value::Array(records)) = child.get_mut("records") {
                records.extend(page.records.into_iter().map(Value::Object));
            }
            next = page.next_records_url;
        }
        child.insert("done".into(), Value::Bool(true));
        child.shift_remove("nextRecordsUrl");
    }
    Ok(())
}
