//! Schemas from describe JSON saved from a real org (`GET /sobjects/{Type}/describe`).
//!
//! A file holds one describe result, or an array of them. Fields keep their API names, types,
//! lengths, flags, picklists and references; child relationships listed by a parent are linked
//! onto the child's reference field. Compound fields (address, location) are left out: their
//! parts are fields of their own. System fields a describe lacks are added.

use serde_json::Value as Json;

use super::file::system_fields;
use super::{Field, FieldType, PicklistValue, SObjectType};
use crate::Error;

fn kind(t: &str) -> Option<FieldType> {
    Some(match t {
        "id" => FieldType::Id,
        "string" | "encryptedstring" | "anyType" | "base64" | "json" => FieldType::String,
        "textarea" => FieldType::Textarea,
        "boolean" => FieldType::Boolean,
        "reference" => FieldType::Reference,
        "picklist" => FieldType::Picklist,
        "multipicklist" => FieldType::Multipicklist,
        "combobox" => FieldType::Combobox,
        "currency" => FieldType::Currency,
        "double" => FieldType::Double,
        "percent" => FieldType::Percent,
        "int" | "long" => FieldType::Int,
        "date" => FieldType::Date,
        "datetime" => FieldType::Datetime,
        "time" => FieldType::Time,
        "email" => FieldType::Email,
        "phone" => FieldType::Phone,
        "url" => FieldType::Url,
        _ => return None,
    })
}

fn flag(v: &Json, k: &str) -> bool {
    v.get(k).and_then(Json::as_bool).unwrap_or(false)
}

fn text(v: &Json, k: &str) -> Option<String> {
    v.get(k).and_then(Json::as_str).map(str::to_owned)
}

fn field(f: &Json) -> Option<Field> {
    let name = text(f, "name")?;
    let kind = kind(f.get("type").and_then(Json::as_str).unwrap_or("string"))?;
    let mut out = Field::new(&name, kind);
    out.label = text(f, "label").unwrap_or_else(|| name.clone());
    if let Some(n) = f.get("length").and_then(Json::as_u64).filter(|n| *n > 0) {
        out.length = u32::try_from(n).unwrap_or(u32::MAX);
    }
    if let Some(n) = f.get("precision").and_then(Json::as_u64).filter(|n| *n > 0) {
        out.precision = u32::try_from(n).unwrap_or(18);
    }
    if let Some(n) = f.get("digits").and_then(Json::as_u64).filter(|n| *n > 0) {
        out.precision = u32::try_from(n).unwrap_or(18);
    }
    out.scale = f
        .get("scale")
        .and_then(Json::as_u64)
        .map_or(out.scale, |n| u32::try_from(n).unwrap_or(0));
    out.nillable = flag(f, "nillable");
    out.createable = flag(f, "createable");
    out.updateable = flag(f, "updateable");
    out.defaulted_on_create = flag(f, "defaultedOnCreate");
    out.unique = flag(f, "unique");
    out.external_id = flag(f, "externalId");
    out.case_sensitive = flag(f, "caseSensitive");
    out.name_field = flag(f, "nameField");
    out.calculated = flag(f, "calculated") || flag(f, "autoNumber");
    out.restricted_picklist = flag(f, "restrictedPicklist");
    out.cascade_delete = flag(f, "cascadeDelete");
    out.default_value = f
        .get("defaultValue")
        .filter(|v| !v.is_null() && !v.is_object())
        .cloned();
    out.picklist = f
        .get("picklistValues")
        .and_then(Json::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|p| {
                    let value = text(p, "value")?;
                    Some(PicklistValue {
                        label: text(p, "label").unwrap_or_else(|| value.clone()),
                        default_value: flag(p, "defaultValue"),
                        active: p.get("active").and_then(Json::as_bool).unwrap_or(true),
                        value,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    out.reference_to = f
        .get("referenceTo")
        .and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    out.relationship_name = text(f, "relationshipName");
    Some(out)
}

/// A child relationship a parent's describe lists: (child type, child field, relationship name).
pub(crate) type ChildLink = (String, String, String);

/// Parses describe JSON into sObject types; child relationships are returned separately, as
/// (child type, child field, relationship name), to be linked once every type is known.
pub(crate) fn parse(
    text_: &str,
    origin: &str,
) -> Result<(Vec<SObjectType>, Vec<ChildLink>), Error> {
    let doc: Json =
        serde_json::from_str(text_).map_err(|e| Error::Schema(format!("{origin}: {e}")))?;
    let list: Vec<&Json> = match &doc {
        Json::Array(a) => a.iter().collect(),
        Json::Object(o) if o.contains_key("sobjects") => {
            return Err(Error::Schema(format!(
                "{origin}: this is describeGlobal; save each object's /describe instead"
            )));
        }
        other => vec![other],
    };
    let mut objects = Vec::new();
    let mut children = Vec::new();
    for d in list {
        let name = text(d, "name")
            .ok_or_else(|| Error::Schema(format!("{origin}: a describe without a name")))?;
        let prefix = text(d, "keyPrefix")
            .ok_or_else(|| Error::Schema(format!("{origin}: {name} has no keyPrefix")))?;
        let mut fields: Vec<Field> = d
            .get("fields")
            .and_then(Json::as_array)
            .map(|a| a.iter().filter_map(field).collect())
            .unwrap_or_default();
        let owned = fields.iter().any(|f| f.name == "OwnerId");
        for sys in system_fields(owned) {
            if !fields
                .iter()
                .any(|f| f.name.eq_ignore_ascii_case(&sys.name))
            {
                fields.push(sys);
            }
        }
        // The store relies on Id being first.
        if let Some(i) = fields.iter().position(|f| f.name == "Id") {
            let id = fields.remove(i);
            fields.insert(0, id);
        }
        for c in d
            .get("childRelationships")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            if let (Some(child), Some(field), Some(rel)) = (
                text(c, "childSObject"),
                text(c, "field"),
                text(c, "relationshipName"),
            ) {
                children.push((child, field, rel));
            }
        }
        let label = text(d, "label").unwrap_or_else(|| name.clone());
        let mut object = SObjectType {
            label_plural: text(d, "labelPlural").unwrap_or_else(|| format!("{label}s")),
            custom: flag(d, "custom"),
            createable: flag(d, "createable"),
            updateable: flag(d, "updateable"),
            deletable: flag(d, "deletable"),
            searchable: flag(d, "searchable"),
            key_prefix: prefix,
            name,
            label,
            fields,
            child_relationships: Vec::new(),
            by_name: Default::default(),
        };
        object.index();
        objects.push(object);
    }
    Ok((objects, children))
}
