//! Salesforce's validation of a record's values, answered with its codes, messages and fields.

use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OptionalExtension};

use super::derive::text;
use crate::api_error::ApiError;
use crate::ids;
use crate::schema::{Field, FieldType, SObjectType, Schema};

/// Checks a full row against the schema. `before` is the stored row on update: unchanged values
/// are not re-checked.
pub(super) fn validate(
    tx: &Connection,
    schema: &Schema,
    object: &SObjectType,
    row: &[Sql],
    before: Option<&[Sql]>,
) -> Result<(), ApiError> {
    required(object, row)?;
    for (i, (f, v)) in object.fields.iter().zip(row).enumerate() {
        if before.and_then(|b| b.get(i)) == Some(v) {
            continue;
        }
        let Sql::Text(s) = v else { continue };
        let value = Value {
            tx,
            object,
            row,
            field: f,
            text: s,
        };
        value.check_length()?;
        value.check_kind(schema)?;
        if f.unique && f.name != "Id" {
            value.check_unique()?;
        }
    }
    Ok(())
}

/// Required fields left empty, all named in one error.
fn required(object: &SObjectType, row: &[Sql]) -> Result<(), ApiError> {
    let missing: Vec<String> = object
        .fields
        .iter()
        .zip(row)
        .filter(|(f, v)| !f.nillable && !f.calculated && matches!(v, Sql::Null) && f.name != "Id")
        .filter(|(f, _)| f.createable || f.updateable)
        .map(|(f, _)| f.name.clone())
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::with_fields(
            400,
            "REQUIRED_FIELD_MISSING",
            format!("Required fields are missing: [{}]", missing.join(", ")),
            missing,
        ));
    }
    Ok(())
}

/// One text value of a row, being checked.
struct Value<'a> {
    tx: &'a Connection,
    object: &'a SObjectType,
    row: &'a [Sql],
    field: &'a Field,
    text: &'a str,
}

impl Value<'_> {
    /// An error about this field.
    fn bad(&self, code: &str, message: String) -> ApiError {
        ApiError::with_fields(400, code, message, vec![self.field.name.clone()])
    }

    fn check_length(&self) -> Result<(), ApiError> {
        let (f, s) = (self.field, self.text);
        if f.kind.is_text() && f.length > 0 && s.chars().count() > f.length as usize {
            return Err(self.bad(
                "STRING_TOO_LONG",
                format!(
                    "{}: data value too large: {} (max length={})",
                    f.label, s, f.length
                ),
            ));
        }
        Ok(())
    }

    /// What the field's type asks of a value: a restricted picklist's values, an email's
    /// shape, a reference's target.
    fn check_kind(&self, schema: &Schema) -> Result<(), ApiError> {
        let (f, s) = (self.field, self.text);
        match f.kind {
            FieldType::Picklist
                if f.restricted_picklist
                    && !f.picklist.iter().any(|p| p.active && p.value == s) =>
            {
                Err(self.bad(
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    format!("{}: bad value for restricted picklist field: {s}", f.label),
                ))
            }
            FieldType::Multipicklist if f.restricted_picklist => {
                for part in s.split(';').filter(|p| !p.is_empty()) {
                    if !f.picklist.iter().any(|p| p.active && p.value == part) {
                        return Err(self.bad(
                            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                            format!(
                                "{}: bad value for restricted picklist field: {part}",
                                f.label
                            ),
                        ));
                    }
                }
                Ok(())
            }
            FieldType::Email if !valid_email(s) => Err(self.bad(
                "INVALID_EMAIL_ADDRESS",
                format!("{}: invalid email address: {s}", f.label),
            )),
            // The acting user exists: a reference to it (the default owner) needs no lookup.
            FieldType::Reference
                if !f.name.ends_with("ById")
                    && text(self.object, self.row, "LastModifiedById").as_deref() != Some(s) =>
            {
                self.check_reference(schema)
            }
            _ => Ok(()),
        }
    }

    /// A reference names a live record of a type the field points to.
    fn check_reference(&self, schema: &Schema) -> Result<(), ApiError> {
        let (f, s) = (self.field, self.text);
        let Some(id) = ids::normalize(s) else {
            return Err(self.bad(
                "MALFORMED_ID",
                format!("{}: id value of incorrect type: {s}", f.label),
            ));
        };
        let target = schema.by_prefix(ids::prefix(&id)).filter(|t| {
            f.reference_to
                .iter()
                .any(|r| r.eq_ignore_ascii_case(&t.name))
        });
        let Some(target) = target else {
            return Err(self.bad(
                "FIELD_INTEGRITY_EXCEPTION",
                format!("{}: id value of incorrect type: {s}", f.label),
            ));
        };
        let exists: Option<i64> = self
            .tx
            .prepare_cached(&format!(
                "SELECT 1 FROM {} WHERE \"Id\" = ?1 AND \"IsDeleted\" = 0",
                target.table()
            ))?
            .query_row([&id], |r| r.get(0))
            .optional()?;
        if exists.is_none() {
            return Err(self.bad(
                "INVALID_CROSS_REFERENCE_KEY",
                "invalid cross reference id".to_owned(),
            ));
        }
        Ok(())
    }

    /// No other live record holds a unique field's value.
    fn check_unique(&self) -> Result<(), ApiError> {
        let f = self.field;
        let id = self.row.first().cloned().unwrap_or(Sql::Null);
        let collate = if f.case_sensitive { "BINARY" } else { "NOCASE" };
        let other: Option<String> = self
            .tx
            .prepare_cached(&format!(
                "SELECT \"Id\" FROM {} WHERE \"{}\" = ?1 COLLATE {collate} AND \"IsDeleted\" = 0 AND \"Id\" IS NOT ?2 LIMIT 1",
                self.object.table(),
                f.name
            ))?
            .query_row(rusqlite::params![self.text, id], |r| r.get(0))
            .optional()?;
        if let Some(other) = other {
            return Err(self.bad(
                "DUPLICATE_VALUE",
                format!(
                    "duplicate value found: {} duplicates value on record with id: {}",
                    f.name,
                    ids::short(&other)
                ),
            ));
        }
        Ok(())
    }
}

fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c == ',' || c == ';')
}
