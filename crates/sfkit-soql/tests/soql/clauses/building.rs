//! The escaping helpers, and statements built from hostile user text: the printed statement
//! reads back to the same tree with the text intact.

use chrono::{NaiveDate, TimeZone, Utc};
use sfkit_soql::{
    CompareOp, Condition, FieldPath, FindClause, InOperand, LikeOperand, LikePart, LikePattern,
    ParseOptions, Predicate, Query, RowCount, Search, SearchExpr, SearchText, Value, escape,
    parse_query, parse_search,
};

use super::{
    braces, compare, field, item, path, query, search_with, term, value_of, where_pred, where_value,
};

/// Text a user might type to break out of a literal.
const HOSTILE: &[&str] = &[
    "O'Brien",
    "x' OR Name != '",
    "\\' OR Id != null OR Name = '",
    "back\\slash\\",
    "trailing backslash \\",
    "line\nbreak\r\nand\ttab",
    "quote \" double",
    "50%_off",
    "} RETURNING User(Password) {",
    "'; DELETE --",
    "\u{0}\u{1}\u{7f}\u{8}\u{c}",
    "Zoë 東京 🚀",
    "",
    "\\u0027",
    "%",
    "\\%\\_",
];

#[test]
fn escape_helpers() {
    assert_eq!(escape::quote("O'Brien"), r"'O\'Brien'");
    assert_eq!(escape::quote(""), "''");
    assert_eq!(
        escape::escape("a'b\\c\nd\re\tf\"g\u{8}\u{c}\u{1}%_"),
        r#"a\'b\\c\nd\re\tf\"g\b\f\u0001%_"#
    );
    assert_eq!(escape::escape_like("50%_off"), r"50\%\_off");
    assert_eq!(escape::escape_like("it's 100%"), r"it\'s 100\%");
    assert_eq!(escape::escape_sosl("C++ (beta)"), r"C\+\+ \(beta\)");
    assert_eq!(
        escape::escape_sosl(r#"?&|!{}[]()^~*:\"'+-"#),
        r#"\?\&\|\!\{\}\[\]\(\)\^\~\*\:\\\"\'\+\-"#
    );
    assert_eq!(escape::escape_sosl("plain words"), "plain words");
    assert_eq!(
        escape::format_date(NaiveDate::from_ymd_opt(2024, 1, 31).unwrap()),
        "2024-01-31"
    );
    assert_eq!(
        escape::format_date(NaiveDate::from_ymd_opt(987, 3, 4).unwrap()),
        "0987-03-04"
    );
    let t = Utc.with_ymd_and_hms(2024, 1, 31, 23, 59, 59).unwrap();
    assert_eq!(escape::format_datetime(t), "2024-01-31T23:59:59Z");
    let t = t + chrono::TimeDelta::milliseconds(250);
    assert_eq!(escape::format_datetime(t), "2024-01-31T23:59:59.250Z");
}

#[test]
fn escape_helper_output_parses_back() {
    for &h in HOSTILE {
        // quote()
        let q = query(&format!(
            "SELECT Id FROM Account WHERE Name = {}",
            escape::quote(h)
        ));
        assert_eq!(where_value(&q), &Value::string(h), "quote({h:?})");
        // escape() between quotes
        let q = query(&format!(
            "SELECT Id FROM Account WHERE Name = '{}'",
            escape::escape(h)
        ));
        assert_eq!(where_value(&q), &Value::string(h), "escape({h:?})");
        // escape_like() inside a contains pattern
        let q = query(&format!(
            "SELECT Id FROM Account WHERE Name LIKE '%{}%'",
            escape::escape_like(h)
        ));
        assert_eq!(
            where_pred(&q),
            &Predicate::Like {
                lhs: field("Name"),
                pattern: LikeOperand::Pattern(LikePattern::contains(h)),
            },
            "escape_like({h:?})"
        );
    }
    // escape_sosl() on text without spaces gives one literal term.
    for h in [
        "C++",
        "a{b}c",
        "x}RETURNING",
        "(a)",
        "\\",
        "\"q\"",
        "a:b?c*",
        "!^~[]",
    ] {
        let s = search_with(
            &format!("FIND {{{}}}", escape::escape_sosl(h)),
            &ParseOptions::default(),
        );
        assert_eq!(braces(&s), &term(h), "escape_sosl({h:?})");
    }
    // format_date / format_datetime give literals that read back as the same instant.
    let d = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    assert_eq!(value_of(&escape::format_date(d)), Value::Date(d));
    let t =
        Utc.with_ymd_and_hms(2024, 2, 29, 8, 30, 0).unwrap() + chrono::TimeDelta::milliseconds(7);
    let Value::DateTime(dt) = value_of(&escape::format_datetime(t)) else {
        panic!("expected a dateTime");
    };
    assert_eq!(dt.to_utc(), t.naive_utc());
    assert_eq!(dt.offset_minutes, None);
}

#[test]
fn like_pattern_builders() {
    let text = "50%_off 'now'";
    for (pattern, printed, parts) in [
        (
            LikePattern::contains(text),
            r"'%50\%\_off \'now\'%'",
            vec![
                LikePart::AnyChars,
                LikePart::Text(text.into()),
                LikePart::AnyChars,
            ],
        ),
        (
            LikePattern::starts_with(text),
            r"'50\%\_off \'now\'%'",
            vec![LikePart::Text(text.into()), LikePart::AnyChars],
        ),
        (
            LikePattern::ends_with(text),
            r"'%50\%\_off \'now\''",
            vec![LikePart::AnyChars, LikePart::Text(text.into())],
        ),
        (
            LikePattern::exact(text),
            r"'50\%\_off \'now\''",
            vec![LikePart::Text(text.into())],
        ),
    ] {
        assert_eq!(pattern.parts(), parts.as_slice());
        assert_eq!(pattern.to_string(), printed);
        let mut q = Query::select_from(["Id"], "Account").unwrap();
        q.where_clause = Some(Condition::predicate(Predicate::Like {
            lhs: field("Name"),
            pattern: LikeOperand::Pattern(pattern.clone()),
        }));
        let printed_query = q.to_string();
        assert_eq!(
            printed_query,
            format!("SELECT Id FROM Account WHERE Name LIKE {printed}")
        );
        let back = query(&printed_query);
        assert_eq!(back, q, "LIKE pattern {printed}");
    }
    // Empty text parts vanish, adjacent ones merge.
    assert_eq!(
        LikePattern::from_parts([
            LikePart::Text(String::new()),
            LikePart::Text("a".into()),
            LikePart::Text("b".into()),
            LikePart::OneChar,
        ])
        .parts(),
        &[LikePart::Text("ab".into()), LikePart::OneChar]
    );
    assert_eq!(
        LikePattern::contains(""),
        LikePattern::from_parts([LikePart::AnyChars, LikePart::AnyChars])
    );
}

#[test]
fn built_query_with_hostile_values_cannot_be_injected() {
    for &h in HOSTILE {
        let mut q = Query::select_from(["Id", "Name", "Account.Name"], "Contact").unwrap();
        q.where_clause = Some(Condition::And(vec![
            compare(field("Name"), CompareOp::Eq, Value::string(h)),
            Condition::predicate(Predicate::In {
                lhs: field("Email"),
                negated: true,
                rhs: InOperand::List(vec![Value::string(h), Value::string("x")]),
            }),
        ]));
        q.limit = Some(RowCount::Literal(1));
        let printed = q.to_string();
        let back = parse_query(&printed)
            .unwrap_or_else(|e| panic!("{h:?} printed as {printed:?} does not parse: {e}"));
        assert_eq!(back, q, "{h:?} printed as {printed:?}");
        // The structure is intact: exactly two predicates and the LIMIT.
        let Some(Condition::And(items)) = &back.where_clause else {
            panic!("{printed:?}: WHERE lost its shape");
        };
        assert_eq!(items.len(), 2);
        assert_eq!(
            items[0],
            compare(field("Name"), CompareOp::Eq, Value::string(h))
        );
        assert_eq!(back.limit, Some(RowCount::Literal(1)));
        assert_eq!(back.to_string(), printed);
    }
}

#[test]
fn select_from_refuses_names_that_are_not_names() {
    for (fields, sobject) in [
        (vec!["Name) FROM User --"], "Account"),
        (vec!["Id"], "Account WHERE Name != null"),
        (vec!["Id, Password__c"], "Account"),
        (vec!["Select"], "Account"),
        (vec!["Name'"], "Account"),
        (vec![""], "Account"),
        (vec!["Id"], ""),
        (vec!["Id"], "Account.Owner"),
        (vec!["Account..Name"], "Contact"),
    ] {
        assert!(
            Query::select_from(&fields, sobject).is_err(),
            "{fields:?} FROM {sobject:?} should be refused"
        );
    }
    assert_eq!(
        FieldPath::parse("Account.Owner.Name").unwrap(),
        path("Account.Owner.Name")
    );
    assert!(FieldPath::parse("Name FROM User").is_err());
    assert!(FieldPath::parse("Name\\").is_err());
    // Surrounding whitespace is not part of the name.
    assert_eq!(FieldPath::parse(" Name\n").unwrap(), path("Name"));
}

#[test]
fn select_from_builds_paths() {
    let q = Query::select_from(["Id", "Account.Owner.Name"], "Contact").unwrap();
    assert_eq!(q.to_string(), "SELECT Id, Account.Owner.Name FROM Contact");
    assert_eq!(
        q.select,
        vec![
            item(field("Id"), None),
            item(field("Account.Owner.Name"), None)
        ]
    );
    assert_eq!(q, query("SELECT Id, Account.Owner.Name FROM Contact"));
}

#[test]
fn search_phrase_from_hostile_text() {
    for &h in HOSTILE {
        if h.is_empty() {
            continue;
        }
        // FIND {"..."}
        let mut s = Search::find(SearchExpr::phrase(h));
        s.returning.push(sfkit_soql::ReturningObject::new(
            "Account",
            vec![item(field("Id"), None)],
        ));
        s.limit = Some(RowCount::Literal(5));
        let printed = s.to_string();
        let back = parse_search(&printed)
            .unwrap_or_else(|e| panic!("{h:?} printed as {printed:?} does not parse: {e}"));
        assert_eq!(back, s, "{h:?} printed as {printed:?}");
        assert_eq!(back.returning.len(), 1);
        assert_eq!(back.to_string(), printed);

        // FIND '"..."' (the Apex form escapes twice).
        let mut s2 = s.clone();
        s2.find = FindClause::Quotes(SearchExpr::phrase(h));
        let printed = s2.to_string();
        let back = parse_search(&printed)
            .unwrap_or_else(|e| panic!("{h:?} printed as {printed:?} does not parse: {e}"));
        assert_eq!(back, s2, "{h:?} printed as {printed:?}");

        // A term built from the same text reads back as one term.
        let t = Search::find(SearchExpr::Term(SearchText::literal(h)));
        let printed = t.to_string();
        let back = parse_search(&printed)
            .unwrap_or_else(|e| panic!("{h:?} printed as {printed:?} does not parse: {e}"));
        assert_eq!(back, t, "{h:?} printed as {printed:?}");
    }
    // The printed phrase escapes every reserved character.
    assert_eq!(
        Search::find(SearchExpr::phrase("C++ \"beta\" {x}")).to_string(),
        r#"FIND {"C\+\+ \"beta\" \{x\}"}"#
    );
    // Terms that spell an operator stay terms.
    for word in ["and", "OR", "Not"] {
        let t = Search::find(SearchExpr::Term(SearchText::literal(word)));
        let back = parse_search(&t.to_string()).unwrap();
        assert_eq!(back, t, "{word}");
    }
}
