//! Parameters: one definition per parameter that both checks the input and describes it as
//! JSON Schema, so the schema a client reads is the rule the code applies.

use chrono::NaiveDate;
use serde_json::{Map, Value, json};

use crate::error::ActionError;

/// A parameter's type.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Kind {
    /// Text.
    String,
    /// A Salesforce record id (15 or 18 characters).
    Id,
    /// A number, optionally bounded.
    Number {
        /// Lowest allowed.
        min: Option<f64>,
        /// Highest allowed.
        max: Option<f64>,
    },
    /// A whole number, optionally bounded.
    Integer {
        /// Lowest allowed.
        min: Option<i64>,
        /// Highest allowed.
        max: Option<i64>,
    },
    /// True or false.
    Boolean,
    /// A date, `YYYY-MM-DD`.
    Date,
    /// An instant, ISO 8601.
    DateTime,
    /// One of a fixed set of strings.
    Enum(&'static [&'static str]),
    /// An object of Salesforce API field names to values.
    Fields,
    /// A list of strings.
    StringList,
}

/// One parameter.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// The camelCase name.
    pub name: &'static str,
    /// Its type.
    pub kind: Kind,
    /// Must be given.
    pub required: bool,
    /// What it is.
    pub description: &'static str,
    /// The Salesforce API field it sets, for create/update parameters.
    pub field: Option<&'static str>,
}

impl Param {
    /// An optional parameter.
    pub const fn opt(name: &'static str, kind: Kind, description: &'static str) -> Self {
        Param {
            name,
            kind,
            required: false,
            description,
            field: None,
        }
    }

    /// A required parameter.
    pub const fn req(name: &'static str, kind: Kind, description: &'static str) -> Self {
        Param {
            name,
            kind,
            required: true,
            description,
            field: None,
        }
    }

    /// The same parameter, setting the API field `field`.
    pub const fn sets(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }

    /// The same parameter, optional.
    pub const fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    /// This parameter's JSON Schema.
    pub fn schema(&self) -> Value {
        let mut s = match self.kind {
            Kind::String => json!({"type": "string"}),
            Kind::Id => json!({"type": "string", "pattern": "^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$"}),
            Kind::Number { min, max } => bounded("number", min, max),
            Kind::Integer { min, max } => {
                bounded("integer", min.map(|m| m as f64), max.map(|m| m as f64))
            }
            Kind::Boolean => json!({"type": "boolean"}),
            Kind::Date => json!({"type": "string", "format": "date"}),
            Kind::DateTime => json!({"type": "string", "format": "date-time"}),
            Kind::Enum(values) => json!({"type": "string", "enum": values}),
            Kind::Fields => json!({
                "type": "object",
                "description": "Salesforce API field names (e.g. Custom_Field__c) to values",
                "additionalProperties": true
            }),
            Kind::StringList => json!({"type": "array", "items": {"type": "string"}}),
        };
        if let Value::Object(m) = &mut s {
            m.insert("description".into(), json!(self.description));
        }
        s
    }

