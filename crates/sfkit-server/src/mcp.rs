//! The catalog as MCP tools (the official Rust SDK, `rmcp`): over streamable HTTP at `/mcp`
//! behind the same API-key check as the rest of the API, and over stdio for `sfkit mcp`. Each
//! action is a tool with its own input schema plus an optional `connection`; errors come back
//! as tool errors carrying Salesforce's code. A result too large for an agent's context is cut
//! to the records that fit; its `nextCursor` is then a token of this layer (random, good only
//! for the key that received it) leading to the rest, and after the rest to the action's own
//! next page. Every answer has exactly one way on, given back to the same tool as `cursor` (or
//! to `moreResults`), so an agent that follows it reads every record once.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use std::time::{Duration, Instant};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::{Map, Value, json};
use sfkit_store::ApiKey;

use crate::handlers::actions::execute;
use crate::state::AppState;

/// The most text one tool result carries.
pub(crate) const MAX_RESULT_BYTES: usize = 32 * 1024;
/// How long a held part waits to be asked for.
const PAGE_TTL: Duration = Duration::from_secs(600);
/// The most parts held at once, over all callers; the oldest go first.
const MAX_HELD: usize = 4096;
const MORE: &str = "moreResults";
/// Marks a continuation token of this layer, as opposed to an action's own cursor.
const TOKEN_PREFIX: &str = "mcp-";

/// A result's records from `offset` on, then the action's own cursor. Parts share the one
/// record list: cutting a part copies only the records it sends.
#[derive(Clone)]
struct Rest {
    /// The result without its records (totalSize and such).
    frame: Map<String, Value>,
    records: Arc<Vec<Value>>,
    offset: usize,
    /// The action's `nextCursor`, handed on after the records.
    then: Option<Value>,
}

/// The rest of a result cut to fit, and who may ask for it.
struct Held {
    /// The API key's id, and the connection named (if one was).
    key_id: String,
    connection: Option<String>,
    /// The tool whose result it is.
    tool: String,
    rest: Rest,
    at: Instant,
}

/// Results held back from tool answers, by continuation token. A token is 128 random bits,
/// good for the key that received it; asking again with the same token gives the same part
/// (an answer lost on the way can be asked for again) until it expires.
#[derive(Default)]
pub(crate) struct Pages {
    held: Mutex<HashMap<String, Held>>,
}

/// Who is asking, for checking a token against.
struct Caller<'a> {
    key_id: &'a str,
    connection: Option<&'a str>,
    tool: &'a str,
}

