//! A write transaction's records: insert, update and delete with Salesforce's checks, ids minted
//! from the org's sequence.

use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OptionalExtension, params_from_iter};
use serde_json::{Map, Value as Json};

use super::derive::{default_for, derive, index_of, row_bool, set};
use super::read::read_record;
use super::validate::validate;
use super::{Actor, Upserted, WriteOptions, find_by, readonly_error};
use crate::api_error::ApiError;
use crate::ids;
use crate::schema::{FieldType, SObjectType, Schema};
use crate::store::values::{self, now_ms, to_sql};

/// Several writes in one transaction (collections, composite, seeding).
pub struct Batch<'a> {
    pub(crate) tx: &'a Connection,
    pub(crate) seq: &'a mut u64,
    pub(crate) schema: &'a Schema,
}

impl Batch<'_> {
    /// Creates a record.
    pub fn insert(
        &mut self,
        actor: &Actor,
        sobject: &str,
        fields: &Map<String, Json>,
        opts: WriteOptions,
    ) -> Result<String, ApiError> {
        let object = self.schema.get(sobject).ok_or_else(ApiError::not_found)?;
        insert_in(self.tx, self.seq, self.schema, actor, object, fields, opts)
    }

    /// Updates a record.
    pub fn update(
        &mut self,
        actor: &Actor,
        sobject: &str,
        id: &str,
        fields: &Map<String, Json>,
    ) -> Result<(), ApiError> {
        let object = self.schema.get(sobject).ok_or_else(ApiError::not_found)?;
        update_in(
            self.tx,
            self.schema,
            actor,
            object,
            id,
            fields,
            WriteOptions::default(),
        )
    }

    /// Deletes a record.
    pub fn delete(&mut self, actor: &Actor, sobject: &str, id: &str) -> Result<(), ApiError> {
        let object = self.schema.get(sobject).ok_or_else(ApiError::not_found)?;
        delete_in(self.tx, actor, object, id)
    }

    /// The declared name of a type, or NOT_FOUND.
    pub fn sobject_name(&self, name: &str) -> Result<String, ApiError> {
        self.schema
            .get(name)
            .map(|o| o.name.clone())
            .ok_or_else(ApiError::not_found)
    }

    /// The child type and its reference field for a child relationship of `parent`.
    pub fn child_relationship(
        &self,
        parent: &str,
        relationship: &str,
    ) -> Result<(String, String), ApiError> {
        let p = self.schema.get(parent).ok_or_else(ApiError::not_found)?;
        let rel = p.child_relationship(relationship).ok_or_else(|| {
            ApiError::bad_request(
                "INVALID_FIELD",
                format!("No such relationship {relationship} on {}", p.name),
            )
        })?;
        Ok((rel.child.clone(), rel.field.clone()))
    }

    /// Updates a record bypassing field-level write checks (fields only the org sets).
    pub(crate) fn update_system(
        &mut self,
        actor: &Actor,
        sobject: &str,
        id: &str,
        fields: &Map<String, Json>,
    ) -> Result<(), ApiError> {
        let object = self.schema.get(sobject).ok_or_else(ApiError::not_found)?;
        let opts = WriteOptions {
            system: true,
            reserved_seq: None,
        };
        update_in(self.tx, self.schema, actor, object, id, fields, opts)
    }

    /// The first column of a one-parameter statement, as strings.
    pub(crate) fn query_values(&self, sql: &str, param: &str) -> Result<Vec<String>, ApiError> {
        let mut stmt = self.tx.prepare_cached(sql)?;
        let rows = stmt
            .query_map([param], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Sets a value in the org's metadata table.
    pub fn set_meta(&mut self, key: &str, value: &str) -> Result<(), ApiError> {
        self.tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }

    /// A record by id, seeing this batch's own writes.
    pub fn get(
        &self,
        sobject: &str,
        id: &str,
        fields: Option<&[String]>,
        version: &str,
    ) -> Result<Map<String, Json>, ApiError> {
        let object = self.schema.get(sobject).ok_or_else(ApiError::not_found)?;
        read_record(self.tx, object, id, fields, version)
    }

    /// The connection of this batch's transaction (for queries that must see its writes).
    pub(crate) fn conn(&self) -> &Connection {
        self.tx
    }

    /// Creates or updates the record whose `field` equals `value` (an external id, or `Id`).
    pub fn upsert(
        &mut self,
        actor: &Actor,
        sobject: &str,
        field: &str,
        value: &str,
        fields: &Map<String, Json>,
        update_only: bool,
    ) -> Result<Upserted, ApiError> {
        let object = self.schema.get(sobject).ok_or_else(ApiError::not_found)?;
        let key = object
            .field(field)
            .filter(|f| f.external_id || f.name == "Id")
            .ok_or_else(|| {
                ApiError::new(
                    404,
                    "NOT_FOUND",
                    format!(
                        "Provided external ID field does not exist or is not accessible: {field}"
                    ),
                )
            })?;
        let matches = find_by(self.tx, object, &key.name, value, key.case_sensitive)?;
        let mut body = fields.clone();
        match matches.as_slice() {
            [] if update_only || key.name == "Id" => Err(ApiError::not_found()),
            [] => {
                body.insert(key.name.clone(), Json::String(value.to_owned()));
                let opts = WriteOptions::default();
                insert_in(self.tx, self.seq, self.schema, actor, object, &body, opts)
                    .map(Upserted::Created)
            }
            [one] => {
                // The key itself is not rewritten on update.
                body.retain(|k, _| !k.eq_ignore_ascii_case(&key.name));
                update_in(
                    self.tx,
                    self.schema,
                    actor,
                    object,
                    one,
                    &body,
                    WriteOptions::default(),
                )?;
                Ok(Upserted::Updated(one.clone()))
            }
            many => Ok(Upserted::Multiple(many.to_vec())),
        }
    }

    /// Ids of live records whose `field` equals `value`.
    pub fn find_by(
        &self,
        sobject: &str,
        field: &str,
        value: &str,
    ) -> Result<Vec<String>, ApiError> {
        let object = self.schema.get(sobject).ok_or_else(ApiError::not_found)?;
        let f = object.field(field).ok_or_else(ApiError::not_found)?;
        find_by(self.tx, object, &f.name, value, f.case_sensitive)
    }

    /// A savepoint: `f`'s writes are undone if it fails, and the batch goes on.
    pub fn attempt<T>(
        &mut self,
        f: impl FnOnce(&mut Batch<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        self.tx.execute_batch("SAVEPOINT item")?;
        let seq_before = *self.seq;
        let out = f(self);
        match &out {
            Ok(_) => self.tx.execute_batch("RELEASE item")?,
            Err(_) => {
                self.tx.execute_batch("ROLLBACK TO item; RELEASE item")?;
                *self.seq = seq_before;
            }
        }
        out
    }
}

pub(super) fn persist_seq(tx: &Connection, seq: u64) -> Result<(), ApiError> {
    tx.prepare_cached(
        "INSERT INTO meta (key, value) VALUES ('seq', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute([i64::try_from(seq).unwrap_or(i64::MAX)])?;
    Ok(())
}

/// The 18-character id for a URL id of `object`, or Salesforce's error for it.
pub(super) fn checked_id(object: &SObjectType, raw: &str) -> Result<String, ApiError> {
    let Some(id) = ids::normalize(raw) else {
        return Err(ApiError::new(
            404,
            "NOT_FOUND",
            format!("Provided external ID field does not exist or is not accessible: {raw}"),
        ));
    };
    if ids::prefix(&id) != object.key_prefix {
        return Err(ApiError::with_fields(
            400,
            "MALFORMED_ID",
            format!("{} ID: id value of incorrect type: {raw}", object.label),
            vec!["Id".into()],
        ));
    }
    Ok(id)
}

/// Converts and checks the client's fields; returns the values to write, by field name.
pub(super) fn client_values(
    object: &SObjectType,
    fields: &Map<String, Json>,
    creating: bool,
    opts: WriteOptions,
) -> Result<Vec<(usize, Sql)>, ApiError> {
    let mut out = Vec::with_capacity(fields.len());
    let mut not_writable = Vec::new();
    for (key, value) in fields {
        if key == "attributes" {
            continue;
        }
        let Some(index) = object
            .fields
            .iter()
            .position(|f| f.name.eq_ignore_ascii_case(key))
        else {
            return Err(ApiError::bad_request(
                "INVALID_FIELD",
                format!("No such column '{key}' on sobject of type {}", object.name),
            ));
        };
        let Some(field) = object.fields.get(index) else {
            continue;
        };
        if field.name == "Id" {
            if creating {
                return Err(ApiError::bad_request(
                    "INVALID_FIELD",
                    "The Id field should not be specified in the sobject data.",
                ));
            }
            continue;
        }
        let writable = if creating {
            field.createable
        } else {
            field.updateable
        };
        if !opts.system && (!writable || field.calculated) {
            not_writable.push(field.name.clone());
            continue;
        }
        let sql = to_sql(field, value).map_err(|()| {
            ApiError::bad_request("JSON_PARSER_ERROR", values::type_mismatch(field, value))
        })?;
        // References are stored (and joined, and returned) in the 18-character form.
        let sql = match sql {
            Sql::Text(s) if field.kind == FieldType::Reference => {
                Sql::Text(ids::normalize(&s).unwrap_or(s))
            }
            other => other,
        };
        out.push((index, sql));
    }
    if !not_writable.is_empty() {
        return Err(ApiError::with_fields(
            400,
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            format!(
                "Unable to create/update fields: {}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
                not_writable.join(", ")
            ),
            not_writable,
        ));
    }
    Ok(out)
}

pub(super) fn insert_in(
    tx: &Connection,
    seq: &mut u64,
    schema: &Schema,
    actor: &Actor,
    object: &SObjectType,
    fields: &Map<String, Json>,
    opts: WriteOptions,
) -> Result<String, ApiError> {
    let (id, row) = insert_row(tx, seq, schema, actor, object, fields, opts)?;
    crate::sosl::index(tx, object, &id, &row)?;
    Ok(id)
}

/// Validates and inserts a record, leaving its search row to the caller; returns its id and
/// stored values.
pub(super) fn insert_row(
    tx: &Connection,
    seq: &mut u64,
    schema: &Schema,
    actor: &Actor,
    object: &SObjectType,
    fields: &Map<String, Json>,
    opts: WriteOptions,
) -> Result<(String, Vec<Sql>), ApiError> {
    if actor.read_only && !opts.system {
        return Err(readonly_error());
    }
    if !object.createable && !opts.system {
        return Err(ApiError::bad_request(
            "INVALID_TYPE",
            format!("entity type {} does not support insert", object.name),
        ));
    }
    let given = client_values(object, fields, true, opts)?;
    let mut row: Vec<Sql> = vec![Sql::Null; object.fields.len()];
    for (i, f) in object.fields.iter().enumerate() {
        if let Some(slot) = row.get_mut(i) {
            *slot = default_for(f, actor);
        }
    }
    for (i, v) in given {
        if let Some(slot) = row.get_mut(i) {
            *slot = v;
        }
    }
    let n = opts.reserved_seq.unwrap_or_else(|| {
        let n = *seq;
        *seq += 1;
        n
    });
    let id = ids::mint(&object.key_prefix, n);
    let now = Sql::Integer(now_ms());
    set(object, &mut row, "Id", Sql::Text(id.clone()));
    set(object, &mut row, "IsDeleted", Sql::Integer(0));
    for name in ["CreatedDate", "LastModifiedDate", "SystemModstamp"] {
        set(object, &mut row, name, now.clone());
    }
    for name in ["CreatedById", "LastModifiedById"] {
        set(object, &mut row, name, Sql::Text(actor.user_id.clone()));
    }
    derive(tx, object, &mut row)?;
    validate(tx, schema, object, &row, None)?;
    let cols: Vec<String> = object
        .fields
        .iter()
        .map(|f| format!("\"{}\"", f.name))
        .collect();
    let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        object.table(),
        cols.join(", "),
        marks.join(", ")
    );
    tx.prepare_cached(&sql)?
        .execute(params_from_iter(row.iter()))?;
    Ok((id, row))
}

pub(super) fn update_in(
    tx: &Connection,
    schema: &Schema,
    actor: &Actor,
    object: &SObjectType,
    raw_id: &str,
    fields: &Map<String, Json>,
    opts: WriteOptions,
) -> Result<(), ApiError> {
    if actor.read_only && !opts.system {
        return Err(readonly_error());
    }
    let id = checked_id(object, raw_id)?;
    let mut row = load_row(tx, object, &id)?;
    if row_bool(object, &row, "IsDeleted") {
        return Err(ApiError::with_fields(
            404,
            "ENTITY_IS_DELETED",
            "entity is deleted",
            vec![],
        ));
    }
    let before = row.clone();
    let given = client_values(object, fields, false, opts)?;
    // A new stage brings its default probability and forecast category unless the client
    // sends its own (derive fills the cleared values from the stage).
    if object.name == "Opportunity"
        && let Some(stage) = index_of(object, "StageName")
        && given
            .iter()
            .any(|(i, v)| *i == stage && before.get(*i) != Some(v))
    {
        for name in ["Probability", "ForecastCategoryName"] {
            if let Some(i) = index_of(object, name)
                && !given.iter().any(|(g, _)| *g == i)
            {
                set(object, &mut row, name, Sql::Null);
            }
        }
    }
    for (i, v) in given {
        if let Some(slot) = row.get_mut(i) {
            *slot = v;
        }
    }
    let now = Sql::Integer(now_ms());
    set(object, &mut row, "LastModifiedDate", now.clone());
    set(object, &mut row, "SystemModstamp", now);
    set(
        object,
        &mut row,
        "LastModifiedById",
        Sql::Text(actor.user_id.clone()),
    );
    derive(tx, object, &mut row)?;
    validate(tx, schema, object, &row, Some(&before))?;
    let mut sets = Vec::new();
    let mut params = Vec::new();
    for (f, (new, old)) in object.fields.iter().zip(row.iter().zip(before.iter())) {
        if new != old {
            params.push(new.clone());
            sets.push(format!("\"{}\" = ?{}", f.name, params.len()));
        }
    }
    if sets.is_empty() {
        return Ok(());
    }
    params.push(Sql::Text(id));
    let sql = format!(
        "UPDATE {} SET {} WHERE \"Id\" = ?{}",
        object.table(),
        sets.join(", "),
        params.len()
    );
    tx.execute(&sql, params_from_iter(params.iter()))?;
    if let Some(Sql::Text(id)) = params.last() {
        crate::sosl::index(tx, object, id, &row)?;
    }
    Ok(())
}

pub(super) fn delete_in(
    tx: &Connection,
    actor: &Actor,
    object: &SObjectType,
    raw_id: &str,
) -> Result<(), ApiError> {
    if actor.read_only {
        return Err(readonly_error());
    }
    if !object.deletable {
        return Err(ApiError::bad_request(
            "INVALID_TYPE",
            format!("entity type {} does not support delete", object.name),
        ));
    }
    let id = checked_id(object, raw_id)?;
    let deleted: Option<bool> = tx
        .query_row(
            &format!(
                "SELECT \"IsDeleted\" FROM {} WHERE \"Id\" = ?1",
                object.table()
            ),
            [&id],
            |r| r.get(0),
        )
        .optional()?;
    match deleted {
        None => return Err(ApiError::not_found()),
        Some(true) => {
            return Err(ApiError::with_fields(
                404,
                "ENTITY_IS_DELETED",
                "entity is deleted",
                vec![],
            ));
        }
        Some(false) => {}
    }
    let now = now_ms();
    tx.execute(
        &format!(
            "UPDATE {} SET \"IsDeleted\" = 1, \"SystemModstamp\" = ?1, \"LastModifiedDate\" = ?1, \"LastModifiedById\" = ?2 WHERE \"Id\" = ?3",
            object.table()
        ),
        rusqlite::params![now, actor.user_id, id],
    )?;
    crate::sosl::remove(tx, &id)?;
    Ok(())
}

pub(super) fn load_row(
    tx: &Connection,
    object: &SObjectType,
    id: &str,
) -> Result<Vec<Sql>, ApiError> {
    let cols: Vec<String> = object
        .fields
        .iter()
        .map(|f| format!("\"{}\"", f.name))
        .collect();
    let sql = format!(
        "SELECT {} FROM {} WHERE \"Id\" = ?1",
        cols.join(", "),
        object.table()
    );
    let row = tx
        .query_row(&sql, [id], |r| {
            (0..object.fields.len())
                .map(|i| r.get::<_, Sql>(i))
                .collect::<Result<Vec<_>, _>>()
        })
        .optional()?;
    row.ok_or_else(ApiError::not_found)
}
