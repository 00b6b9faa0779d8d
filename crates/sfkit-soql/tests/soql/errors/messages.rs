//! Exact messages: structure, lexical, string escape, literal, logic and function errors, SOSL's,
//! and their lines and columns (counted in characters) across lines and non-ASCII text.

use sfkit_soql::{Error, parse_query};

use super::{assert_query_errors, assert_search_errors, query_error};

#[test]
fn structure_errors() {
    assert_query_errors(&[
        (
            "SELECT Id WHERE Name = 'x'",
            "Expected FROM, found 'WHERE' at line 1, column 11",
        ),
        (
            "SELECT Id Account",
            "Expected FROM, found end of input at line 1, column 18",
        ),
        (
            "",
            "Expected SELECT, found end of input at line 1, column 1",
        ),
        (
            "   ",
            "Expected SELECT, found end of input at line 1, column 4",
        ),
        (
            "SELECT",
            "Expected a field, function, subquery or TYPEOF, found end of input at line 1, column 7",
        ),
        (
            "SELECT Id FROM",
            "Expected an object name, found end of input at line 1, column 15",
        ),
        (
            "SELECT Id FROM Account garbage more",
            "Expected the end of the query, found 'more' at line 1, column 32",
        ),
        (
            "SELECT Id FROM Account LIMIT 5 5",
            "Expected the end of the query, found '5' at line 1, column 32",
        ),
        (
            "SELECT Id FROM Account WHERE Name = 'x')",
            "Expected the end of the query, found ')' at line 1, column 40",
        ),
        (
            "SELECT Id FROM Account WHERE (Name = 'x'",
            "Expected ')' to close the condition, found end of input at line 1, column 41",
        ),
        (
            "SELECT Id FROM Account WHERE",
            "Expected a field or function to compare, found end of input at line 1, column 29",
        ),
        (
            "SELECT Id FROM Account WHERE Name",
            "Expected a comparison operator (=, !=, <, <=, >, >=, LIKE, IN, NOT IN, INCLUDES, EXCLUDES), found end of input at line 1, column 34",
        ),
        (
            "SELECT Id FROM Account WHERE Name =",
            "Expected a value (string, number, date, dateTime, date literal, NULL, TRUE or FALSE), found end of input at line 1, column 36",
        ),
        (
            "SELECT Id FROM Account ORDER BY Name NULLS",
            "Expected FIRST or LAST after NULLS, found end of input at line 1, column 43",
        ),
        (
            "SELECT Name AS n FROM Account",
            "Expected FROM, found 'AS' at line 1, column 13",
        ),
        (
            "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact OFFSET 1)",
            "Expected ')' (OFFSET is not allowed in a WHERE subquery), found 'OFFSET' at line 1, column 67",
        ),
    ]);
}

#[test]
fn lexical_errors() {
    assert_query_errors(&[
        (
            "SELECT Id FROM Account WHERE Name = 'abc",
            "Expected a closing quote for the string that starts here, found end of input at line 1, column 37",
        ),
        (
            r"SELECT Id FROM Account WHERE X = 'a\'",
            "Expected a closing quote for the string that starts here, found end of input at line 1, column 34",
        ),
        (
            "SELECT Id FROM Account WHERE Name = \"x\"",
            "Expected a single-quoted string (SOQL has no double quotes), found '\"' at line 1, column 37",
        ),
        (
            "SELECT Id FROM Account WHERE X = 1 # y",
            "Expected a SOQL token, found '#' at line 1, column 36",
        ),
        (
            "SELECT Id FROM Account WHERE X = 1 \u{1}",
            "Expected a SOQL token, found character U+0001 at line 1, column 36",
        ),
        (
            "SELECT Id FROM Account // comment",
            "Expected a SOQL token, found '/' at line 1, column 24",
        ),
    ]);
}

