//! Queries as the caller writes them: query (SOQL, one page at a time, continued through
//! Salesforce's own query locator sealed in a cursor) and search (SOSL).

use serde_json::{Value, json};
use sfkit_client::QueryOptions;

use super::{Action, CURSOR, Call, Ctx, Effect};
use crate::cursor::digest;
use crate::error::ActionError;
use crate::output::{page, page_schema, strip_attributes};
use crate::params::{Checked, Kind, Param};

/// query and search.
pub(super) fn actions() -> [Action; 2] {
    [
        Action::new(
            "query",
            "Runs a SOQL query; one page at a time.",
            Effect::Reads,
            |call| Box::pin(query(call)),
        )
        .with([
            Param::opt(
                "query",
                Kind::String,
                "the SOQL query; required without a cursor",
            ),
            Param::opt(
                "includeDeleted",
                Kind::Boolean,
                "include deleted records (queryAll)",
            ),
            CURSOR,
        ])
        .output(page_schema("a record")),
        Action::new("search", "Runs a SOSL search.", Effect::Reads, |call| {
            Box::pin(search(call))
        })
        .with([Param::req("query", Kind::String, "the SOSL search")])
        .output(page_schema("a record")),
    ]
}

async fn query(call: Call<'_>) -> Result<Value, ActionError> {
    let Call { ctx, params: c, .. } = call;
    let soql = match (c.str("query"), c.str("cursor")) {
        (Some(q), _) => q,
        (None, Some(_)) => "",
        (None, None) => return Err(ActionError::missing("query")),
    };
    let mut all_rows = c.bool("includeDeleted").unwrap_or(false);
    let mut query_digest = digest(soql);
    let (total, done, next, mut records) = match c.str("cursor") {
        Some(cursor) => {
            let from = open_cursor(ctx, c, soql, cursor)?;
            query_digest = from.digest;
            all_rows = from.all_rows;
            let v = ctx
                .client
                .request(sfkit_client::Method::GET, &from.url, None)
                .await?
                .unwrap_or(Value::Null);
            (
                v.get("totalSize").and_then(Value::as_u64).unwrap_or(0),
                v.get("done").and_then(Value::as_bool).unwrap_or(true),
                v.get("nextRecordsUrl")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                v.get("records")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            )
        }
        None => {
            let p = ctx
                .client
                .query_page(
                    soql,
                    QueryOptions {
                        all_rows,
                        batch_size: None,
                    },
                )
                .await?;
            (
                p.total_size,
                p.done,
                p.next_records_url,
                p.records.into_iter().map(Value::Object).collect(),
            )
        }
    };
    records.iter_mut().for_each(strip_attributes);
    let next = match (done, next) {
        (false, Some(u)) if is_query_locator(&u) => Some(
            ctx.cursors
                .seal("query", &json!({"u": u, "q": query_digest, "a": all_rows}))?,
        ),
        (false, Some(u)) => {
            return Err(ActionError::unexpected(format!(
                "Salesforce answered a next page URL of an unknown shape ({} characters); the rest of the query cannot be read",
                u.len()
            )));
        }
        (false, None) => {
            return Err(ActionError::unexpected(
                "Salesforce answered done: false with no next page URL",
            ));
        }
        (true, _) => None,
    };
    Ok(json!({
        "records": records,
        "totalSize": total,
        "done": next.is_none(),
        "nextCursor": next,
    }))
}

/// The query a cursor continues.
struct Continued {
    /// The digest of its SOQL.
    digest: String,
    /// Whether it reads deleted records (queryAll).
    all_rows: bool,
    /// Its next page's query locator.
    url: String,
}

/// Opens a query cursor. The cursor carries its query: an empty one beside it means "the
/// same", and a different one (or another includeDeleted) is refused rather than silently
/// ignored.
fn open_cursor(ctx: &Ctx, c: &Checked, soql: &str, cursor: &str) -> Result<Continued, ActionError> {
    let bad =
        |message: &str| ActionError::invalid("INVALID_CURSOR", message, vec!["cursor".into()]);
    let state = ctx.cursors.open("query", cursor)?;
    let same_query = soql.trim().is_empty()
        || state.get("q").and_then(Value::as_str) == Some(digest(soql).as_str());
    let same_rows = c
        .bool("includeDeleted")
        .is_none_or(|a| state.get("a").and_then(Value::as_bool) == Some(a));
    if !same_query || !same_rows {
        return Err(bad(
            "the cursor continues another query; pass the same query and includeDeleted as the first page",
        ));
    }
    let query_digest = state
        .get("q")
        .and_then(Value::as_str)
        .map_or_else(|| digest(soql), str::to_owned);
    let all_rows = state
        .get("a")
        .and_then(Value::as_bool)
        .unwrap_or(c.bool("includeDeleted").unwrap_or(false));
    let url = state
        .get("u")
        .and_then(Value::as_str)
        .filter(|u| is_query_locator(u))
        .ok_or_else(|| bad("not a query cursor"))?;
    Ok(Continued {
        digest: query_digest,
        all_rows,
        url: url.to_owned(),
    })
}

/// Whether `url` is exactly a query locator as Salesforce hands them out:
/// `/services/data/vNN.N/query/<locator id>-<offset>` (or `queryAll`). Anything else is never
/// fetched with the connection's token.
fn is_query_locator(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("/services/data/v") else {
        return false;
    };
    let Some((version, rest)) = rest.split_once('/') else {
        return false;
    };
    let version_ok = version.split_once('.').is_some_and(|(a, b)| {
        !a.is_empty()
            && !b.is_empty()
            && a.len() <= 3
            && b.len() <= 2
            && a.bytes().all(|c| c.is_ascii_digit())
            && b.bytes().all(|c| c.is_ascii_digit())
    });
    let Some(locator) = rest
        .strip_prefix("query/")
        .or_else(|| rest.strip_prefix("queryAll/"))
    else {
        return false;
    };
    let Some((id, offset)) = locator.rsplit_once('-') else {
        return false;
    };
    version_ok
        && (15..=18).contains(&id.len())
        && id.bytes().all(|c| c.is_ascii_alphanumeric())
        && !offset.is_empty()
        && offset.len() <= 10
        && offset.bytes().all(|c| c.is_ascii_digit())
}

async fn search(call: Call<'_>) -> Result<Value, ActionError> {
    let Call { ctx, params: c, .. } = call;
    let mut records: Vec<Value> = ctx
        .client
        .search(c.required("query")?)
        .await?
        .into_iter()
        .map(Value::Object)
        .collect();
    // A search can return several objects: each record keeps its `attributes` (its type) at
    // the top; only nested ones go.
    for r in &mut records {
        if let Value::Object(m) = r {
            m.values_mut().for_each(strip_attributes);
        }
    }
    let n = records.len();
    Ok(page(records, n as u64, None))
}
