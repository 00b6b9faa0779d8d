//! The org's schema: sObject types, their fields, picklists and relationships.
//!
//! Schemas are declared in a TOML file format (see [`file`]); the standard objects ship as one
//! such file (`standard.toml`), and users add custom objects (`__c`) in files of their own. The
//! loader adds the system fields every record carries (Id, IsDeleted, CreatedDate, ...), so a
//! declaration lists only business fields. Names are looked up case-insensitively, as
//! Salesforce does, and always reported in their declared API casing.

mod describe;
pub mod file;

use std::collections::HashMap;

use serde::Serialize;

/// The type of a field, as describe reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// The record id.
    Id,
    /// Short text.
    String,
    /// Long text (not filterable when long).
    Textarea,
    /// Checkbox.
    Boolean,
    /// A lookup or master-detail to other records.
    Reference,
    /// A single-select picklist.
    Picklist,
    /// A multi-select picklist, stored `a;b;c`.
    Multipicklist,
    /// A picklist that also takes free text.
    Combobox,
    /// Money.
    Currency,
    /// A floating-point number.
    Double,
    /// A percentage (0-100).
    Percent,
    /// A whole number.
    Int,
    /// A calendar date.
    Date,
    /// An instant.
    Datetime,
    /// A time of day.
    Time,
    /// An email address (checked on write).
    Email,
    /// A phone number.
    Phone,
    /// A URL.
    Url,
}

impl FieldType {
    /// The SOAP type describe reports.
    pub fn soap_type(self) -> &'static str {
        match self {
            FieldType::Id | FieldType::Reference => "tns:ID",
            FieldType::Boolean => "xsd:boolean",
            FieldType::Currency | FieldType::Double | FieldType::Percent => "xsd:double",
            FieldType::Int => "xsd:int",
            FieldType::Date => "xsd:date",
            FieldType::Datetime => "xsd:dateTime",
            FieldType::Time => "xsd:time",
            _ => "xsd:string",
        }
    }

    /// True for types stored and compared as text.
    pub fn is_text(self) -> bool {
        matches!(
            self,
            FieldType::Id
                | FieldType::String
                | FieldType::Textarea
                | FieldType::Reference
                | FieldType::Picklist
                | FieldType::Multipicklist
                | FieldType::Combobox
                | FieldType::Email
                | FieldType::Phone
                | FieldType::Url
        )
    }

    /// True for numeric types.
    pub fn is_number(self) -> bool {
        matches!(
            self,
            FieldType::Currency | FieldType::Double | FieldType::Percent | FieldType::Int
        )
    }
}

/// One picklist entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PicklistValue {
    /// The API value.
    pub value: String,
    /// The label shown to people.
    pub label: String,
    /// True for the default entry.
    pub default_value: bool,
    /// Active entries are accepted on write.
    pub active: bool,
}

/// A field of an sObject type.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// API name, e.g. `AccountId`, `Region__c`.
    pub name: String,
    /// Label, used in error messages.
    pub label: String,
    /// Type.
    pub kind: FieldType,
    /// Maximum length of text types.
    pub length: u32,
    /// Digits in all, for numbers.
    pub precision: u32,
    /// Digits after the point, for numbers.
    pub scale: u32,
    /// Whether null is allowed.
    pub nillable: bool,
    /// Writable on create.
    pub createable: bool,
    /// Writable on update.
    pub updateable: bool,
    /// Given a value on create when none is sent (so not required).
    pub defaulted_on_create: bool,
    /// Values must be unique.
    pub unique: bool,
    /// An external id (upsert key, indexed, unique when `unique`).
    pub external_id: bool,
    /// Unique comparisons are case-sensitive.
    pub case_sensitive: bool,
    /// The record's name field.
    pub name_field: bool,
    /// Computed by the org (formula or derived); never written by clients.
    pub calculated: bool,
    /// Picklist entries.
    pub picklist: Vec<PicklistValue>,
    /// Only listed values are accepted.
    pub restricted_picklist: bool,
    /// Referenced types, for references.
    pub reference_to: Vec<String>,
    /// The relationship name used in SOQL paths (`Account` for `AccountId`).
    pub relationship_name: Option<String>,
    /// The name of the child relationship on the parent (`Contacts`).
    pub child_relationship: Option<String>,
    /// Deleting the parent deletes these children.
    pub cascade_delete: bool,
    /// A default value for creates.
    pub default_value: Option<serde_json::Value>,
}

