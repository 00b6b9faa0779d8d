//! SOQL as a stream of records: the first page from `/query` (or `/queryAll`), then
//! `nextRecordsUrl` to the end, the next page fetched while the caller reads the current one
//! (so at most two pages in memory). A record whose child subquery
//! came back with `done: false` has the rest of its children fetched through the child
//! relationship's own locator before it is handed out, so every record is whole.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::Arc;

use futures_util::stream::{self, Stream};
use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::client::{Client, Req, Target};
use crate::error::{ApiError, Error};
use crate::json::{self, PathError};

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

/// A page as text, split into its records: each is decoded once, straight into the caller's
/// type (building a map first and converting it cost as much again), or handed out as it is.
struct SplitPage {
    text: Arc<String>,
    /// Where each record is in `text`.
    records: Vec<Range<usize>>,
    next_records_url: Option<String>,
    /// Whether some record may hold a child subquery's result (it has `done`): one search of
    /// the page instead of one per record.
    has_children: bool,
}

impl SplitPage {
    /// Checks the page as JSON and finds its records, copying nothing.
    fn parse(body: Vec<u8>, context: &str) -> Result<SplitPage, Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Page<'a> {
            #[serde(default)]
            next_records_url: Option<String>,
            #[serde(default, borrow)]
            records: Vec<&'a RawValue>,
        }
        let text = String::from_utf8(body).map_err(|e| Error::decode(context, e))?;
        let page: Page<'_> = json::from_str(&text).map_err(|e| Error::decode(context, e))?;
        // A borrowed record is a slice of `text`: its place is the distance between the two.
        let base = text.as_ptr() as usize;
        let records: Vec<Range<usize>> = page
            .records
            .iter()
            .map(|r| {
                let start = r.get().as_ptr() as usize - base;
                start..start + r.get().len()
            })
            .collect();
        let has_children = match (records.first(), records.last()) {
            (Some(first), Some(last)) => text
                .get(first.start..last.end)
                .is_some_and(|all| all.contains("\"done\"")),
            _ => false,
        };
        Ok(SplitPage {
            next_records_url: page.next_records_url,
            records,
            text: Arc::new(text),
            has_children,
        })
    }
}

/// One record of a query as Salesforce sent it ([`Client::query_raw`]): a view into its
/// page's text, which it keeps alive.
#[derive(Debug, Clone)]
pub struct RawRecord {
    page: Arc<String>,
    range: Range<usize>,
}

impl RawRecord {
    /// The record's JSON text.
    pub fn get(&self) -> &str {
        self.page.get(self.range.clone()).unwrap_or_default()
    }

    fn owned(text: String) -> Self {
        let range = 0..text.len();
        RawRecord {
            page: Arc::new(text),
            range,
        }
    }
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
    /// The query, until its first page is asked for.
    first: Option<String>,
    /// The next page, already being fetched while the caller reads this one.
    pending: Option<Prefetch>,
    ready: VecDeque<T>,
    context: String,
}

/// A page request running on its own task; dropping it (the caller dropped the stream) stops
/// it.
struct Prefetch(tokio::task::JoinHandle<Result<SplitPage, Error>>);

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Prefetch {
    fn start(client: &Client, req: Req, context: &str) -> Self {
        let (client, context) = (client.clone(), context.to_owned());
        // The page is checked and split on this task too, beside the caller's work.
        Prefetch(tokio::spawn(async move {
            SplitPage::parse(client.send(&req).await?.body, &context)
        }))
    }

    async fn page(mut self) -> Result<SplitPage, Error> {
        (&mut self.0)
            .await
            .map_err(|e| Error::decode("query", format!("the page fetch stopped: {e}")))?
    }
}

impl Client {
    /// Runs SOQL and streams every record, following `nextRecordsUrl` to the end. Records
    /// decode into `T`: a [`crate::Record`] map or the caller's own `Deserialize` type. The
    /// next page is fetched while the caller reads this one; at most two are held.
    ///
    /// ```no_run
    /// # async fn run(client: sfkit_client::Client) -> Result<(), sfkit_client::Error> {
    /// use futures_util::TryStreamExt as _;
    ///
    /// #[derive(serde::Deserialize)]
    /// #[serde(rename_all = "PascalCase")]
    /// struct Account {
    ///     id: String,
    ///     name: String,
    /// }
    ///
    /// let mut accounts = std::pin::pin!(client.query::<Account>("SELECT Id, Name FROM Account"));
    /// while let Some(a) = accounts.try_next().await? {
    ///     println!("{} {}", a.id, a.name);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn query<T>(&self, soql: &str) -> impl Stream<Item = Result<T, Error>> + Send + 'static
    where
        T: DeserializeOwned + Send + 'static,
    {
        self.query_with(soql, QueryOptions::default())
    }

