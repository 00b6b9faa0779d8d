//! WHERE's values: strings and their escapes, date, dateTime and time literals, relative dates,
//! currency, numbers, null and booleans.

use chrono::{NaiveDate, NaiveTime};
use sfkit_soql::{DateLiteral, Value};

use super::{canon, rejected, value_of, where_value};

#[test]
fn string_escapes() {
    let v = value_of(r#"'a\nb\tc\'d\\e\u00e9f\rg\bh\fi\"j'"#);
    assert_eq!(v, Value::string("a\nb\tc'd\\eéf\rg\u{8}h\u{c}i\"j"));
    assert_eq!(v.to_string(), r#"'a\nb\tc\'d\\eéf\rg\bh\fi\"j'"#);
    // Upper-case escape letters mean the same.
    assert_eq!(
        value_of(r"'\N\T\R\B\F\U00E9'"),
        Value::string("\n\t\r\u{8}\u{c}é")
    );
    // Non-ASCII text passes through as is.
    assert_eq!(value_of("'Zoë 東京'"), Value::string("Zoë 東京"));
    // Control characters without a short escape print as \uXXXX.
    assert_eq!(Value::string("\u{1}").to_string(), r"'\u0001'");
    // \% and \_ only inside LIKE; any other backslash is an error.
    rejected(r"SELECT Id FROM Account WHERE Name = 'a\%'");
    rejected(r"SELECT Id FROM Account WHERE Name = 'a\_'");
    rejected(r"SELECT Id FROM Account WHERE Name = 'a\x'");
    rejected(r"SELECT Id FROM Account WHERE Name = 'a\u00g1'");
    rejected(r"SELECT Id FROM Account WHERE Name = 'a\u00'");
    // % and _ outside LIKE are plain characters.
    assert_eq!(value_of("'50%_off'"), Value::string("50%_off"));
}

#[test]
fn date_literals() {
    assert_eq!(
        value_of("2024-02-29"),
        Value::Date(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap())
    );
    let q = canon(
        "SELECT Id FROM Opportunity WHERE CloseDate > 2010-11-05",
        "SELECT Id FROM Opportunity WHERE CloseDate > 2010-11-05",
    );
    assert!(matches!(where_value(&q), Value::Date(_)));
    rejected("SELECT Id FROM Opportunity WHERE CloseDate > 2023-02-29");
    rejected("SELECT Id FROM Opportunity WHERE CloseDate > '2023-02-01'x");
}

#[test]
fn datetime_literals() {
    let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    for (src, printed, local, offset) in [
        (
            "2010-11-01T19:45:04Z",
            "2010-11-01T19:45:04Z",
            ymd(2010, 11, 1).and_hms_opt(19, 45, 4).unwrap(),
            None,
        ),
        (
            "2010-11-01T19:45:04+05:30",
            "2010-11-01T19:45:04+05:30",
            ymd(2010, 11, 1).and_hms_opt(19, 45, 4).unwrap(),
            Some(330),
        ),
        (
            "2010-11-01T19:45:04-0800",
            "2010-11-01T19:45:04-08:00",
            ymd(2010, 11, 1).and_hms_opt(19, 45, 4).unwrap(),
            Some(-480),
        ),
        (
            "2010-11-01T19:45:04+00:00",
            "2010-11-01T19:45:04+00:00",
            ymd(2010, 11, 1).and_hms_opt(19, 45, 4).unwrap(),
            Some(0),
        ),
        (
            "2010-11-01T19:45:04.123Z",
            "2010-11-01T19:45:04.123Z",
            ymd(2010, 11, 1).and_hms_milli_opt(19, 45, 4, 123).unwrap(),
            None,
        ),
        (
            "2010-11-01T19:45:04.5Z",
            "2010-11-01T19:45:04.500Z",
            ymd(2010, 11, 1).and_hms_milli_opt(19, 45, 4, 500).unwrap(),
            None,
        ),
        (
            "2010-11-01T19:45:04.123456-03:00",
            "2010-11-01T19:45:04.123456-03:00",
            ymd(2010, 11, 1)
                .and_hms_micro_opt(19, 45, 4, 123_456)
                .unwrap(),
            Some(-180),
        ),
    ] {
        let q = canon(
            &format!("SELECT Id FROM Account WHERE CreatedDate >= {src}"),
            &format!("SELECT Id FROM Account WHERE CreatedDate >= {printed}"),
        );
        let Value::DateTime(dt) = where_value(&q) else {
            panic!("{src}: expected a dateTime, got {:?}", where_value(&q));
        };
        assert_eq!(dt.local, local, "{src}");
        assert_eq!(dt.offset_minutes, offset, "{src}");
    }
    // The offset is applied for the UTC instant.
    let Value::DateTime(dt) = value_of("2010-11-01T19:45:04-0800") else {
        panic!("expected a dateTime");
    };
    assert_eq!(dt.to_utc(), ymd(2010, 11, 2).and_hms_opt(3, 45, 4).unwrap());
    rejected("SELECT Id FROM Account WHERE CreatedDate >= 2010-11-01T19:45:04");
    rejected("SELECT Id FROM Account WHERE CreatedDate >= 2010-11-01T25:45:04Z");
    rejected("SELECT Id FROM Account WHERE CreatedDate >= 2010-11-01T19:45:04+15:00");
}

#[test]
fn time_literals() {
    let q = canon(
        "SELECT Id FROM Shift__c WHERE Start__c = 01:00:00.000Z",
        "SELECT Id FROM Shift__c WHERE Start__c = 01:00:00Z",
    );
    assert_eq!(
        where_value(&q),
        &Value::Time(NaiveTime::from_hms_opt(1, 0, 0).unwrap())
    );
    let q = canon(
        "SELECT Id FROM Shift__c WHERE Start__c < 13:30:15.250Z",
        "SELECT Id FROM Shift__c WHERE Start__c < 13:30:15.250Z",
    );
    assert_eq!(
        where_value(&q),
        &Value::Time(NaiveTime::from_hms_milli_opt(13, 30, 15, 250).unwrap())
    );
    rejected("SELECT Id FROM Shift__c WHERE Start__c = 01:00:00");
}

#[test]
fn every_relative_date_literal() {
    assert_eq!(DateLiteral::NAMES.len(), 23 + 21);
    for &name in DateLiteral::NAMES {
        let (src, expected) = if DateLiteral::is_counted_name(name) {
            (
                format!("{}:7", name.to_ascii_lowercase()),
                DateLiteral::counted(name, 7).unwrap(),
            )
        } else {
            (name.to_ascii_lowercase(), DateLiteral::fixed(name).unwrap())
        };
        let printed = if expected.count().is_some() {
            format!("{name}:7")
        } else {
            name.to_owned()
        };
        let q = canon(
            &format!("SELECT Id FROM Opportunity WHERE CloseDate = {src}"),
            &format!("SELECT Id FROM Opportunity WHERE CloseDate = {printed}"),
        );
        assert_eq!(where_value(&q), &Value::DateLiteral(expected));
        assert_eq!(expected.name(), name);
        if DateLiteral::is_counted_name(name) {
            assert_eq!(expected.count(), Some(7));
            // A counted literal needs its count.
            rejected(&format!(
                "SELECT Id FROM Opportunity WHERE CloseDate = {name}"
            ));
        } else {
            assert_eq!(expected.count(), None);
        }
    }
    assert_eq!(
        value_of("LAST_N_DAYS:0"),
        Value::DateLiteral(DateLiteral::LastNDays(0))
    );
    assert_eq!(
        value_of("N_FISCAL_YEARS_AGO:365"),
        Value::DateLiteral(DateLiteral::NFiscalYearsAgo(365))
    );
    rejected("SELECT Id FROM Opportunity WHERE CloseDate = LAST_N_DAYS:-1");
    rejected("SELECT Id FROM Opportunity WHERE CloseDate = LAST_N_DAYS:1.5");
    rejected("SELECT Id FROM Opportunity WHERE CloseDate = NOT_A_LITERAL");
}

#[test]
fn currency_literals() {
    for (src, code, amount) in [
        ("USD5000", "USD", "5000"),
        ("USD5000.01", "USD", "5000.01"),
        ("USD-500", "USD", "-500"),
        ("JPY1000", "JPY", "1000"),
        ("eur12.5", "eur", "12.5"),
    ] {
        let q = canon(
            &format!("SELECT Id FROM Opportunity WHERE Amount > {src}"),
            &format!("SELECT Id FROM Opportunity WHERE Amount > {src}"),
        );
        let Value::Currency(c) = where_value(&q) else {
            panic!(
                "{src}: expected a currency literal, got {:?}",
                where_value(&q)
            );
        };
        assert_eq!(c.iso_code, code);
        assert_eq!(c.amount.as_str(), amount);
    }
}

#[test]
fn numbers() {
    for (src, printed, integer) in [
        ("0", "0", true),
        ("42", "42", true),
        ("-100", "-100", true),
        ("-100.123", "-100.123", false),
        ("+5", "5", true),
        ("101.00", "101.00", false),
        (
            "123456789012345678901234567890",
            "123456789012345678901234567890",
            true,
        ),
    ] {
        let q = canon(
            &format!("SELECT Id FROM Account WHERE X = {src}"),
            &format!("SELECT Id FROM Account WHERE X = {printed}"),
        );
        let Value::Number(n) = where_value(&q) else {
            panic!("{src}: expected a number");
        };
        assert_eq!(n.as_str(), printed);
        assert_eq!(n.is_integer(), integer, "{src}");
    }
    let Value::Number(n) = value_of("-100.5") else {
        panic!("expected a number")
    };
    assert!((n.to_f64() + 100.5).abs() < f64::EPSILON);
    rejected("SELECT Id FROM Account WHERE X = - 5");
    rejected("SELECT Id FROM Account WHERE X = 5.");
}

#[test]
fn null_true_false_any_case() {
    for (src, v) in [
        ("NULL", Value::Null),
        ("null", Value::Null),
        ("Null", Value::Null),
        ("TRUE", Value::Boolean(true)),
        ("true", Value::Boolean(true)),
        ("tRuE", Value::Boolean(true)),
        ("FALSE", Value::Boolean(false)),
        ("false", Value::Boolean(false)),
        ("False", Value::Boolean(false)),
    ] {
        let printed = v.to_string();
        let q = canon(
            &format!("SELECT Id FROM Account WHERE X != {src}"),
            &format!("SELECT Id FROM Account WHERE X != {printed}"),
        );
        assert_eq!(where_value(&q), &v);
    }
    assert_eq!(Value::Null.to_string(), "NULL");
    assert_eq!(Value::Boolean(true).to_string(), "TRUE");
    assert_eq!(Value::Boolean(false).to_string(), "FALSE");
}
