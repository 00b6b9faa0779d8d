//! `sfkit mcp` driven by an MCP client from the same SDK (rmcp) over stdio: it lists the
//! catalog's tools and calls createLead and query on the local org.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::common::Dir;
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

    // Titles and hints for the client to reason about each tool, and what it answers.
    let tool = |name: &str| tools.iter().find(|t| t.name == name).unwrap().clone();
    let create = tool("createLead");
    assert_eq!(create.title.as_deref(), Some("Create lead"));
    let hints = create.annotations.clone().unwrap();
    assert_eq!(
        (
            hints.read_only_hint,
            hints.destructive_hint,
            hints.idempotent_hint
        ),
        (Some(false), Some(false), Some(false))
    );
    let hints = tool("deleteLead").annotations.unwrap();
    assert_eq!(
        (hints.read_only_hint, hints.destructive_hint),
        (Some(false), Some(true))
    );
    assert_eq!(
        tool("query").annotations.unwrap().read_only_hint,
        Some(true)
    );
    assert!(tool("query").output_schema.is_some());
    // Inputs avoid what strict tool-calling modes refuse.
    assert!(tools.iter().all(|t| {
        !Value::Object((*t.input_schema).clone())
            .to_string()
            .contains("patternProperties")
    }));

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
    let structured = q.structured_content.clone().expect("a structured result");
    assert_eq!(structured["records"][0]["Company"], "Pipes Ltd");
    assert_eq!(structured["done"], true);

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

/// Puts `n` accounts into the local org of `data_dir` (the one `sfkit mcp` opens), straight
/// through the org's store: fast enough for 100,000.
async fn seed_accounts(data_dir: &std::path::Path, n: usize) {
    use sfkit_emulator::store::{Actor, WriteOptions};
    let org = sfkit_emulator::Org::start(
        sfkit_emulator::OrgConfig::default().data_dir(data_dir.join("org")),
    )
    .await
    .unwrap();
    let store = org.store();
    let actor = Actor {
        user_id: store
            .user_id(sfkit_emulator::ADMIN_USERNAME)
            .unwrap()
            .unwrap(),
        read_only: false,
    };
    for chunk in (0..n).collect::<Vec<_>>().chunks(10_000) {
        store
            .write_batch(|b| {
                for i in chunk {
                    let fields = json!({"Name": format!("Paged {i:06}"), "Industry": "Energy"});
                    b.insert(
                        &actor,
                        "Account",
                        fields.as_object().unwrap(),
                        WriteOptions::default(),
                    )?;
                }
                Ok(())
            })
            .unwrap();
    }
    org.shutdown().await;
}

/// Follows `nextCursor` from a query through the SDK client until `done`; the ids seen.
async fn read_all(
    client: &rmcp::service::RunningService<rmcp::RoleClient, ()>,
    soql: &str,
    via_more: bool,
) -> (Vec<String>, usize) {
    let args = |v: Value| v.as_object().unwrap().clone();
    let mut result = client
        .call_tool(CallToolRequestParams::new("query").with_arguments(args(json!({"query": soql}))))
        .await
        .unwrap();
    let mut ids = Vec::new();
    let mut answers = 0;
    loop {
        assert_ne!(result.is_error, Some(true), "{result:?}");
        let page = text(&result);
        answers += 1;
        for r in page["records"].as_array().unwrap() {
            ids.push(r["Id"].as_str().unwrap().to_owned());
        }
        let Some(cursor) = page["nextCursor"].as_str() else {
            assert_eq!(page["done"], true);
            break;
        };
        assert_eq!(page["done"], false);
        let call = if via_more && cursor.starts_with("mcp-") {
            CallToolRequestParams::new("moreResults")
                .with_arguments(args(json!({"cursor": cursor})))
        } else {
            CallToolRequestParams::new("query")
                .with_arguments(args(json!({"query": soql, "cursor": cursor})))
        };
        result = client.call_tool(call).await.unwrap();
    }
    (ids, answers)
}

/// An agent reading a large query through the official SDK's client gets every row exactly
/// once, whether it follows `nextCursor` back to the tool or through moreResults: 10,000 rows,
/// then 100,000. Before, following `nextCursor` gave 3,125 of 10,000 rows and following
/// `moreResults` stopped at 2,000.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mcp_client_reads_every_row_of_large_queries_once() {
    let dir = Dir::new("mcp-paging");
    seed_accounts(&dir.0, 100_000).await;
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_sfkit"));
    cmd.arg("mcp")
        .env("SFKIT_DATA_DIR", &dir.0)
        .env("SFKIT_KEYRING", "off")
        .env_remove("SFKIT_SECRET_KEY")
        .env_remove("SFKIT_STORE");
    let client = ().serve(TokioChildProcess::new(cmd).unwrap()).await.unwrap();
    for (soql, n, via_more) in [
        (
            "SELECT Id, Name FROM Account WHERE Name < 'Paged 010000'",
            10_000,
            false,
        ),
        (
            "SELECT Id, Name FROM Account WHERE Name < 'Paged 010000'",
            10_000,
            true,
        ),
        ("SELECT Id, Name FROM Account", 100_000, false),
    ] {
        let (ids, answers) = read_all(&client, soql, via_more).await;
        let unique: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(
            (ids.len(), unique.len()),
            (n, n),
            "{soql} via moreResults: {via_more}"
        );
        assert!(answers > n / 2000, "in parts: {answers}");
    }
    client.cancel().await.unwrap();
}
