//! Fuzzes the SOQL and SOSL parsers: no input may panic them, every error reads
//! `Expected ... at line ...`, and every input that parses round-trips through the printer
//! (`parse(print(parse(q))) == parse(q)`, and printing is idempotent), and so does every field
//! path `FieldPath::parse` accepts.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sfkit_soql::{FieldPath, ParseOptions, parse_query_with, parse_search_with};

fuzz_target!(|data: &[u8]| {
    // Only valid UTF-8: the parsers take `&str`, so lossy decoding would only add U+FFFD noise.
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    // A checked field path prints back to itself.
    match FieldPath::parse(src) {
        Ok(path) => assert_eq!(
            FieldPath::parse(&path.to_string()).ok(),
            Some(path),
            "field path round-trip failed for {src:?}"
        ),
        Err(e) => check_error(&e.to_string(), src),
    }
    // Both with the defaults and with Apex binds and comments, which open more of the grammar.
    for opts in [
        ParseOptions::default(),
        ParseOptions::default()
            .apex_binds(true)
            .allow_comments(true),
    ] {
        match parse_query_with(src, &opts) {
            Ok(q) => {
                let printed = q.to_string();
                let again = parse_query_with(&printed, &opts).unwrap_or_else(|e| {
                    panic!("printed query does not parse: {e}\n  input:   {src:?}\n  printed: {printed}")
                });
                assert_eq!(
                    again, q,
                    "query round-trip changed the tree\n  input:   {src:?}\n  printed: {printed}"
                );
                assert_eq!(
                    again.to_string(),
                    printed,
                    "query printer is not idempotent"
                );
            }
            Err(e) => check_error(&e.to_string(), src),
        }
        match parse_search_with(src, &opts) {
            Ok(s) => {
                let printed = s.to_string();
                let again = parse_search_with(&printed, &opts).unwrap_or_else(|e| {
                    panic!("printed search does not parse: {e}\n  input:   {src:?}\n  printed: {printed}")
                });
                assert_eq!(
                    again, s,
                    "search round-trip changed the tree\n  input:   {src:?}\n  printed: {printed}"
                );
                assert_eq!(
                    again.to_string(),
                    printed,
                    "search printer is not idempotent"
                );
            }
            Err(e) => check_error(&e.to_string(), src),
        }
    }
});

fn check_error(msg: &str, src: &str) {
    assert!(
        msg.starts_with("Expected ") && msg.contains(" at line "),
        "malformed error message {msg:?} for input {src:?}"
    );
}