#[test]
fn string_escape_errors() {
    assert_query_errors(&[
        (
            r"SELECT Id FROM Account WHERE Name = 'a\qb'",
            r#"Expected an escape sequence (\n \r \t \b \f \" \' \\ \uXXXX), found '\q' at line 1, column 39"#,
        ),
        // \% and \_ are LIKE-only.
        (
            r"SELECT Id FROM Account WHERE Name = 'a\%'",
            r#"Expected an escape sequence (\n \r \t \b \f \" \' \\ \uXXXX), found '\%' at line 1, column 39"#,
        ),
        (
            r"SELECT Id FROM Account WHERE Name IN ('ok', 'a\_b')",
            r#"Expected an escape sequence (\n \r \t \b \f \" \' \\ \uXXXX), found '\_' at line 1, column 47"#,
        ),
        (
            r"SELECT Id FROM Account WHERE X = 'a\u12'",
            r#"Expected an escape sequence (\n \r \t \b \f \" \' \\ \uXXXX), found '\u12' at line 1, column 36"#,
        ),
        // Inside LIKE the message lists \% and \_ too.
        (
            r"SELECT Id FROM Account WHERE Name LIKE '50\x'",
            r#"Expected an escape sequence (\n \r \t \b \f \" \' \\ \uXXXX \% \_), found '\x' at line 1, column 43"#,
        ),
    ]);
    // ...and there \% is fine.
    assert!(parse_query(r"SELECT Id FROM Account WHERE Name LIKE '50\%'").is_ok());
}

#[test]
fn literal_errors() {
    assert_query_errors(&[
        (
            "SELECT Id FROM Account WHERE CreatedDate > 2020-13-01",
            "Expected a valid calendar date (YYYY-MM-DD), found '2020-13-01' at line 1, column 44",
        ),
        (
            "SELECT Id FROM Account WHERE CreatedDate > 2023-02-29",
            "Expected a valid calendar date (YYYY-MM-DD), found '2023-02-29' at line 1, column 44",
        ),
        (
            "SELECT Id FROM Account WHERE CreatedDate > 2020-01-01T00:00:00",
            "Expected a dateTime like 2024-01-31T23:59:59Z, found '2020-01-01T00:00:00' at line 1, column 44",
        ),
        (
            "SELECT Id FROM Account WHERE CreatedDate > 2020-01-01T00:00:00 AND X = 1",
            "Expected a dateTime like 2024-01-31T23:59:59Z, found '2020-01-01T00:00:00' at line 1, column 44",
        ),
        (
            "SELECT Id FROM Account WHERE CreatedDate > 2020-01-01T25:00:00Z",
            "Expected a valid dateTime (YYYY-MM-DDThh:mm:ss[.fff](Z|+hh:mm)), found '2020-01-01T25:00:00Z' at line 1, column 44",
        ),
        (
            "SELECT Id FROM Account WHERE X = 01:00:00",
            "Expected a time like 13:30:00.000Z (with Z), found '01:00:00' at line 1, column 34",
        ),
        (
            "SELECT Id FROM Account LIMIT -1",
            "Expected a non-negative whole number, found '-' at line 1, column 30",
        ),
        (
            "SELECT Id FROM Account LIMIT 2.5",
            "Expected a non-negative whole number, found '2.5' at line 1, column 30",
        ),
        (
            "SELECT Id FROM Account WHERE CloseDate = LAST_N_DAYS",
            "Expected ':' and a count after LAST_N_DAYS, found end of input at line 1, column 53",
        ),
        (
            "SELECT Id FROM Account WHERE Id = :x",
            "Expected a literal value (Apex bind variables are not SOQL over the API), found ':' at line 1, column 35",
        ),
    ]);
}

#[test]
fn logic_errors() {
    assert_query_errors(&[
        (
            "SELECT Id FROM Account WHERE A = 1 AND B = 2 OR C = 3",
            "Expected AND or the end of the condition (AND and OR cannot be mixed without parentheses), found 'OR' at line 1, column 46",
        ),
        (
            "SELECT Id FROM Account WHERE A = 1 OR B = 2 AND C = 3",
            "Expected OR or the end of the condition (AND and OR cannot be mixed without parentheses), found 'AND' at line 1, column 45",
        ),
        (
            "SELECT Id FROM Account WHERE A = 1 AND NOT B = 2",
            "Expected a condition after AND (put NOT and its operand in parentheses: AND (NOT a)), found 'NOT' at line 1, column 40",
        ),
        (
            "SELECT Id FROM Account WHERE NOT A = 1 AND B = 2",
            "Expected parentheses around NOT and its operand before AND or OR, as in (NOT a) AND b, found 'AND' at line 1, column 40",
        ),
    ]);
}

