//! Values the org derives on every write: defaults, names, compound and activity fields.

use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OptionalExtension};

use super::Actor;
use crate::api_error::ApiError;
use crate::ids;
use crate::schema::{Field, FieldType, SObjectType};
use crate::store::values::{now_ms, to_sql};

pub(super) fn index_of(object: &SObjectType, name: &str) -> Option<usize> {
    object.fields.iter().position(|f| f.name == name)
}

pub(super) fn set(object: &SObjectType, row: &mut [Sql], name: &str, value: Sql) {
    if let Some(slot) = index_of(object, name).and_then(|i| row.get_mut(i)) {
        *slot = value;
    }
}

pub(super) fn get<'r>(object: &SObjectType, row: &'r [Sql], name: &str) -> Option<&'r Sql> {
    index_of(object, name).and_then(|i| row.get(i))
}

pub(super) fn text(object: &SObjectType, row: &[Sql], name: &str) -> Option<String> {
    match get(object, row, name) {
        Some(Sql::Text(s)) => Some(s.clone()),
        _ => None,
    }
}

pub(super) fn row_bool(object: &SObjectType, row: &[Sql], name: &str) -> bool {
    matches!(get(object, row, name), Some(Sql::Integer(i)) if *i != 0)
}

/// The value a field gets when a create does not send one.
pub(super) fn default_for(f: &Field, actor: &Actor) -> Sql {
    if f.name == "OwnerId" {
        return Sql::Text(actor.user_id.clone());
    }
    if let Some(Ok(sql)) = f.default_value.as_ref().map(|v| to_sql(f, v)) {
        return sql;
    }
    if let Some(p) = f.picklist.iter().find(|p| p.default_value) {
        return Sql::Text(p.value.clone());
    }
    if f.kind == FieldType::Boolean {
        return Sql::Integer(0);
    }
    Sql::Null
}

/// Fields the org computes: full names, an opportunity's state from its stage, closed flags,
/// case numbers.
pub(super) fn derive(
    tx: &Connection,
    object: &SObjectType,
    row: &mut [Sql],
) -> Result<(), ApiError> {
    if calculated(object, "Name") && object.field("LastName").is_some() {
        let first = text(object, row, "FirstName").filter(|s| !s.trim().is_empty());
        let last = text(object, row, "LastName").unwrap_or_default();
        let full = match first {
            Some(f) => format!("{f} {last}"),
            None => last,
        };
        set(object, row, "Name", Sql::Text(full));
    }
    match object.name.as_str() {
        "Opportunity" => derive_opportunity(tx, object, row),
        "Task" | "Event" => derive_activity(tx, object, row),
        "Case" => derive_case(tx, object, row),
        _ => {}
    }
    Ok(())
}

/// Whether the org computes this field of the type.
fn calculated(object: &SObjectType, name: &str) -> bool {
    object.field(name).is_some_and(|f| f.calculated)
}

/// An opportunity's closed and won flags, probability and forecast category come from its
/// stage; its expected revenue from its amount and probability.
fn derive_opportunity(tx: &Connection, object: &SObjectType, row: &mut [Sql]) {
    let stage = text(object, row, "StageName").unwrap_or_default();
    let found: Option<(bool, bool, Option<f64>, Option<String>)> = tx
        .query_row(
            "SELECT \"IsClosed\", \"IsWon\", \"DefaultProbability\", \"ForecastCategoryName\" FROM \"o_opportunitystage\" \
             WHERE (\"ApiName\" = ?1 OR \"MasterLabel\" = ?1) AND \"IsDeleted\" = 0 LIMIT 1",
            [&stage],
            |r| Ok((r.get::<_, Option<bool>>(0)?.unwrap_or(false), r.get::<_, Option<bool>>(1)?.unwrap_or(false), r.get(2)?, r.get(3)?)),
        )
        .optional()
        .unwrap_or(None);
    let (closed, won, probability, forecast) = found.unwrap_or((false, false, None, None));
    if calculated(object, "IsClosed") {
        set(object, row, "IsClosed", Sql::Integer(i64::from(closed)));
    }
    if calculated(object, "IsWon") {
        set(object, row, "IsWon", Sql::Integer(i64::from(won)));
    }
    let unset = |row: &[Sql], name: &str| matches!(get(object, row, name), Some(Sql::Null) | None);
    if let (true, Some(p)) = (unset(row, "Probability"), probability) {
        set(object, row, "Probability", Sql::Real(p));
    }
    if let (true, Some(fc)) = (unset(row, "ForecastCategoryName") || closed, forecast) {
        set(object, row, "ForecastCategoryName", Sql::Text(fc));
    }
    // ForecastCategory is the API form of ForecastCategoryName.
    if calculated(object, "ForecastCategory") {
        let api = match text(object, row, "ForecastCategoryName").as_deref() {
            Some("Best Case") => Sql::Text("BestCase".into()),
            Some("Commit") => Sql::Text("Forecast".into()),
            Some(other) => Sql::Text(other.to_owned()),
            None => Sql::Null,
        };
        set(object, row, "ForecastCategory", api);
    }
    if calculated(object, "ExpectedRevenue") {
        let amount = match get(object, row, "Amount") {
            Some(Sql::Real(a)) => Some(*a),
            _ => None,
        };
        let p = match get(object, row, "Probability") {
            Some(Sql::Real(p)) => Some(*p),
            _ => None,
        };
        let expected = match (amount, p) {
            (Some(a), Some(p)) => Sql::Real(a * p / 100.0),
            _ => Sql::Null,
        };
        set(object, row, "ExpectedRevenue", expected);
    }
}

