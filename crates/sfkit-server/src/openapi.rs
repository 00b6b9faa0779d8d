//! The OpenAPI document, generated from the catalog: one path per action, its request body the
//! action's input schema, its 200 answer the output schema.

use serde_json::{Map, Value, json};
use sfkit_actions::Catalog;

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
    let mut paths = Map::new();
    for a in catalog.actions() {
        paths.insert(
            format!("/v1/actions/{}", a.name()),
            json!({"post": {
                "operationId": a.name(),
                "summary": a.description(),
                "tags": [if a.read_only() { "read" } else { "write" }],
                "parameters": [{
                    "name": "X-Sfkit-Connection", "in": "header", "required": false,
                    "schema": {"type": "string"},
                    "description": "the connection to use (default: the only one)"
                }],
                "requestBody": {"required": true, "content": {"application/json": {"schema": a.input_schema()}}},
                "responses": {
                    "200": {"description": "The action's output", "content": {"application/json": {"schema": a.output_schema()}}},
                    "400": error, "401": {"description": "Missing or wrong API key"},
                    "403": {"description": "The API key may not do this"},
                    "429": {"description": "Too many requests for this API key"},
                    "502": {"description": "Salesforce could not be reached or answered an error"}
                }
            }}),
        );
    }
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