    /// Checks a value against the parameter; returns the value to send (dates normalized).
    pub fn check(&self, value: &Value) -> Result<Value, ActionError> {
        let wrong = |expected: &str| {
            ActionError::invalid(
                "INVALID_TYPE_ON_FIELD_IN_RECORD",
                format!("{}: expected {expected}, got {value}", self.name),
                vec![self.name.to_owned()],
            )
        };
        if value.is_null() {
            return Ok(Value::Null);
        }
        match self.kind {
            Kind::String => value
                .as_str()
                .map(|_| value.clone())
                .ok_or_else(|| wrong("a string")),
            Kind::Id => {
                let s = value.as_str().ok_or_else(|| wrong("a record id"))?;
                let ok = matches!(s.len(), 15 | 18) && s.bytes().all(|b| b.is_ascii_alphanumeric());
                if ok {
                    Ok(value.clone())
                } else {
                    Err(ActionError::invalid(
                        "MALFORMED_ID",
                        format!(
                            "{}: {s:?} is not a Salesforce id (15 or 18 letters and digits)",
                            self.name
                        ),
                        vec![self.name.to_owned()],
                    ))
                }
            }
            Kind::Number { min, max } => {
                let n = number(value).ok_or_else(|| wrong("a number"))?;
                range(self.name, n, min, max)?;
                Ok(json!(n))
            }
            Kind::Integer { min, max } => {
                let n = number(value)
                    .filter(|n| n.fract() == 0.0)
                    .ok_or_else(|| wrong("a whole number"))?;
                range(self.name, n, min.map(|m| m as f64), max.map(|m| m as f64))?;
                Ok(json!(n as i64))
            }
            Kind::Boolean => match value {
                Value::Bool(_) => Ok(value.clone()),
                Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(json!(true)),
                Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(json!(false)),
                _ => Err(wrong("true or false")),
            },
            Kind::Date => {
                let s = value.as_str().ok_or_else(|| wrong("a date YYYY-MM-DD"))?;
                NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                    .map(|d| json!(d.format("%Y-%m-%d").to_string()))
                    .map_err(|_| wrong("a date YYYY-MM-DD"))
            }
            Kind::DateTime => {
                let s = value
                    .as_str()
                    .ok_or_else(|| wrong("an ISO 8601 date-time"))?;
                chrono::DateTime::parse_from_rfc3339(s.trim())
                    .map(|t| {
                        json!(
                            t.with_timezone(&chrono::Utc)
                                .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                                .to_string()
                        )
                    })
                    .or_else(|_| {
                        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                            .map(|d| json!(format!("{}T00:00:00.000Z", d.format("%Y-%m-%d"))))
                    })
                    .map_err(|_| wrong("an ISO 8601 date-time"))
            }
            Kind::Enum(values) => {
                let s = value.as_str().ok_or_else(|| wrong("a string"))?;
                values
                    .iter()
                    .find(|v| v.eq_ignore_ascii_case(s))
                    .map(|v| json!(v))
                    .ok_or_else(|| wrong(&format!("one of {}", values.join(", "))))
            }
            Kind::Fields => value
                .as_object()
                .map(|_| value.clone())
                .ok_or_else(|| wrong("an object of API field names to values")),
            Kind::StringList => match value {
                Value::Array(items) if items.iter().all(Value::is_string) => Ok(value.clone()),
                Value::String(s) => Ok(json!(
                    s.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                )),
                _ => Err(wrong("a list of strings")),
            },
        }
    }
}

fn bounded(kind: &str, min: Option<f64>, max: Option<f64>) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), json!(kind));
    if let Some(v) = min {
        m.insert("minimum".into(), json!(v));
    }
    if let Some(v) = max {
        m.insert("maximum".into(), json!(v));
    }
    Value::Object(m)
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|n| n.is_finite())
}

fn range(name: &str, n: f64, min: Option<f64>, max: Option<f64>) -> Result<(), ActionError> {
    if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
        let bounds = match (min, max) {
            (Some(a), Some(b)) => format!("between {a} and {b}"),
            (Some(a), None) => format!("at least {a}"),
            (None, Some(b)) => format!("at most {b}"),
            (None, None) => String::new(),
        };
        return Err(ActionError::invalid(
            "NUMBER_OUTSIDE_VALID_RANGE",
            format!("{name}: {n} is not {bounds}"),
            vec![name.to_owned()],
        ));
    }
    Ok(())
}

/// True for a key that names a Salesforce field rather than a parameter: API names start with
/// a capital letter (`Industry`) or carry a namespace or custom suffix (`Custom__c`).
pub fn is_api_name(key: &str) -> bool {
    key.chars().next().is_some_and(|c| c.is_ascii_uppercase()) || key.contains("__")
}

/// Checked parameters: values by name (normalized), and API-named fields passed through.
#[derive(Debug, Default, Clone)]
pub struct Checked {
    /// Values by parameter name.
    pub values: Map<String, Value>,
    /// Extra Salesforce fields by API name (only for actions that take them).
    pub extra_fields: Map<String, Value>,
}