/// A task or event is closed when completed, and belongs to an account.
fn derive_activity(tx: &Connection, object: &SObjectType, row: &mut [Sql]) {
    if calculated(object, "IsClosed") {
        let done = text(object, row, "Status").is_some_and(|s| s.eq_ignore_ascii_case("Completed"));
        set(object, row, "IsClosed", Sql::Integer(i64::from(done)));
    }
    if calculated(object, "AccountId") {
        // The account of the What record (an account itself, or one that has AccountId),
        // else the account of the Who contact.
        let account = activity_account(tx, text(object, row, "WhatId"), text(object, row, "WhoId"));
        set(
            object,
            row,
            "AccountId",
            account.map_or(Sql::Null, Sql::Text),
        );
    }
}

/// A case's closed flag and date follow its status; a new case gets the next case number.
fn derive_case(tx: &Connection, object: &SObjectType, row: &mut [Sql]) {
    let closed = text(object, row, "Status").is_some_and(|s| s.eq_ignore_ascii_case("Closed"));
    if calculated(object, "IsClosed") {
        set(object, row, "IsClosed", Sql::Integer(i64::from(closed)));
    }
    if object.field("ClosedDate").is_some() {
        let was_set = !matches!(get(object, row, "ClosedDate"), Some(Sql::Null) | None);
        match (closed, was_set) {
            (true, false) => set(object, row, "ClosedDate", Sql::Integer(now_ms())),
            (false, true) => set(object, row, "ClosedDate", Sql::Null),
            _ => {}
        }
    }
    if calculated(object, "CaseNumber")
        && matches!(get(object, row, "CaseNumber"), Some(Sql::Null) | None)
    {
        let n: i64 = tx
            .query_row("SELECT COUNT(*) FROM \"o_case\"", [], |r| r.get(0))
            .unwrap_or(0);
        set(
            object,
            row,
            "CaseNumber",
            Sql::Text(format!("{:08}", 1000 + n)),
        );
    }
}

/// The account an activity belongs to.
pub(super) fn activity_account(
    tx: &Connection,
    what: Option<String>,
    who: Option<String>,
) -> Option<String> {
    let lookup = |sql: &str, id: &str| -> Option<String> {
        tx.query_row(sql, [id], |r| r.get::<_, Option<String>>(0))
            .optional()
            .ok()
            .flatten()
            .flatten()
    };
    if let Some(what) = what {
        match ids::prefix(&what) {
            "001" => return Some(what),
            "006" => {
                return lookup(
                    "SELECT \"AccountId\" FROM \"o_opportunity\" WHERE \"Id\" = ?1",
                    &what,
                );
            }
            "500" => {
                return lookup(
                    "SELECT \"AccountId\" FROM \"o_case\" WHERE \"Id\" = ?1",
                    &what,
                );
            }
            _ => {}
        }
    }
    let who = who?;
    (ids::prefix(&who) == "003")
        .then(|| {
            lookup(
                "SELECT \"AccountId\" FROM \"o_contact\" WHERE \"Id\" = ?1",
                &who,
            )
        })
        .flatten()
}