impl Pages {
    fn hold(&self, held: Held) -> Option<String> {
        let mut bytes = [0u8; 16];
        aws_lc_rs::rand::fill(&mut bytes).ok()?;
        let token = format!(
            "{TOKEN_PREFIX}{}",
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        let mut all = self.held.lock();
        all.retain(|_, h| h.at.elapsed() < PAGE_TTL);
        while all.len() >= MAX_HELD {
            let Some(oldest) = all.iter().min_by_key(|(_, h)| h.at).map(|(k, _)| k.clone()) else {
                break;
            };
            all.remove(&oldest);
        }
        all.insert(token.clone(), held);
        Some(token)
    }

    /// The held rest for `token`, to cut again, if `caller` may have it.
    fn resume(&self, token: &str, caller: &Caller<'_>) -> Option<Rest> {
        let all = self.held.lock();
        let h = all.get(token).filter(|h| {
            h.at.elapsed() < PAGE_TTL
                && h.key_id == caller.key_id
                && (caller.tool == MORE || caller.tool == h.tool)
                && caller
                    .connection
                    .is_none_or(|c| h.connection.as_deref() == Some(c))
        })?;
        Some(h.rest.clone())
    }
}

/// Cuts a result's `records` to what fits in one answer (see [`cut`]); a result that fits, or
/// has no records, goes as it is. `None` only when no token can be made (no randomness).
fn cap(pages: &Pages, caller: &Caller<'_>, out: Value) -> Option<Value> {
    if out.to_string().len() <= MAX_RESULT_BYTES {
        return Some(out);
    }
    let Value::Object(mut frame) = out else {
        return Some(out);
    };
    let Some(Value::Array(records)) = frame.shift_remove("records") else {
        return Some(Value::Object(frame));
    };
    let then = frame.shift_remove("nextCursor").filter(|c| !c.is_null());
    cut(
        pages,
        caller,
        Rest {
            frame,
            records: Arc::new(records),
            offset: 0,
            then,
        },
    )
}

/// The next answer of `rest`: the records that fit. What is left is held under a new token,
/// which becomes the answer's `nextCursor`; after the last part comes the action's own cursor.
/// So every answer has one way on, and following it gives every record once.
fn cut(pages: &Pages, caller: &Caller<'_>, rest: Rest) -> Option<Value> {
    let left = rest.records.get(rest.offset..).unwrap_or_default();
    let mut size = Value::Object(rest.frame.clone()).to_string().len() + 200;
    let mut fit = 0;
    for r in left {
        let n = r.to_string().len() + 1;
        if size + n > MAX_RESULT_BYTES && fit > 0 {
            break;
        }
        size += n;
        fit += 1;
    }
    let mut answer = rest.frame.clone();
    answer.insert(
        "records".into(),
        Value::Array(left.get(..fit).unwrap_or_default().to_vec()),
    );
    if fit == left.len() {
        answer.insert("done".into(), Value::Bool(rest.then.is_none()));
        answer.insert("nextCursor".into(), rest.then.unwrap_or(Value::Null));
        return Some(Value::Object(answer));
    }
    let token = pages.hold(Held {
        key_id: caller.key_id.to_owned(),
        connection: caller.connection.map(str::to_owned),
        tool: caller.tool.to_owned(),
        rest: Rest {
            offset: rest.offset + fit,
            ..rest
        },
        at: Instant::now(),
    })?;
    answer.insert("done".into(), Value::Bool(false));
    answer.insert("nextCursor".into(), Value::String(token));
    Some(Value::Object(answer))
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
                 Large results come in parts: while `done` is false, call the same tool again with `cursor` set to `nextCursor` (moreResults takes it too).",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        // A read-only key sees only the tools it may call.
        let read_only = self.key(&context).is_some_and(|k| k.scope.read_only);
        let mut tools: Vec<Tool> = self
            .state
            .catalog
            .actions()
            .iter()
            .filter(|a| !read_only || a.read_only())
            .map(|a| {
                let mut schema = match a.input_schema() {
                    Value::Object(m) => m,
                    _ => Map::new(),
                };
                let pages = a
                    .output_schema()
                    .get("properties")
                    .and_then(|p| p.get("records"))
                    .is_some();
                if let Some(Value::Object(props)) = schema.get_mut("properties") {
                    // Any result with records may come in parts: the tool takes the cursor.
                    if pages && !props.contains_key("cursor") {
                        props.insert(
                            "cursor".into(),
                            json!({"type": "string", "description": "the nextCursor of the previous result"}),
                        );
                    }
                    props.insert(
                        "connection".into(),
                        json!({"type": "string", "description": "the connection to use (default: the only one)"}),
                    );
                }
                let annotations = ToolAnnotations::with_title(a.title())
                    .read_only(a.read_only())
                    .destructive(a.destructive())
                    .idempotent(a.idempotent())
                    .open_world(true);
                let mut tool =
                    Tool::new(a.name().to_owned(), a.description().to_owned(), Arc::new(schema))
                        .with_title(a.title())
                        .with_annotations(annotations);
                if let Value::Object(out) = a.output_schema() {
                    tool = tool.with_raw_output_schema(Arc::new(out));
                }
                tool
            })
            .collect();
        let more = match json!({
            "type": "object",
            "properties": {"cursor": {"type": "string", "description": "the nextCursor of the previous result"}},
            "required": ["cursor"]
        }) {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        tools.push(
            Tool::new(
                MORE,
                "The next part of a result that was too large to send at once.",
                Arc::new(more),
            )
            .with_title("More results")
            .with_annotations(
                ToolAnnotations::with_title("More results")
                    .read_only(true)
                    .idempotent(true)
                    .open_world(false),
            ),
        );
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
        let connection = args
            .remove("connection")
            .and_then(|v| v.as_str().map(str::to_owned));
        let caller = Caller {
            key_id: &key.id,
            connection: connection.as_deref(),
            tool: &request.name,
        };
        // A continuation token of ours, given to moreResults or back to the tool as its
        // cursor: the next part of the held result.
        let token = args
            .get("cursor")
            .and_then(Value::as_str)
            .filter(|c| request.name == MORE || c.starts_with(TOKEN_PREFIX))
            .map(str::to_owned);
        let pages = &self.state.mcp_pages;
        let answer = if let Some(token) = token {
            match pages.resume(&token, &caller) {
                Some(rest) => cut(pages, &caller, rest),
                None => {
                    return Ok(tool_error(
                        "INVALID_CURSOR",
                        "unknown or expired cursor, or one handed to another key or connection; \
                         start again without it",
                        &["cursor".into()],
                        false,
                    )
                    .into());
                }
            }
        } else if request.name == MORE {
            return Ok(tool_error(
                "REQUIRED_FIELD_MISSING",
                "moreResults needs the cursor of the previous result",
                &["cursor".into()],
                false,
            )
            .into());
        } else {
            match execute(
                &self.state,
                &key,
                &request.name,
                connection.clone(),
                &Value::Object(args),
            )
            .await
            {
                Ok(out) => cap(pages, &caller, out),
                Err(refused) => {
                    let e = refused.error;
                    return Ok(tool_error(&e.code, &e.message, &e.fields, e.retryable).into());
                }
            }
        };
        Ok(match answer {
            // Structured (the tool's outputSchema describes it), and the same JSON as text for
            // clients that read only text.
            Some(out) => CallToolResult::structured(out),
            None => tool_error(
                "UNKNOWN_EXCEPTION",
                "no randomness for a continuation token",
                &[],
                true,
            ),
        }
        .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller<'a>(key: &'a str, tool: &'a str) -> Caller<'a> {
        Caller {
            key_id: key,
            connection: None,
            tool,
        }
    }

    #[test]
    fn large_results_are_cut_and_the_parts_chain_to_the_actions_cursor() {
        let pages = Pages::default();
        let records: Vec<Value> = (0..2000)
            .map(|i| json!({"Id": format!("001{i:015}"), "Name": "x".repeat(40)}))
            .collect();
        let me = caller("k1", "query");
        let mut out = cap(
            &pages,
            &me,
            json!({"records": records.clone(), "totalSize": 5000, "done": false, "nextCursor": "ACTION"}),
        )
        .unwrap();
        let mut seen = Vec::new();
        let mut parts = 0;
        loop {
            assert!(out.to_string().len() <= MAX_RESULT_BYTES);
            assert_eq!(out["totalSize"], 5000);
            assert!(out.get("moreResults").is_none());
            seen.extend(out["records"].as_array().unwrap().iter().cloned());
            parts += 1;
            let next = out["nextCursor"].as_str().unwrap().to_owned();
            assert_eq!(out["done"], false);
            if next == "ACTION" {
                break;
            }
            assert!(next.starts_with(TOKEN_PREFIX) && next.len() == TOKEN_PREFIX.len() + 32);
            assert!(
                pages.resume(&next, &caller("k2", "query")).is_none(),
                "another key"
            );
            assert!(
                pages.resume(&next, &caller("k1", "listAccounts")).is_none(),
                "another tool"
            );
            let again = pages.resume(&next, &caller("k1", MORE)).unwrap();
            out = cut(&pages, &me, pages.resume(&next, &me).unwrap()).unwrap();
            assert_eq!(
                cut(&pages, &me, again).unwrap()["records"],
                out["records"],
                "asking twice gives the same part"
            );
        }
        assert!(parts > 2);
        assert_eq!(seen, records);
    }
}