impl Checked {
    /// A string parameter.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.values.get(name).and_then(Value::as_str)
    }

    /// A boolean parameter.
    pub fn bool(&self, name: &str) -> Option<bool> {
        self.values.get(name).and_then(Value::as_bool)
    }

    /// A number parameter.
    pub fn f64(&self, name: &str) -> Option<f64> {
        self.values.get(name).and_then(Value::as_f64)
    }

    /// A required string (validation already made sure it is there).
    pub fn required(&self, name: &str) -> Result<&str, ActionError> {
        self.str(name).ok_or_else(|| ActionError::missing(name))
    }
}

/// Checks input against parameters: an object; every required one present; each value of its
/// type; unknown names refused with the list of valid ones, except API field names when
/// `api_fields` is set.
pub fn check(params: &[Param], input: &Value, api_fields: bool) -> Result<Checked, ActionError> {
    let empty = Map::new();
    let obj = match input {
        Value::Object(m) => m,
        Value::Null => &empty,
        other => {
            return Err(ActionError::invalid(
                "JSON_PARSER_ERROR",
                format!("parameters are a JSON object, not {other}"),
                Vec::new(),
            ));
        }
    };
    let mut out = Checked::default();
    let mut unknown = Vec::new();
    for (key, value) in obj {
        match params.iter().find(|p| p.name == key) {
            Some(p) => {
                let v = p.check(value)?;
                if !v.is_null() {
                    out.values.insert(key.clone(), v);
                }
            }
            // A field the action has a parameter for, given by its API name (`LastName` for
            // `lastName`): the parameter, checked as such.
            None if api_fields
                && let Some(p) = params.iter().find(|p| p.field == Some(key.as_str())) =>
            {
                if obj.contains_key(p.name) {
                    return Err(ActionError::invalid(
                        "DUPLICATE_VALUE",
                        format!("{} and {key} are the same field: give one of them", p.name),
                        vec![p.name.to_owned(), key.clone()],
                    ));
                }
                let v = p.check(value)?;
                if !v.is_null() {
                    out.values.insert(p.name.to_owned(), v);
                }
            }
            None if api_fields && is_api_name(key) => {
                out.extra_fields.insert(key.clone(), value.clone());
            }
            None => unknown.push(key.clone()),
        }
    }
    if !unknown.is_empty() {
        let valid: Vec<&str> = params.iter().map(|p| p.name).collect();
        let also = if api_fields {
            " (and any Salesforce field by its API name, such as Custom_Field__c)"
        } else {
            ""
        };
        return Err(ActionError::invalid(
            "INVALID_FIELD",
            format!(
                "unknown parameter{} {}; valid parameters: {}{also}",
                if unknown.len() == 1 { "" } else { "s" },
                unknown.join(", "),
                valid.join(", ")
            ),
            unknown,
        ));
    }
    let missing: Vec<String> = params
        .iter()
        .filter(|p| p.required && !out.values.contains_key(p.name))
        .map(|p| p.name.to_owned())
        .collect();
    if !missing.is_empty() {
        return Err(ActionError::invalid(
            "REQUIRED_FIELD_MISSING",
            format!("Required fields are missing: [{}]", missing.join(", ")),
            missing,
        ));
    }
    Ok(out)
}

/// The JSON Schema of a parameter list.
pub fn schema(params: &[Param], api_fields: bool) -> Value {
    let properties: Map<String, Value> = params
        .iter()
        .map(|p| (p.name.to_owned(), p.schema()))
        .collect();
    let required: Vec<&str> = params
        .iter()
        .filter(|p| p.required)
        .map(|p| p.name)
        .collect();
    let mut s = Map::new();
    s.insert("type".into(), json!("object"));
    s.insert("properties".into(), Value::Object(properties));
    s.insert("required".into(), json!(required));
    s.insert("additionalProperties".into(), json!(false));
    if api_fields {
        // Any Salesforce field by its API name. Not `patternProperties`: strict tool-calling
        // modes refuse it.
        s.insert(
            "additionalProperties".into(),
            json!({"description": "any Salesforce field by its API name (LastName, Custom_Field__c)"}),
        );
    }
    Value::Object(s)
}
