//! The OpenAPI document, generated from the catalog: one path per action, its request body the
//! action's input schema, its 200 answer the output schema.

use serde_json::{Map, Value, json};
use sfkit_actions::Catalog;

/// The 424 answer: the connection, not the call, needs repair.
const CONNECTION_FAILED: &str = "The connection failed: its session expired and could not be renewed (code INVALID_SESSION_ID; sfkit already asked for a new token, from Nango with a forced refresh), or its login was refused (the OAuth or Nango error as the code). Reconnect: re-authorize the connection, or save it again with new credentials";

pub(crate) fn document(catalog: &Catalog) -> Value {
    let error = json!({
        "description": "An error in Salesforce's shape",
        "content": {"application/json": {"schema": {"type": "object", "properties": {"error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"}, "message": {"type": "string"},
                "fields": {"type": "array", "items": {"type": "string"}},
                "retryable": {"type": "boolean"}
            }
        }}}}}
    });
    let e = |what: &str| {
        let mut r = error.clone();
        if let Value::Object(m) = &mut r {
            m.insert("description".into(), json!(what));
        }
        r
    };
    let connection = json!([
        {
            "name": "X-Sfkit-Connection", "in": "header", "required": false,
            "schema": {"type": "string"},
            "description": "the connection to use (default: the only one)"
        },
        {
            "name": "connection", "in": "query", "required": false,
            "schema": {"type": "string"},
            "description": "the connection to use, where a header cannot be set"
        }
    ]);
    let mut paths = Map::new();
    for a in catalog.actions() {
        paths.insert(
            format!("/v1/actions/{}", a.name()),
            json!({"post": {
                "operationId": a.name(),
                "summary": a.description(),
                "tags": [if a.read_only() { "read" } else { "write" }],
                "parameters": connection,
                "requestBody": {"required": true, "content": {"application/json": {"schema": a.input_schema()}}},
                "responses": {
                    "200": {"description": "The action's output", "content": {"application/json": {"schema": a.output_schema()}}},
                    "400": e("The parameters were refused; nothing was sent to Salesforce"),
                    "401": e("Missing or wrong API key"),
                    "403": e("The API key may not do this (Salesforce refusing the connection's user is a 422)"),
                    "404": e("No such action, connection or record"),
                    "408": e("The request's body did not arrive in time"),
                    "413": e("The request's body is too large"),
                    "422": e("Salesforce refused the call (its error code and message)"),
                    "424": e(CONNECTION_FAILED),
                    "429": e("Too many requests for this API key, or the org's limit"),
                    "502": e("Salesforce could not be reached (CONNECTION_FAILED), or answered what its API does not document"),
                    "503": e("Salesforce or the server's store is unavailable: try again later"),
                    "504": e("The action took too long")
                }
            }}),
        );
    }
    other_paths(&mut paths, &e);
    key_paths(&mut paths, &error);
    json!({
        "openapi": "3.1.0",
        "info": {"title": "sfkit", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Salesforce actions over HTTP"},
        "components": {"securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}}},
        "security": [{"apiKey": []}],
        "paths": paths,
    })
}

/// Every route besides the actions and the keys: the catalog, connections, OAuth's browser
/// legs, MCP, health, metrics and this document.
fn other_paths(paths: &mut Map<String, Value>, e: &dyn Fn(&str) -> Value) {
    catalog_paths(paths, e);
    connection_paths(paths, e);
    browser_and_operation_paths(paths, e);
}

/// `/v1/actions`: the catalog.
fn catalog_paths(paths: &mut Map<String, Value>, e: &dyn Fn(&str) -> Value) {
    let mut add = |path: &str, item: Value| {
        paths.insert(path.to_owned(), item);
    };
    add(
        "/v1/actions",
        json!({"get": {
            "operationId": "listActions", "tags": ["catalog"],
            "summary": "Every action with its input and output schemas.",
            "responses": {"200": {"description": "The catalog"}, "401": e("Missing or wrong API key")}
        }}),
    );
    add(
        "/v1/actions/{name}",
        json!({"get": {
            "operationId": "describeAction", "tags": ["catalog"],
            "summary": "One action with its input and output schemas.",
            "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "The action"}, "401": e("Missing or wrong API key"),
                          "404": e("No such action")}
        }}),
    );
}