#[test]
fn function_errors() {
    assert_query_errors(&[
        (
            "SELECT Foo(Id) FROM Account",
            "Expected a SOQL function (COUNT, SUM, toLabel, CALENDAR_YEAR, DISTANCE, ...), found 'Foo' at line 1, column 8",
        ),
        (
            "SELECT Id FROM Opportunity WHERE COUNT(Id) > 1",
            "Expected a field or non-aggregate function (aggregates belong in HAVING), found 'COUNT' at line 1, column 34",
        ),
        (
            "SELECT GEOLOCATION(1, 2) FROM Account",
            "Expected DISTANCE(field, GEOLOCATION(lat, lon), 'mi'|'km'); GEOLOCATION stands only inside DISTANCE, found 'GEOLOCATION' at line 1, column 8",
        ),
        (
            "SELECT Id FROM Account WHERE DISTANCE(Loc__c, GEOLOCATION(1, 2), 'm') < 5",
            "Expected the unit 'mi' or 'km', found string 'm' at line 1, column 66",
        ),
        (
            "SELECT convertTimezone(CreatedDate) FROM Account",
            "Expected a date function around convertTimezone(), as in HOUR_IN_DAY(convertTimezone(CreatedDate)), found 'convertTimezone' at line 1, column 8",
        ),
        (
            "SELECT Id FROM Account WHERE FORMAT(Amount) = 1",
            "Expected FORMAT() only in a SELECT list, found 'FORMAT' at line 1, column 30",
        ),
        (
            "SELECT Name FROM Account GROUP BY Name HAVING FORMULA('a') > 1",
            "Expected FORMULA() only on the left of a WHERE condition, found 'FORMULA' at line 1, column 47",
        ),
        (
            "SELECT Id, COUNT() FROM Account",
            "Expected a field: COUNT() must be the only item in the SELECT list, found 'COUNT' at line 1, column 12",
        ),
        (
            "SELECT COUNT(), Id FROM Account",
            "Expected FROM: COUNT() must be the only item in the SELECT list, found 'Id' at line 1, column 17",
        ),
    ]);
}

#[test]
fn positions_across_lines() {
    assert_query_errors(&[
        // The error on line 3, after an AND/OR mix.
        (
            "SELECT Id, Name\nFROM Account\nWHERE Name = 'x' AND Name = 'y' OR Name = 'z'",
            "Expected AND or the end of the condition (AND and OR cannot be mixed without parentheses), found 'OR' at line 3, column 33",
        ),
        // Indented, with CRLF line ends.
        (
            "SELECT Id,\r\n  Name\r\n    FROM Account WHERE Name == 'x'",
            "Expected a value (string, number, date, dateTime, date literal, NULL, TRUE or FALSE), found '=' at line 3, column 30",
        ),
        // At the very end of the last line.
        (
            "SELECT Id,\n  Name\nFROM Account\nWHERE Name = 'x' AND",
            "Expected a field or function to compare, found end of input at line 4, column 21",
        ),
        // A tab is one column.
        (
            "SELECT Id\n\tFROM\tAccount\tLIMIT\tx",
            "Expected a non-negative whole number, found 'x' at line 2, column 21",
        ),
        // An unterminated string points at its opening quote, lines before it counted.
        (
            "SELECT Id\nFROM Account\nWHERE Name = 'multi\nline",
            "Expected a closing quote for the string that starts here, found end of input at line 3, column 14",
        ),
    ]);
}

#[test]
fn non_ascii_characters_count_as_one_column() {
    assert_query_errors(&[
        (
            "SELECT Id FROM Account WHERE Name = 'Zoë' AND City = 'Köln' ORDER Name",
            "Expected the end of the query, found 'ORDER' at line 1, column 61",
        ),
        (
            "SELECT Id FROM Account WHERE Name = '東京' LIMIT x",
            "Expected a non-negative whole number, found 'x' at line 1, column 48",
        ),
        (
            "SELECT Id FROM Account WHERE Name = '🚀🚀' OR",
            "Expected a field or function to compare, found end of input at line 1, column 44",
        ),
        (
            "SELECT Id\nFROM Account\nWHERE Name = 'ÅÄÖ' AND X = 'é\\q'",
            r#"Expected an escape sequence (\n \r \t \b \f \" \' \\ \uXXXX), found '\q' at line 3, column 30"#,
        ),
        (
            "SELECT Id FROM Account WHERE Name = 'x' AND Ünïcödé = 1",
            "Expected a SOQL token, found 'Ü' at line 1, column 45",
        ),
    ]);
    // The byte offset stays a byte offset.
    let e: Error = parse_query("SELECT Id FROM Account WHERE Name = '東京' LIMIT x").unwrap_err();
    assert_eq!((e.line, e.column), (1, 48));
    assert_eq!(e.offset, 51);
    assert_eq!(e.expected, "a non-negative whole number");
    assert_eq!(e.found, "'x'");
}

