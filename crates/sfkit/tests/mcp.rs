//! `sfkit mcp` driven by an MCP client from the same SDK (rmcp) over stdio: it lists the
//! catalog's tools and calls createLead and query on the local org.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::Dir;
use rmcp::ServiceExt as _;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};

fn text(r: &rmcp::model::CallToolResult) -> Value {
    let block = serde_json::to_value(&r.content[0]).unwrap();
    serde_json::from_str(block["text"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn an_mcp_client_lists_tools_and_calls_them() {
    let dir = Dir::new("mcp");
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_sfkit"));
    cmd.arg("mcp")
        .env("SFKIT_DATA_DIR", &dir.0)
        .env("SFKIT_KEYRING", "off")
        .env_remove("SFKIT_SECRET_KEY")
        .env_remove("SFKIT_STORE");
    let client = ().serve(TokioChildProcess::new(cmd).unwrap()).await.unwrap();

    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    for expected in ["createLead", "query", "convertLead", "moreResults"] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }

    let args = |v: Value| v.as_object().unwrap().clone();
    let made = client
        .call_tool(
            CallToolRequestParams::new("createLead")
                .with_arguments(args(json!({"lastName": "Stdio", "company": "Pipes Ltd"}))),
        )
        .await
        .unwrap();
    assert_ne!(made.is_error, Some(true), "{made:?}");
    assert_eq!(text(&made)["success"], true);

    let q = client
        .call_tool(
            CallToolRequestParams::new("query")
                .with_arguments(args(json!({"query": "SELECT Name, Company FROM Lead"}))),
        )
        .await
        .unwrap();
    assert_eq!(text(&q)["records"][0]["Company"], "Pipes Ltd");

    let bad = client
        .call_tool(
            CallToolRequestParams::new("query")
                .with_arguments(args(json!({"query": "SELECT Nope FROM Lead"}))),
        )
        .await
        .unwrap();
    assert_eq!(bad.is_error, Some(true));
    assert_eq!(text(&bad)["error"]["code"], "INVALID_FIELD");
    client.cancel().await.unwrap();
}