/// `/v1/connections`: listing, saving, deleting and authorizing connections.
fn connection_paths(paths: &mut Map<String, Value>, e: &dyn Fn(&str) -> Value) {
    let connection = json!({"type": "object", "properties": {
        "name": {"type": "string"}, "instanceUrl": {"type": "string"},
        "kind": {"type": "string"}, "settings": {"type": "object"}
    }});
    let kinds = crate::connections::KINDS
        .iter()
        .map(|k| {
            format!(
                "{k}: {}",
                crate::connections::takes(k).unwrap_or("see the README")
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let mut add = |path: &str, item: Value| {
        paths.insert(path.to_owned(), item);
    };
    add(
        "/v1/connections",
        json!({
            "get": {
                "operationId": "listConnections", "tags": ["connections"],
                "summary": "The saved connections this key may use (never their secrets).",
                "responses": {"200": {"description": "The connections", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"connections": {"type": "array", "items": connection}}}}}},
                    "401": e("Missing or wrong API key"), "503": e("The store is unavailable")}
            },
            "post": {
                "operationId": "createConnection", "tags": ["connections"],
                "summary": "Saves a connection after checking that it logs in (unlimited keys only).",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["name", "kind"], "properties": {
                        "name": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"},
                        "instanceUrl": {"type": "string", "description": "https://MyDomain.my.salesforce.com; required but for nango (Nango names the org)"},
                        "kind": {"type": "string", "enum": crate::connections::KINDS, "description": kinds},
                        "settings": {"type": "object", "description": "the kind's settings that are not secret (client id, username, Nango's integration and connection ids, ...)"},
                        "secrets": {"type": "object", "description": "the kind's secrets (sealed at rest, never shown again)"}
                    }}}}},
                "responses": {"201": {"description": "Saved"}, "400": e("A field is missing or wrong"),
                              "401": e("Missing or wrong API key"), "403": e("The key is limited"),
                              "422": e("Salesforce refused the login check"),
                              "424": e("The connection did not log in: its token, key or Nango connection was refused"),
                              "502": e("Salesforce or Nango could not be reached"),
                              "503": e("The store is unavailable")}
            }
        }),
    );
    add(
        "/v1/connections/{name}",
        json!({"delete": {
            "operationId": "deleteConnection", "tags": ["connections"],
            "summary": "Deletes a saved connection (unlimited keys only).",
            "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"204": {"description": "Deleted"}, "401": e("Missing or wrong API key"),
                          "403": e("The key is limited"), "404": e("No such connection")}
        }}),
    );
    add(
        "/v1/connections/{name}/authorize",
        json!({"post": {
            "operationId": "authorizeConnection", "tags": ["connections"],
            "summary": "Starts Salesforce's OAuth web flow for a connection: answers the URL to open in a browser.",
            "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "The URL to open"}, "400": e("The request was refused"),
                          "401": e("Missing or wrong API key"), "403": e("The key is limited")}
        }}),
    );
}

