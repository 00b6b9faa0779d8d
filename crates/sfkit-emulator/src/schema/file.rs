//! The schema file format: TOML, one `[[object]]` table per sObject type.
//!
//! ```toml
//! [[object]]
//! name = "Invoice__c"           # API name; custom names end in __c
//! label = "Invoice"             # default: the name
//! plural = "Invoices"           # default: label + "s"
//! prefix = "a01"                # the three-character id prefix
//! owned = true                  # adds OwnerId (default true)
//!
//! [[object.fields]]
//! name = "Account__c"
//! type = "reference"            # id, string, textarea, boolean, reference, picklist,
//!                               # multipicklist, combobox, currency, double, percent, int,
//!                               # date, datetime, time, email, phone, url
//! label = "Account"
//! to = ["Account"]              # referenced types
//! relationship = "Account__r"   # used in SOQL paths
//! children = "Invoices__r"      # the child relationship on Account
//! required = true               # not nillable
//! ```
//!
//! Other field keys: `length`, `precision`, `scale`, `unique`, `external_id`, `case_sensitive`,
//! `createable`, `updateable`, `calculated` (the org derives it), `defaulted` (given a value on
//! create), `default` (that value), `values` (picklist entries: a string, or a table
//! `{ value, label, default_value, active }`; the first marked with `default_value` is the
//! default, and makes the field `defaulted`), `restricted`, `cascade_delete`, `name_field`.
//!
//! The loader adds the system fields every record has: `Id`, `IsDeleted`, `CreatedDate`,
//! `CreatedById`, `LastModifiedDate`, `LastModifiedById`, `SystemModstamp`, and `OwnerId` for
//! owned types. A custom object with no name field gets `Name` (text, 80).

use serde::Deserialize;

use super::{Field, FieldType, PicklistValue, SObjectType};
use crate::Error;

/// The standard objects, shipped with the emulator.
pub const STANDARD: &str = include_str!("standard.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    #[serde(default)]
    object: Vec<ObjectDecl>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ObjectDecl {
    name: String,
    label: Option<String>,
    plural: Option<String>,
    prefix: String,
    #[serde(default = "yes")]
    owned: bool,
    #[serde(default = "yes")]
    createable: bool,
    #[serde(default = "yes")]
    updateable: bool,
    #[serde(default = "yes")]
    deletable: bool,
    #[serde(default = "yes")]
    searchable: bool,
    #[serde(default)]
    fields: Vec<FieldDecl>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldDecl {
    name: String,
    #[serde(rename = "type")]
    kind: FieldType,
    label: Option<String>,
    length: Option<u32>,
    precision: Option<u32>,
    scale: Option<u32>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    unique: bool,
    #[serde(default)]
    external_id: bool,
    #[serde(default)]
    case_sensitive: bool,
    createable: Option<bool>,
    updateable: Option<bool>,
    #[serde(default)]
    calculated: bool,
    #[serde(default)]
    defaulted: bool,
    default: Option<serde_json::Value>,
    #[serde(default)]
    values: Vec<PicklistDecl>,
    #[serde(default)]
    restricted: bool,
    #[serde(default)]
    to: Vec<String>,
    relationship: Option<String>,
    children: Option<String>,
    #[serde(default)]
    cascade_delete: bool,
    #[serde(default)]
    name_field: bool,
}

/// A picklist entry: a bare string, or a table with a label and a default flag.
#[derive(Debug, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
enum PicklistDecl {
    Value(String),
    Full {
        value: String,
        label: Option<String>,
        #[serde(default)]
        default_value: bool,
        #[serde(default = "yes")]
        active: bool,
    },
}

fn yes() -> bool {
    true
}

impl<'de> Deserialize<'de> for FieldType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let kind = match s.to_ascii_lowercase().as_str() {
            "id" => FieldType::Id,
            "string" | "text" => FieldType::String,
            "textarea" => FieldType::Textarea,
            "boolean" | "checkbox" => FieldType::Boolean,
            "reference" | "lookup" => FieldType::Reference,
            "picklist" => FieldType::Picklist,
            "multipicklist" => FieldType::Multipicklist,
            "combobox" => FieldType::Combobox,
            "currency" => FieldType::Currency,
            "double" | "number" => FieldType::Double,
            "percent" => FieldType::Percent,
            "int" | "integer" => FieldType::Int,
            "date" => FieldType::Date,
            "datetime" => FieldType::Datetime,
            "time" => FieldType::Time,
            "email" => FieldType::Email,
            "phone" => FieldType::Phone,
            "url" => FieldType::Url,
            other => {
                return Err(serde::de::Error::custom(format!(
                    "unknown field type {other:?}"
                )));
            }
        };
        Ok(kind)
    }
}

/// Parses a schema file into sObject types, system fields added.
pub(crate) fn parse(text: &str, origin: &str) -> Result<Vec<SObjectType>, Error> {
    let doc: FileDoc = toml::from_str(text).map_err(|e| Error::Schema(format!("{origin}: {e}")))?;
    doc.object.into_iter().map(|o| build(o, origin)).collect()
}