impl Field {
    /// A field with every flag at the common default: nillable, createable, updateable text.
    pub fn new(name: &str, kind: FieldType) -> Self {
        Field {
            name: name.to_owned(),
            label: name.to_owned(),
            kind,
            length: match kind {
                FieldType::Id | FieldType::Reference => 18,
                FieldType::String | FieldType::Combobox | FieldType::Picklist => 255,
                FieldType::Multipicklist => 4099,
                FieldType::Textarea => 32000,
                FieldType::Email | FieldType::Url => 255,
                FieldType::Phone => 40,
                _ => 0,
            },
            precision: if matches!(
                kind,
                FieldType::Currency | FieldType::Double | FieldType::Percent
            ) {
                18
            } else {
                0
            },
            scale: if matches!(kind, FieldType::Currency | FieldType::Percent) {
                2
            } else {
                0
            },
            nillable: true,
            createable: true,
            updateable: true,
            defaulted_on_create: false,
            unique: false,
            external_id: false,
            case_sensitive: false,
            name_field: false,
            calculated: false,
            picklist: Vec::new(),
            restricted_picklist: false,
            reference_to: Vec::new(),
            relationship_name: None,
            child_relationship: None,
            cascade_delete: false,
            default_value: None,
        }
    }

    /// Required on create: not nillable, createable, and not defaulted.
    pub fn required_on_create(&self) -> bool {
        !self.nillable && self.createable && !self.defaulted_on_create && !self.calculated
    }

    /// The SQLite column type that holds this field.
    pub fn column_type(&self) -> &'static str {
        match self.kind {
            FieldType::Boolean | FieldType::Int | FieldType::Datetime => "INTEGER",
            FieldType::Currency | FieldType::Double | FieldType::Percent => "REAL",
            _ => "TEXT",
        }
    }
}

/// A child relationship, seen from the parent: `Account.Contacts` is Contact via AccountId.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildRelationship {
    /// The relationship name used in subqueries (`Contacts`).
    pub name: String,
    /// The child type (`Contact`).
    pub child: String,
    /// The child's reference field (`AccountId`).
    pub field: String,
    /// Deleting the parent deletes the children.
    pub cascade_delete: bool,
}

/// An sObject type.
#[derive(Debug, Clone, PartialEq)]
pub struct SObjectType {
    /// API name, e.g. `Account`, `Invoice__c`.
    pub name: String,
    /// Label.
    pub label: String,
    /// Plural label.
    pub label_plural: String,
    /// The three-character id prefix.
    pub key_prefix: String,
    /// A custom object.
    pub custom: bool,
    /// Records can be created.
    pub createable: bool,
    /// Records can be updated.
    pub updateable: bool,
    /// Records can be deleted.
    pub deletable: bool,
    /// Included in SOSL searches.
    pub searchable: bool,
    /// Fields in declaration order (system fields first).
    pub fields: Vec<Field>,
    /// Child relationships, filled in when the schema is assembled.
    pub child_relationships: Vec<ChildRelationship>,
    by_name: HashMap<String, usize>,
}

impl SObjectType {
    /// The field with this API name, case-insensitively.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.by_name
            .get(&name.to_ascii_lowercase())
            .and_then(|&i| self.fields.get(i))
    }

    /// The reference field whose relationship name is `name` (`Account` → `AccountId`).
    pub fn relationship(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| {
            f.relationship_name
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case(name))
        })
    }

    /// The child relationship with this name (`Contacts`), case-insensitively.
    pub fn child_relationship(&self, name: &str) -> Option<&ChildRelationship> {
        self.child_relationships
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// The name field (`Name`, or `Subject` for activities, `CaseNumber` for cases).
    pub fn name_field(&self) -> Option<&Field> {
        self.fields.iter().find(|f| f.name_field)
    }

    /// The SQLite table holding this type's records.
    pub fn table(&self) -> String {
        format!("\"o_{}\"", self.name.to_ascii_lowercase())
    }

    fn index(&mut self) {
        self.by_name = self
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.to_ascii_lowercase(), i))
            .collect();
    }
}

/// All the org's types.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    objects: Vec<SObjectType>,
    by_name: HashMap<String, usize>,
    by_prefix: HashMap<String, usize>,
}

impl Schema {
    /// The standard objects, as shipped.
    pub fn standard() -> Result<Self, crate::Error> {
        let mut schema = Schema::default();
        schema.add_file(file::STANDARD, "standard.toml")?;
        Ok(schema)
    }

