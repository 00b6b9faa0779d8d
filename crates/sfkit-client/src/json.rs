//! Decoding Salesforce's JSON so that a failure names where it happened: the JSON path of the
//! value that did not fit (`records[3].Amount`), as [`Error::Decode`](crate::Error::Decode)
//! promises.
//!
//! Answers are decoded at full speed first; only a failure is decoded again, with the path
//! tracked (decoding is deterministic, so the second pass stops at the same value). Record
//! streams pay nothing for the path while every record fits.

use std::fmt;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A JSON value that did not decode, and where it is.
#[derive(Debug)]
pub(crate) struct PathError {
    /// The path from the decoded document's root; empty at the root itself.
    path: String,
    inner: serde_json::Error,
}

impl PathError {
    fn new(e: serde_path_to_error::Error<serde_json::Error>) -> Self {
        let path = e.path().to_string();
        PathError {
            // The root prints as ".".
            path: if path == "." { String::new() } else { path },
            inner: e.into_inner(),
        }
    }

    /// The same failure in a document that was part of a larger one, at `outer`
    /// (`records[3]`): its path becomes `records[3].Amount`.
    pub(crate) fn within(mut self, outer: &str) -> Self {
        self.path = match self.path.as_str() {
            _ if outer.is_empty() => return self,
            "" => outer.to_owned(),
            p if p.starts_with('[') => format!("{outer}{p}"),
            p => format!("{outer}.{p}"),
        };
        self
    }

    /// The JSON path of the value that did not fit; empty for the document itself.
    #[cfg(test)]
    pub(crate) fn path(&self) -> &str {
        &self.path
    }
}

impl From<serde_json::Error> for PathError {
    fn from(inner: serde_json::Error) -> Self {
        PathError {
            path: String::new(),
            inner,
        }
    }
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.inner)
        } else {
            write!(f, "at `{}`: {}", self.path, self.inner)
        }
    }
}

/// Decodes `bytes`, naming the failing path when it does not fit `T`.
pub(crate) fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, PathError> {
    serde_json::from_slice(bytes).map_err(|first| {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        match serde_path_to_error::deserialize::<_, T>(&mut de) {
            Err(e) => PathError::new(e),
            // Only trailing characters are left to fail on, and they have no path.
            Ok(_) => PathError::from(first),
        }
    })
}

/// Decodes `text` (which `T` may borrow from), naming the failing path when it does not fit.
pub(crate) fn from_str<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T, PathError> {
    serde_json::from_str(text).map_err(|first| {
        let mut de = serde_json::Deserializer::from_str(text);
        match serde_path_to_error::deserialize::<_, T>(&mut de) {
            Err(e) => PathError::new(e),
            Ok(_) => PathError::from(first),
        }
    })
}

/// Decodes a value already parsed, naming the failing path when it does not fit `T`.
pub(crate) fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, PathError> {
    serde_path_to_error::deserialize(value).map_err(PathError::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::collections::HashMap;

    /// `{"Amount": 1.5}`.
    type Opportunity = HashMap<String, Option<f64>>;
    /// `{"records": [...]}`.
    type Page = HashMap<String, Vec<Opportunity>>;

    #[test]
    fn a_bad_value_is_named_by_its_path() {
        let body = br#"{"records":[{"Amount":1},{"Amount":null},{},{"Amount":"lots"}]}"#;
        let e = from_slice::<Page>(body).unwrap_err();
        assert_eq!(e.path(), "records[3].Amount");
        let text = e.to_string();
        assert!(
            text.starts_with("at `records[3].Amount`: invalid type: string \"lots\""),
            "{text}"
        );
        let text = std::str::from_utf8(body).unwrap();
        assert_eq!(
            from_str::<Page>(text).unwrap_err().path(),
            "records[3].Amount"
        );
        let value: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(
            from_value::<Page>(value).unwrap_err().path(),
            "records[3].Amount"
        );
    }

    #[test]
    fn a_record_decoded_alone_is_named_within_its_page() {
        let e = from_str::<Opportunity>(r#"{"Amount":true}"#).unwrap_err();
        assert_eq!(e.within("records[7]").path(), "records[7].Amount");
        let e = from_str::<Vec<Opportunity>>(r#"[{"Amount":true}]"#).unwrap_err();
        assert_eq!(e.within("records").path(), "records[0].Amount");
        // Not JSON at all: no path, only where in the text.
        let e = from_slice::<Page>(b"<html>").unwrap_err();
        assert_eq!(e.path(), "");
        assert!(e.to_string().contains("line 1 column 1"), "{e}");
        // Trailing characters fail as they always did.
        assert!(from_slice::<Page>(br#"{"records":[]} x"#).is_err());
    }
}