#[test]
fn long_tokens_are_shortened_in_messages() {
    let long = "x".repeat(100);
    assert_eq!(
        query_error(&format!(
            "SELECT Id FROM Account WHERE Name = '{long}' '{long}'"
        )),
        format!(
            "Expected the end of the query, found string '{}...' at line 1, column 140",
            "x".repeat(40)
        )
    );
}

#[test]
fn sosl_errors() {
    assert_search_errors(&[
        (
            "FIND Acme",
            "Expected a search query in braces, as in FIND {Acme}, found 'Acme' at line 1, column 6",
        ),
        (
            "find",
            "Expected a search query in braces, as in FIND {Acme}, found end of input at line 1, column 5",
        ),
        (
            "SELECT Id FROM Account",
            "Expected FIND, found 'SELECT' at line 1, column 1",
        ),
        (
            "FIND {Acme",
            "Expected '}' to close the search query that starts here, found end of input at line 1, column 6",
        ),
        (
            "FIND {Acme RETURNING Account(Id)",
            "Expected '}' to close the search query that starts here, found end of input at line 1, column 6",
        ),
        (
            r"FIND {Acme\}",
            "Expected '}' to close the search query that starts here, found end of input at line 1, column 6",
        ),
        (
            "FIND {(Acme}",
            "Expected ')' to close the group, found the end of the search at line 1, column 12",
        ),
        (
            "FIND {(Acme OR Corp} RETURNING Account",
            "Expected ')' to close the group, found the end of the search at line 1, column 20",
        ),
        (
            "FIND {Acme)}",
            "Expected AND, OR or the end of the search, found ')' at line 1, column 11",
        ),
        (
            "FIND {}",
            "Expected a search term, found the end of the search at line 1, column 7",
        ),
        (
            "FIND {   }",
            "Expected a search term, found the end of the search at line 1, column 10",
        ),
        (
            "FIND ''",
            "Expected a search term, found the end of the search at line 1, column 6",
        ),
        (
            "FIND {Acme AND}",
            "Expected a search term, found the end of the search at line 1, column 15",
        ),
        (
            "FIND {\"Acme}",
            "Expected '\"' to close the phrase that starts here, found the end of the search at line 1, column 7",
        ),
        (
            "FIND {NOT Acme}",
            "Expected a search term (quote \"and\", \"or\" and \"not\" to search for them), found 'NOT' at line 1, column 7",
        ),
        // Errors inside FIND '...' point at the opening quote.
        (
            "FIND '(Acme'",
            "Expected ')' to close the group, found the end of the search at line 1, column 6",
        ),
        (
            "FIND {Acme} IN FOO FIELDS",
            "Expected ALL, NAME, EMAIL, PHONE or SIDEBAR after IN, found 'FOO' at line 1, column 16",
        ),
        (
            "FIND {Acme} RETURNING",
            "Expected an object name after RETURNING, found end of input at line 1, column 22",
        ),
        (
            "FIND {Acme} WITH FOO",
            "Expected DIVISION, DATA CATEGORY, SNIPPET, NETWORK, PricebookId, METADATA, HIGHLIGHT, SPELL_CORRECTION, USER_MODE or SYSTEM_MODE after WITH, found 'FOO' at line 1, column 18",
        ),
        (
            "FIND {Acme} LIMIT -1",
            "Expected a non-negative whole number, found '-' at line 1, column 19",
        ),
        (
            "FIND {Acme}\nRETURNING Account(Id\n  WHERE Name = 'x' AND Id = '1' OR Id = '2')",
            "Expected AND or the end of the condition (AND and OR cannot be mixed without parentheses), found 'OR' at line 3, column 33",
        ),
    ]);
}

#[test]
fn count_with_no_field_takes_no_group_by() {
    assert_query_errors(&[(
        "SELECT COUNT() FROM Account GROUP BY Name",
        "Expected no GROUP BY after COUNT() (count per group with COUNT(field)), found 'GROUP' at line 1, column 29",
    )]);
    assert!(sfkit_soql::parse_query("SELECT Name, COUNT(Id) FROM Account GROUP BY Name").is_ok());
}
