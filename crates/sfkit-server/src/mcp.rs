//! The catalog as MCP tools (the official Rust SDK, `rmcp`): over streamable HTTP at `/mcp`
//! behind the same API-key check as the rest of the API, and over stdio for `sfkit mcp`. Each
//! action is a tool with its own input schema plus an optional `connection`; errors come back
//! as tool errors carrying Salesforce's code. A result too large for an agent's context is cut
//! to the records that fit, with a cursor for the `moreResults` tool.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::{Map, Value, json};
use sfkit_store::ApiKey;

use crate::app::{AppState, Refusal, execute};

/// The most text one tool result carries.
pub(crate) const MAX_RESULT_BYTES: usize = 32 * 1024;
/// How long held-back records wait for `moreResults`.
const PAGE_TTL: Duration = Duration::from_secs(600);
const MORE: &str = "moreResults";

/// Records held back from tool results, by cursor.
#[derive(Default)]
pub(crate) struct Pages {
    held: Mutex<HashMap<String, (Vec<Value>, Instant)>>,
}

impl Pages {
    fn hold(&self, records: Vec<Value>) -> String {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos = Instant::now().elapsed().as_nanos();
        let cursor = format!(
            "c{}-{:x}-{nanos:x}",
            N.fetch_add(1, Ordering::Relaxed),
            std::process::id()
        );
        let mut held = self
            .held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        held.retain(|_, (_, at)| at.elapsed() < PAGE_TTL);
        held.insert(cursor.clone(), (records, Instant::now()));
        cursor
    }

    fn take(&self, cursor: &str) -> Option<Vec<Value>> {
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(cursor)
            .map(|(r, _)| r)
    }
}

/// Cuts `records` to what fits in the size limit; the rest is held under a cursor.
fn cap(pages: &Pages, mut out: Value) -> Value {
    if out.to_string().len() <= MAX_RESULT_BYTES {
        return out;
    }
    let Some(Value::Array(records)) = out.get_mut("records").map(std::mem::take) else {
        return out;
    };
    let mut kept = Vec::new();
    let mut size = 256;
    let mut rest = records.into_iter();
    for r in rest.by_ref() {
        let n = r.to_string().len() + 1;
        if size + n > MAX_RESULT_BYTES && !kept.is_empty() {
            let mut held = vec![r];
            held.extend(rest);
            if let Value::Object(m) = &mut out {
                m.insert("records".into(), Value::Array(kept));
                m.insert("moreResults".into(), json!(pages.hold(held)));
            }
            return out;
        }
        size += n;
        kept.push(r);
    }
    if let Value::Object(m) = &mut out {
        m.insert("records".into(), Value::Array(kept));
    }
    out
}

/// The MCP server: one per session, sharing the HTTP server's state.
#[derive(Clone)]
pub(crate) struct Mcp {
    pub(crate) state: Arc<AppState>,
    /// The key for stdio, where there is no HTTP request (the local user, unlimited).
    pub(crate) local_key: Option<ApiKey>,
}

impl Mcp {
    fn key(&self, ctx: &RequestContext<RoleServer>) -> Option<ApiKey> {
        ctx.extensions
            .get::<axum::http::request::Parts>()
            .and_then(|p| p.extensions.get::<ApiKey>().cloned())
            .or_else(|| self.local_key.clone())
    }
}

fn tool_error(code: &str, message: &str, fields: &[String], retryable: bool) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(
        json!({"error": {"code": code, "message": message, "fields": fields, "retryable": retryable}})
            .to_string(),
    )])
}

impl ServerHandler for Mcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("sfkit", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Salesforce actions. Each tool takes its parameters and an optional `connection`. \
                 Large results come in parts: call moreResults with the cursor in `moreResults`.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let mut tools: Vec<Tool> = self
            .state
            .catalog
            .actions()
            .iter()
            .map(|a| {
                let mut schema = match a.input_schema() {
                    Value::Object(m) => m,
                    _ => Map::new(),
                };
                if let Some(Value::Object(props)) = schema.get_mut("properties") {
                    props.insert(
                        "connection".into(),
                        json!({"type": "string", "description": "the connection to use (default: the only one)"}),
                    );
                }
                Tool::new(a.name().to_owned(), a.description().to_owned(), Arc::new(schema))
            })
            .collect();
        let more = match json!({
            "type": "object",
            "properties": {"cursor": {"type": "string", "description": "the moreResults value of the previous result"}},
            "required": ["cursor"]
        }) {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        tools.push(Tool::new(
            MORE,
            "The next part of a result that was too large to send at once.",
            Arc::new(more),
        ));
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let Some(key) = self.key(&context) else {
            return Ok(
                tool_error("INVALID_AUTH_HEADER", "an API key is required", &[], false).into(),
            );
        };
        let mut args = request.arguments.unwrap_or_default();
        if request.name == MORE {
            let cursor = args
                .get("cursor")
                .and_then(Value::as_str)
                .unwrap_or_default();
            return Ok(match self.state.mcp_pages.take(cursor) {
                Some(records) => {
                    let out = cap(&self.state.mcp_pages, json!({ "records": records }));
                    CallToolResult::success(vec![ContentBlock::text(out.to_string())]).into()
                }
                None => tool_error(
                    "INVALID_CURSOR",
                    "unknown or used cursor",
                    &["cursor".into()],
                    false,
                )
                .into(),
            });
        }
        let connection = args
            .remove("connection")
            .and_then(|v| v.as_str().map(str::to_owned));
        match execute(
            &self.state,
            &key,
            &request.name,
            connection,
            &Value::Object(args),
        )
        .await
        {
            Ok(out) => {
                let out = cap(&self.state.mcp_pages, out);
                Ok(CallToolResult::success(vec![ContentBlock::text(out.to_string())]).into())
            }
            Err(Refusal(_, e)) => {
                Ok(tool_error(&e.code, &e.message, &e.fields, e.retryable).into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_results_are_cut_with_a_cursor() {
        let pages = Pages::default();
        let records: Vec<Value> = (0..2000)
            .map(|i| json!({"Id": format!("001{i:015}"), "Name": "x".repeat(40)}))
            .collect();
        let out = cap(
            &pages,
            json!({"records": records, "totalSize": 2000, "done": true}),
        );
        assert!(out.to_string().len() <= MAX_RESULT_BYTES);
        let first = out["records"].as_array().unwrap().len();
        assert!(first > 0 && first < 2000);
        let cursor = out["moreResults"].as_str().unwrap().to_owned();
        let rest = pages.take(&cursor).unwrap();
        assert_eq!(first + rest.len(), 2000);
        assert!(pages.take(&cursor).is_none(), "a cursor is used once");
    }
}
