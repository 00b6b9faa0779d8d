//! The CSV dialect of a job (delimiter, line ending) and CSV answers.

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use serde_json::{Map, Value as Json};

use super::jobs::invalid_job;
use crate::api_error::ApiError;

/// CSV dialect of a job.
#[derive(Debug, Clone, Copy)]
pub(super) struct Dialect {
    pub(super) delimiter: u8,
    pub(super) delimiter_name: &'static str,
    pub(super) crlf: bool,
}

impl Dialect {
    /// The dialect a job definition names (`columnDelimiter`, `lineEnding`, `contentType`).
    pub(super) fn from_body(body: &Map<String, Json>) -> Result<Self, ApiError> {
        let text = |k: &str| body.get(k).and_then(Json::as_str);
        let (delimiter, delimiter_name) = match text("columnDelimiter").unwrap_or("COMMA") {
            "COMMA" => (b',', "COMMA"),
            "TAB" => (b'\t', "TAB"),
            "PIPE" => (b'|', "PIPE"),
            "SEMICOLON" => (b';', "SEMICOLON"),
            "CARET" => (b'^', "CARET"),
            "BACKQUOTE" => (b'`', "BACKQUOTE"),
            other => {
                return Err(invalid_job(format!(
                    "columnDelimiter {other:?} is not one of BACKQUOTE, CARET, COMMA, PIPE, SEMICOLON, TAB"
                )));
            }
        };
        let crlf = match text("lineEnding").unwrap_or("LF") {
            "LF" => false,
            "CRLF" => true,
            other => {
                return Err(invalid_job(format!(
                    "lineEnding {other:?} is not LF or CRLF"
                )));
            }
        };
        if let Some(ct) = text("contentType").filter(|c| *c != "CSV") {
            return Err(invalid_job(format!(
                "contentType {ct:?} is not supported; use CSV"
            )));
        }
        Ok(Dialect {
            delimiter,
            delimiter_name,
            crlf,
        })
    }

    /// Rows as CSV text: a header, then every row; every cell quoted.
    pub(super) fn write(&self, header: &[String], rows: &[Vec<String>]) -> Vec<u8> {
        let mut w = csv::WriterBuilder::new()
            .delimiter(self.delimiter)
            .quote_style(csv::QuoteStyle::Always)
            .terminator(if self.crlf {
                csv::Terminator::CRLF
            } else {
                csv::Terminator::Any(b'\n')
            })
            .from_writer(Vec::new());
        // Writing to memory cannot fail.
        let _ = w.write_record(header);
        for r in rows {
            let _ = w.write_record(r);
        }
        w.into_inner().unwrap_or_default()
    }
}

/// A CSV answer with Salesforce's content type.
pub(super) fn csv_response(body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=UTF-8"),
    );
    r
}