    /// Adds the types declared in a TOML schema file's text. `origin` names it in errors.
    pub fn add_file(&mut self, text: &str, origin: &str) -> Result<(), crate::Error> {
        for object in file::parse(text, origin)? {
            self.add(object)?;
        }
        self.link();
        Ok(())
    }

    /// Adds the types of describe JSON saved from a real org (one describe, or an array).
    pub fn add_describe_json(&mut self, text: &str, origin: &str) -> Result<(), crate::Error> {
        let (objects, children) = describe::parse(text, origin)?;
        for object in objects {
            // A saved describe of a standard object replaces the shipped declaration.
            if let Some(i) = self.by_name.get(&object.name.to_ascii_lowercase()).copied() {
                self.remove(i);
            }
            self.add(object)?;
        }
        for (child, field, rel) in children {
            let Some(&i) = self.by_name.get(&child.to_ascii_lowercase()) else {
                continue;
            };
            if let Some(f) = self.objects.get_mut(i).and_then(|o| {
                o.fields
                    .iter_mut()
                    .find(|f| f.name.eq_ignore_ascii_case(&field))
            }) {
                f.child_relationship.get_or_insert(rel);
            }
        }
        self.link();
        Ok(())
    }

    /// Adds a schema file of either kind: describe JSON if it starts with `{` or with `[` and
    /// then `{` or `]` (a JSON array), TOML otherwise (whose `[[object]]` also starts with `[`).
    pub fn add_any(&mut self, text: &str, origin: &str) -> Result<(), crate::Error> {
        let t = text.trim_start();
        let json = t.starts_with('{')
            || t.strip_prefix('[')
                .is_some_and(|rest| rest.trim_start().starts_with(['{', ']']));
        if json {
            self.add_describe_json(text, origin)
        } else {
            self.add_file(text, origin)
        }
    }

    fn remove(&mut self, index: usize) {
        self.objects.remove(index);
        self.by_name = self
            .objects
            .iter()
            .enumerate()
            .map(|(i, o)| (o.name.to_ascii_lowercase(), i))
            .collect();
        self.by_prefix = self
            .objects
            .iter()
            .enumerate()
            .map(|(i, o)| (o.key_prefix.clone(), i))
            .collect();
    }

    fn add(&mut self, mut object: SObjectType) -> Result<(), crate::Error> {
        let key = object.name.to_ascii_lowercase();
        if self.by_name.contains_key(&key) {
            return Err(crate::Error::Schema(format!(
                "sObject type {} is declared twice",
                object.name
            )));
        }
        if self.by_prefix.contains_key(&object.key_prefix) {
            return Err(crate::Error::Schema(format!(
                "key prefix {} of {} is already taken",
                object.key_prefix, object.name
            )));
        }
        object.index();
        self.by_prefix
            .insert(object.key_prefix.clone(), self.objects.len());
        self.by_name.insert(key, self.objects.len());
        self.objects.push(object);
        Ok(())
    }

    /// Recomputes every type's child relationships from the reference fields.
    fn link(&mut self) {
        let mut children: Vec<(usize, ChildRelationship)> = Vec::new();
        for object in &self.objects {
            for f in &object.fields {
                let Some(name) = &f.child_relationship else {
                    continue;
                };
                for target in &f.reference_to {
                    if let Some(&i) = self.by_name.get(&target.to_ascii_lowercase()) {
                        children.push((
                            i,
                            ChildRelationship {
                                name: name.clone(),
                                child: object.name.clone(),
                                field: f.name.clone(),
                                cascade_delete: f.cascade_delete,
                            },
                        ));
                    }
                }
            }
        }
        for object in &mut self.objects {
            object.child_relationships.clear();
        }
        for (i, rel) in children {
            if let Some(o) = self.objects.get_mut(i) {
                o.child_relationships.push(rel);
            }
        }
    }

    /// The type with this API name, case-insensitively.
    pub fn get(&self, name: &str) -> Option<&SObjectType> {
        self.by_name
            .get(&name.to_ascii_lowercase())
            .and_then(|&i| self.objects.get(i))
    }

    /// The type whose ids start with `prefix`.
    pub fn by_prefix(&self, prefix: &str) -> Option<&SObjectType> {
        self.by_prefix
            .get(prefix)
            .and_then(|&i| self.objects.get(i))
    }

    /// Every type, in declaration order.
    pub fn objects(&self) -> &[SObjectType] {
        &self.objects
    }
}