fn build(decl: ObjectDecl, origin: &str) -> Result<SObjectType, Error> {
    let bad = |msg: String| Error::Schema(format!("{origin}: {}: {msg}", decl.name));
    if sfkit_soql::FieldPath::parse(&decl.name).map(|p| p.segments.len()) != Ok(1) {
        return Err(bad("not a valid API name".into()));
    }
    if decl.prefix.len() != 3 || !decl.prefix.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(bad(format!(
            "key prefix {:?} is not three letters or digits",
            decl.prefix
        )));
    }
    let custom = decl.name.ends_with("__c");
    let label = decl
        .label
        .clone()
        .unwrap_or_else(|| decl.name.trim_end_matches("__c").replace('_', " "));
    let mut fields = system_fields(decl.owned);
    for f in &decl.fields {
        if fields
            .iter()
            .any(|x: &Field| x.name.eq_ignore_ascii_case(&f.name))
        {
            return Err(bad(format!(
                "field {} is declared twice (or is a system field)",
                f.name
            )));
        }
        fields.push(field(f).map_err(|m| bad(format!("field {}: {m}", f.name)))?);
    }
    if !fields.iter().any(|f| f.name_field) {
        if let Some(f) = fields
            .iter_mut()
            .find(|f| f.name.eq_ignore_ascii_case("Name"))
        {
            f.name_field = true;
        } else if custom {
            let mut name = Field::new("Name", FieldType::String);
            name.label = format!("{label} Name");
            name.length = 80;
            name.nillable = false;
            name.name_field = true;
            fields.push(name);
        }
    }
    let label_plural = decl.plural.clone().unwrap_or_else(|| format!("{label}s"));
    let mut object = SObjectType {
        label_plural,
        name: decl.name,
        label,
        key_prefix: decl.prefix,
        custom,
        createable: decl.createable,
        updateable: decl.updateable,
        deletable: decl.deletable,
        searchable: decl.searchable,
        fields,
        child_relationships: Vec::new(),
        by_name: Default::default(),
    };
    object.index();
    Ok(object)
}

fn field(d: &FieldDecl) -> Result<Field, String> {
    if sfkit_soql::FieldPath::parse(&d.name).map(|p| p.segments.len()) != Ok(1) {
        return Err("not a valid API name".into());
    }
    let mut f = Field::new(&d.name, d.kind);
    if let Some(label) = &d.label {
        f.label.clone_from(label);
    }
    if let Some(n) = d.length {
        f.length = n;
    }
    if let Some(n) = d.precision {
        f.precision = n;
    }
    if let Some(n) = d.scale {
        f.scale = n;
    }
    f.nillable = !d.required && d.kind != FieldType::Boolean;
    f.unique = d.unique;
    f.external_id = d.external_id;
    f.case_sensitive = d.case_sensitive;
    f.calculated = d.calculated;
    f.createable = d.createable.unwrap_or(!d.calculated);
    f.updateable = d.updateable.unwrap_or(!d.calculated);
    // Checkboxes are never null: they default to false.
    f.defaulted_on_create = d.defaulted || d.default.is_some() || d.kind == FieldType::Boolean;
    f.default_value = d.default.clone();
    f.restricted_picklist = d.restricted;
    f.cascade_delete = d.cascade_delete;
    f.name_field = d.name_field;
    f.picklist = d
        .values
        .iter()
        .map(|v| match v {
            PicklistDecl::Value(value) => PicklistValue {
                value: value.clone(),
                label: value.clone(),
                default_value: false,
                active: true,
            },
            PicklistDecl::Full {
                value,
                label,
                default_value,
                active,
            } => PicklistValue {
                value: value.clone(),
                label: label.clone().unwrap_or_else(|| value.clone()),
                default_value: *default_value,
                active: *active,
            },
        })
        .collect();
    // A picklist with a default entry gives new records that value.
    if f.picklist.iter().any(|v| v.default_value) {
        f.defaulted_on_create = true;
    }
    if matches!(d.kind, FieldType::Picklist | FieldType::Multipicklist) && f.picklist.is_empty() {
        return Err("a picklist needs values".into());
    }
    if d.kind == FieldType::Reference {
        if d.to.is_empty() {
            return Err("a reference needs `to`".into());
        }
        f.reference_to.clone_from(&d.to);
        f.relationship_name = Some(d.relationship.clone().unwrap_or_else(|| {
            if let Some(base) = d.name.strip_suffix("__c") {
                format!("{base}__r")
            } else {
                d.name.strip_suffix("Id").unwrap_or(&d.name).to_owned()
            }
        }));
        f.child_relationship.clone_from(&d.children);
    }
    Ok(f)
}

/// The fields every record carries.
pub(crate) fn system_fields(owned: bool) -> Vec<Field> {
    let read_only = |name: &str, label: &str, kind: FieldType| {
        let mut f = Field::new(name, kind);
        f.label = label.to_owned();
        f.createable = false;
        f.updateable = false;
        f.nillable = false;
        f.defaulted_on_create = true;
        f
    };
    let user_ref = |f: &mut Field, relationship: &str| {
        f.reference_to = vec!["User".to_owned()];
        f.relationship_name = Some(relationship.to_owned());
    };
    let mut id = read_only("Id", "Record ID", FieldType::Id);
    id.unique = true;
    id.case_sensitive = true;
    let mut fields = vec![id, read_only("IsDeleted", "Deleted", FieldType::Boolean)];
    if owned {
        let mut owner = Field::new("OwnerId", FieldType::Reference);
        owner.label = "Owner ID".to_owned();
        owner.nillable = false;
        owner.defaulted_on_create = true;
        user_ref(&mut owner, "Owner");
        fields.push(owner);
    }
    let mut created_by = read_only("CreatedById", "Created By ID", FieldType::Reference);
    user_ref(&mut created_by, "CreatedBy");
    let mut modified_by = read_only(
        "LastModifiedById",
        "Last Modified By ID",
        FieldType::Reference,
    );
    user_ref(&mut modified_by, "LastModifiedBy");
    fields.extend([
        read_only("CreatedDate", "Created Date", FieldType::Datetime),
        created_by,
        read_only(
            "LastModifiedDate",
            "Last Modified Date",
            FieldType::Datetime,
        ),
        modified_by,
        read_only("SystemModstamp", "System Modstamp", FieldType::Datetime),
    ]);
    fields
}