/// OAuth's browser legs, MCP, health, metrics and this document.
fn browser_and_operation_paths(paths: &mut Map<String, Value>, e: &dyn Fn(&str) -> Value) {
    let open = json!([]);
    let mut add = |path: &str, item: Value| {
        paths.insert(path.to_owned(), item);
    };
    add(
        "/v1/oauth/start/{state}",
        json!({"get": {
            "operationId": "oauthStart", "tags": ["oauth"], "security": open,
            "summary": "The browser's first leg of the OAuth flow: redirects to Salesforce.",
            "parameters": [{"name": "state", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"302": {"description": "To Salesforce's login"}, "404": e("Unknown or expired flow")}
        }}),
    );
    add(
        "/v1/oauth/callback",
        json!({"get": {
            "operationId": "oauthCallback", "tags": ["oauth"], "security": open,
            "summary": "Where Salesforce sends the browser back with the authorization code.",
            "responses": {"200": {"description": "The connection is saved"}, "400": e("The flow failed")}
        }}),
    );
    add(
        "/mcp",
        json!({"post": {
            "operationId": "mcp", "tags": ["mcp"],
            "summary": "The actions as MCP tools (streamable HTTP transport, JSON answers).",
            "responses": {"200": {"description": "A JSON-RPC answer"},
                          "400": {"description": "A JSON-RPC error (-32700 not JSON, -32600 not a message)"},
                          "401": e("Missing or wrong API key")}
        }}),
    );
    add(
        "/healthz",
        json!({"get": {
            "operationId": "health", "tags": ["operations"], "security": open,
            "summary": "Whether the server answers.",
            "responses": {"200": {"description": "{\"status\": \"ok\"}"}}
        }}),
    );
    add(
        "/metrics",
        json!({"get": {
            "operationId": "metrics", "tags": ["operations"],
            "summary": "Prometheus metrics.",
            "responses": {"200": {"description": "Prometheus text"}, "401": e("Missing or wrong API key")}
        }}),
    );
    add(
        "/v1/openapi.json",
        json!({"get": {
            "operationId": "openapi", "tags": ["operations"], "security": open,
            "summary": "This document (no key needed).",
            "responses": {"200": {"description": "The OpenAPI document"}}
        }}),
    );
}

/// `/v1/apikeys`: for admin keys only.
fn key_paths(paths: &mut Map<String, Value>, error: &Value) {
    let scope = json!({"type": "object", "properties": {
        "connections": {"type": "array", "items": {"type": "string"},
                        "description": "the connections the key may use (empty: all)"},
        "readOnly": {"type": "boolean", "description": "only actions that change nothing"},
        "admin": {"type": "boolean", "description": "may manage API keys"}
    }});
    let key = json!({"type": "object", "properties": {
        "id": {"type": "string"}, "name": {"type": "string"}, "scope": scope,
        "createdAt": {"type": "integer", "description": "Unix milliseconds"},
        "revokedAt": {"type": ["integer", "null"], "description": "Unix milliseconds, if revoked"}
    }});
    let mut made = key.clone();
    if let Some(Value::Object(props)) = made.get_mut("properties") {
        props.insert(
            "key".into(),
            json!({"type": "string", "description": "the key itself, shown this once"}),
        );
    }
    let refused = json!({
        "401": error, "403": {"description": "The API key is not an admin key"},
    });
    let with = |extra: Value| {
        let mut r = refused.clone();
        if let (Value::Object(r), Value::Object(extra)) = (&mut r, extra) {
            r.extend(extra);
        }
        r
    };
    paths.insert(
        "/v1/apikeys".into(),
        json!({
            "get": {
                "operationId": "listApiKeys", "tags": ["admin"],
                "summary": "Every API key (never the keys themselves), revoked ones too.",
                "responses": with(json!({"200": {"description": "The keys", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"apiKeys": {"type": "array", "items": key}}}}}}}))
            },
            "post": {
                "operationId": "createApiKey", "tags": ["admin"],
                "summary": "Makes an API key; the answer holds the key, shown this once.",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["name"], "properties": {
                        "name": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"},
                        "connections": {"type": "array", "items": {"type": "string"}},
                        "readOnly": {"type": "boolean"},
                        "admin": {"type": "boolean", "description": "with no other limit only"}
                    }}}}},
                "responses": with(json!({
                    "201": {"description": "The key made", "content": {"application/json": {"schema": made}}},
                    "400": error, "409": error
                }))
            }
        }),
    );
    paths.insert(
        "/v1/apikeys/{name}".into(),
        json!({"delete": {
            "operationId": "revokeApiKey", "tags": ["admin"],
            "summary": "Revokes an API key (by name or id): refused from the next request on.",
            "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": with(json!({"204": {"description": "Revoked"}, "404": error}))
        }}),
    );
}
