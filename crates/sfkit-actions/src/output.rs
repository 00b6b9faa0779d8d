//! The shapes actions answer in (a record, a save, a page of records) and their JSON Schemas,
//! side by side so an answer and the schema that describes it change together.

use serde_json::{Value, json};

/// Removes Salesforce's `attributes` members, at every depth.
pub fn strip_attributes(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.shift_remove("attributes");
            m.values_mut().for_each(strip_attributes);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_attributes),
        _ => {}
    }
}

/// One page of records: `nextCursor` is `None` on the last.
pub(crate) fn page(records: Vec<Value>, total: u64, next: Option<String>) -> Value {
    json!({
        "records": records,
        "totalSize": total,
        "done": next.is_none(),
        "nextCursor": next,
    })
}

/// The answer of a create, update or delete.
pub(crate) fn saved(id: &str) -> Value {
    json!({"id": id, "success": true})
}

/// The schema of a record; `what` says which.
pub(crate) fn record_schema(what: &str) -> Value {
    json!({
        "type": "object",
        "description": format!("{what}: Salesforce API field names to values"),
        "additionalProperties": true
    })
}

/// The schema of [`saved`].
pub(crate) fn save_schema() -> Value {
    json!({
        "type": "object",
        "properties": {"id": {"type": "string"}, "success": {"type": "boolean"}},
        "required": ["id", "success"]
    })
}

/// The schema of a [`page`] of `what`.
pub(crate) fn page_schema(what: &str) -> Value {
    json!({
        "type": "object",
        "properties": {
            "records": {"type": "array", "items": record_schema(what)},
            "totalSize": {"type": "integer", "description": "records matching in all pages (counted once, on the first page)"},
            "done": {"type": "boolean", "description": "no more pages"},
            "nextCursor": {"type": ["string", "null"], "description": "pass as cursor for the next page"}
        },
        "required": ["records", "totalSize", "done", "nextCursor"]
    })
}