    /// [`Self::query`] including deleted and archived records.
    ///
    /// ```no_run
    /// # async fn run(client: sfkit_client::Client) -> Result<(), sfkit_client::Error> {
    /// use futures_util::TryStreamExt as _;
    /// use sfkit_client::Record;
    ///
    /// let deleted: Vec<Record> = client
    ///     .query_all("SELECT Id FROM Contact WHERE IsDeleted = true")
    ///     .try_collect()
    ///     .await?;
    /// println!("{} contacts in the recycle bin", deleted.len());
    /// # Ok(())
    /// # }
    /// ```
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
        self.records(
            soql,
            options,
            |raw| json::from_str(raw.get()),
            json::from_value,
        )
    }

    /// [`Self::query_with`], each record as the text Salesforce sent (children completed),
    /// for a caller that passes records on rather than reading them: once a page is checked
    /// and split, nothing is decoded or copied.
    pub fn query_raw(
        &self,
        soql: &str,
        options: QueryOptions,
    ) -> impl Stream<Item = Result<RawRecord, Error>> + Send + 'static {
        self.records(soql, options, Ok, |record| {
            serde_json::to_string(&record)
                .map(RawRecord::owned)
                .map_err(PathError::from)
        })
    }

    /// The record stream behind [`Self::query_with`] and [`Self::query_raw`]: `decode` turns a
    /// record's text into `T`; `decode_value` does it for a record that had to be decoded
    /// anyway (to fetch the rest of its children).
    fn records<T>(
        &self,
        soql: &str,
        options: QueryOptions,
        decode: fn(RawRecord) -> Result<T, PathError>,
        decode_value: fn(Value) -> Result<T, PathError>,
    ) -> impl Stream<Item = Result<T, Error>> + Send + 'static
    where
        T: Send + 'static,
    {
        let state = State {
            client: self.clone(),
            first: Some(soql.to_owned()),
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
                let page = match (st.pending.take(), st.first.take()) {
                    (Some(fetch), _) => fetch.page().await?,
                    (None, Some(soql)) => SplitPage::parse(
                        first_page_body(&st.client, &soql, options, &st.context).await?,
                        &st.context,
                    )?,
                    (None, None) => return Ok(None),
                };
                // Ask for the next page now, so the org works while the caller reads this one
                // (one page more in memory at most).
                st.pending = page.next_records_url.map(|url| {
                    let req = with_options(Req::new(Method::GET, Target::Raw(url)), options);
                    Prefetch::start(&st.client, req, &st.context)
                });
                st.ready.reserve(page.records.len());
                for (i, range) in page.records.into_iter().enumerate() {
                    let raw = RawRecord {
                        page: page.text.clone(),
                        range,
                    };
                    // Only a record with a child subquery result has `done`; only those may
                    // need their children's further pages.
                    let item = if page.has_children && raw.get().contains("\"done\"") {
                        let mut record: Map<String, Value> = json::from_str(raw.get())
                            .map_err(|e| Error::decode(&st.context, e.within(&at(i))))?;
                        complete_children(&st.client, &mut record, options).await?;
                        decode_value(Value::Object(record))
                    } else {
                        decode(raw)
                    }
                    .map_err(|e| Error::decode(&st.context, e.within(&at(i))))?;
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
        let raw: Raw = first_page(self, soql, options, "query").await?;
        Ok(QueryPage {
            total_size: raw.total_size,
            done: raw.done,
            next_records_url: raw.next_records_url,
            records: raw.records,
        })
    }
}

/// The longest SOQL statement Salesforce accepts, in characters.
pub const MAX_SOQL_CHARS: usize = 100_000;

/// Salesforce refuses a request whose URI and headers pass 16,384 bytes (414 or 431). A query
/// whose URL-encoded text is longer than this goes inside a Composite API subrequest's body
/// instead, as Salesforce recommends for long SOQL; the rest of the limit is left for the path
/// and the headers.
const LONGEST_QUERY_IN_URL: usize = 12_000;

fn resource(options: QueryOptions) -> &'static str {
    if options.all_rows {
        "queryAll"
    } else {
        "query"
    }
}

/// Percent-encodes a query parameter's value (everything but RFC 3986's unreserved bytes).
fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where a page's `i`th record is, for errors: `records[i]`.
fn at(i: usize) -> String {
    format!("records[{i}]")
}

/// The first page of `soql`: in the URL when it fits, else through the Composite API. A query
/// past [`MAX_SOQL_CHARS`] is refused here, with Salesforce's code, and nothing is sent.
async fn first_page<T: DeserializeOwned>(
    client: &Client,
    soql: &str,
    options: QueryOptions,
    context: &str,
) -> Result<T, Error> {
    let body = first_page_body(client, soql, options, context).await?;
    json::from_slice(&body).map_err(|e| Error::decode(context, e))
}

/// [`first_page`]'s answer, as bytes.
async fn first_page_body(
    client: &Client,
    soql: &str,
    options: QueryOptions,
    context: &str,
) -> Result<Vec<u8>, Error> {
    let chars = soql.chars().count();
    if chars > MAX_SOQL_CHARS {
        return Err(Error::Api(ApiError::local(
            400,
            "MALFORMED_QUERY",
            format!(
                "the SOQL statement has {chars} characters; Salesforce accepts at most \
                 {MAX_SOQL_CHARS}: split it into several queries (fewer IN values or fields each)"
            ),
        )));
    }
    let encoded = encode_component(soql);
    if encoded.len() <= LONGEST_QUERY_IN_URL {
        let req = with_options(Req::get(&[resource(options), ""]).query("q", soql), options);
        return Ok(client.send(&req).await?.body);
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer {
        composite_response: Vec<SubAnswer>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct SubAnswer {
        body: Box<RawValue>,
        http_status_code: u16,
    }
    let url = format!(
        "/services/data/v{}/{}/?q={encoded}",
        client.api_version(),
        resource(options)
    );
    let body = serde_json::json!({
        "allOrNone": false,
        "compositeRequest": [{"method": "GET", "url": url, "referenceId": "longQuery"}],
    });
    // Only reads: safe to send again.
    let req = Req::new(Method::POST, crate::client::data(&["composite"]))
        .json(&body)?
        .idempotent(true);
    let answer: Answer = client.send_json(&req, context).await?;
    let sub = answer
        .composite_response
        .into_iter()
        .next()
        .ok_or_else(|| Error::decode(context, "the composite answer has no subrequest result"))?;
    if !(200..300).contains(&sub.http_status_code) {
        return Err(Error::Api(ApiError::from_body(
            sub.http_status_code,
            sub.body.get().as_bytes(),
        )));
    }
    Ok(sub.body.get().as_bytes().to_vec())
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
