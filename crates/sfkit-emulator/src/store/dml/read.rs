//! Reading a record by id.

use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OptionalExtension};
use serde_json::{Map, Value as Json};

use super::attributes;
use super::batch::checked_id;
use crate::api_error::ApiError;
use crate::schema::{Field, SObjectType};
use crate::store::values::to_json;

/// A record by id from `conn`.
pub(crate) fn read_record(
    conn: &Connection,
    object: &SObjectType,
    id: &str,
    fields: Option<&[String]>,
    version: &str,
) -> Result<Map<String, Json>, ApiError> {
    let id = checked_id(object, id)?;
    let selected: Vec<&Field> = match fields {
        None => object.fields.iter().collect(),
        Some(names) => {
            let mut out = Vec::new();
            for n in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
                let f = object.field(n).ok_or_else(|| {
                    ApiError::bad_request(
                        "INVALID_FIELD",
                        format!(
                            "No such column '{n}' on entity '{}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.",
                            object.name
                        ),
                    )
                })?;
                if !out.iter().any(|x: &&Field| x.name == f.name) {
                    out.push(f);
                }
            }
            out
        }
    };
    let cols: Vec<String> = selected.iter().map(|f| format!("\"{}\"", f.name)).collect();
    let sql = format!(
        "SELECT \"IsDeleted\"{}{} FROM {} WHERE \"Id\" = ?1",
        if cols.is_empty() { "" } else { ", " },
        cols.join(", "),
        object.table()
    );
    let row = conn
        .query_row(&sql, [&id], |r| {
            let deleted: bool = r.get(0)?;
            let mut vals = Vec::with_capacity(selected.len());
            for i in 0..selected.len() {
                vals.push(r.get::<_, Sql>(i + 1)?);
            }
            Ok((deleted, vals))
        })
        .optional()?;
    let Some((deleted, vals)) = row else {
        return Err(ApiError::not_found());
    };
    if deleted {
        return Err(ApiError::with_fields(
            404,
            "ENTITY_IS_DELETED",
            "entity is deleted",
            vec![],
        ));
    }
    let mut out = Map::new();
    out.insert("attributes".into(), attributes(&object.name, &id, version));
    for (f, v) in selected.iter().zip(vals) {
        out.insert(f.name.clone(), to_json(f.kind, v));
    }
    // With `?fields=`, Salesforce appends the Id after the fields asked for.
    if fields.is_some() && !out.contains_key("Id") {
        out.insert("Id".into(), Json::String(id));
    }
    Ok(out)
}
