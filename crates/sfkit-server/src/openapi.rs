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
    json!({
        "openapi": "3.1.0",
        "info": {"title": "sfkit", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Salesforce actions over HTTP"},
        "components": {"securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}}},
        "security": [{"apiKey": []}],
        "paths": paths,
    })
}
