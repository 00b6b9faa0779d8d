//! Garbage never panics: hand-picked nasty strings, every prefix of real statements, random
//! bytes.

use sfkit_soql::{
    FieldPath, ParseOptions, Query, parse_query_with, parse_search_with, parse_statement_with,
};

/// Inputs chosen to poke at the lexer's byte arithmetic, escapes and literal scanners.
const NASTY: &[&str] = &[
    "",
    "\0",
    "'",
    "\\",
    "{",
    "}",
    "(",
    ")",
    ":",
    "-",
    "--1",
    ".",
    "..",
    "\u{feff}SELECT Id FROM Account",
    "SELECT Id FROM Account\u{0}",
    "SELECT '",
    "SELECT Id FROM Account WHERE Name = '\\",
    "SELECT Id FROM Account WHERE Name = '\\u",
    "SELECT Id FROM Account WHERE Name = '\\u00",
    "SELECT Id FROM Account WHERE Name = '\\uD800'",
    "SELECT Id FROM Account WHERE Name = '\\é'",
    "SELECT Id FROM Account WHERE Name = '\\u00é1'",
    "SELECT Id FROM Account WHERE Name = '\\u12é'",
    "SELECT Id FROM Account WHERE Name LIKE '\\",
    "SELECT Id FROM Account WHERE Name LIKE '%\\%\\_\\",
    "SELECT Id FROM Account WHERE X = 2020-01-01T",
    "SELECT Id FROM Account WHERE X = 2020-01-01T00:00:00+",
    "SELECT Id FROM Account WHERE X = 2020-01-01T00:00:00+1",
    "SELECT Id FROM Account WHERE X = 2020-01-01T00:00:00+99:99",
    "SELECT Id FROM Account WHERE X = 2020-01-01T00:00:00.Z",
    "SELECT Id FROM Account WHERE X = 2020-01-01T00:00:00.9999999999999Z",
    "SELECT Id FROM Account WHERE X = 9999-99-99",
    "SELECT Id FROM Account WHERE X = 0000-00-00",
    "SELECT Id FROM Account WHERE X = 99:99:99Z",
    "SELECT Id FROM Account WHERE X = 12:00:0",
    "SELECT Id FROM Account WHERE X = 2020-01-01é",
    "SELECT Id FROM Account WHERE X = 2020-01-01T00:00:00é",
    "SELECT Id FROM Account WHERE X = USD",
    "SELECT Id FROM Account WHERE X = USD.",
    "SELECT Id FROM Account WHERE X = USD-",
    "SELECT Id FROM Account WHERE X = USD5000.",
    "SELECT Id FROM Account WHERE X = USD5000.x",
    "SELECT Id FROM Account WHERE X = LAST_N_DAYS:",
    "SELECT Id FROM Account WHERE X = LAST_N_DAYS:99999999999999999999",
    "SELECT Id FROM Account LIMIT 99999999999999999999999999",
    "SELECT Id FROM Account WHERE X = -",
    "SELECT Id FROM Account WHERE X = +",
    "SELECT Id FROM Account WHERE X = :",
    "SELECT Id FROM Account WHERE X = :.",
    "SELECT Id FROM Account WHERE X IN :",
    "SELECT Id FROM Account WHERE DISTANCE(",
    "SELECT Id FROM Account WHERE DISTANCE(L, GEOLOCATION(",
    "SELECT Id FROM Account WHERE DISTANCE(L, :x, 'mi') < 1",
    "SELECT TYPEOF",
    "SELECT TYPEOF What WHEN",
    "SELECT TYPEOF What WHEN A THEN",
    "SELECT FIELDS(",
    "SELECT COUNT(",
    "SELECT (SELECT",
    "SELECT Id FROM Account WITH DATA CATEGORY",
    "SELECT Id FROM Account WITH DATA CATEGORY G AT (",
    "SELECT Id FROM Account WITH RecordVisibilityContext (",
    "SELECT Id FROM Account GROUP BY ROLLUP(",
    "SELECT Id FROM Account /* never closed",
    "SELECT Id FROM Account /",
    "FIND",
    "FIND {",
    "FIND {\\",
    "FIND {\\é}",
    "FIND '\\é'",
    "FIND {\"\\",
    "FIND {\"",
    "FIND {*}",
    "FIND {?}",
    "FIND {()}",
    "FIND {) (}",
    "FIND {a AND NOT}",
    "FIND {a} RETURNING A(",
    "FIND {a} RETURNING A(Id USING ListView",
    "FIND {a} WITH SNIPPET (",
    "FIND {a} WITH SNIPPET (target_length = :x)",
    "FIND {a} WITH NETWORK IN (",
    "FIND :",
    "FIND '",
    "FIND '{'",
    "🚀",
    "SELECT 🚀 FROM 🚀",
    "SELECT Id FROM Account WHERE Name = '\u{202e}evil'",
    "SELECT Id\u{2028}FROM Account",
    "SELECT Id\u{a0}FROM Account",
    "SELECT Id FROM Account WHERE Name = 'a'\r",
    "\r\n\r\n\t",
    "ＳＥＬＥＣＴ Id FROM Account",
    "SELECT Id FROM Account WHERE 名前 = 'x'",
];

/// Bytes from a fixed linear congruential generator, for reproducible junk.
fn junk(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 56) as u8
        })
        .collect()
}

/// Every way of parsing `src`; none may panic, and any error must be positioned inside it.
fn parse_every_way(src: &str) {
    for opts in [
        ParseOptions::default(),
        ParseOptions::default()
            .apex_binds(true)
            .allow_comments(true),
    ] {
        for result in [
            parse_query_with(src, &opts).map(|q| q.to_string()),
            parse_search_with(src, &opts).map(|s| s.to_string()),
            parse_statement_with(src, &opts).map(|s| s.to_string()),
        ] {
            match result {
                Ok(printed) => {
                    // Whatever parses must print something that parses again.
                    assert!(
                        parse_statement_with(&printed, &opts).is_ok(),
                        "{src:?} printed as {printed:?}, which does not parse"
                    );
                }
                Err(e) => {
                    assert!(e.line >= 1 && e.column >= 1, "{src:?}: {e}");
                    assert!(e.offset <= src.len(), "{src:?}: {e}");
                    assert!(e.to_string().starts_with("Expected "), "{src:?}: {e}");
                }
            }
        }
    }
    let _ = FieldPath::parse(src);
    let _ = Query::select_from([src], src);
}

#[test]
fn nasty_strings_never_panic() {
    for src in NASTY {
        parse_every_way(src);
    }
}

#[test]
fn every_prefix_of_real_statements_never_panics() {
    let statements = [
        "SELECT Id, Name, (SELECT LastName FROM Contacts WHERE Email LIKE '%@x.com'), TYPEOF What WHEN Account THEN Phone ELSE Name END, FORMAT(MIN(CloseDate)) mn FROM Account a USING SCOPE mine WHERE (Name = 'O\\'Brien' OR Name IN ('a', 'b')) AND CreatedDate > 2020-01-01T00:00:00.123+05:30 AND Amount > USD-5.5 AND CloseDate = LAST_N_DAYS:30 AND Id NOT IN (SELECT AccountId FROM Case) WITH SECURITY_ENFORCED GROUP BY ROLLUP(Name) HAVING COUNT(Id) > 1 ORDER BY Name DESC NULLS LAST LIMIT 10 OFFSET 5 FOR VIEW",
        "SELECT Id FROM Warehouse__c WHERE DISTANCE(Location__c, GEOLOCATION(37.775, -122.418), 'mi') < 20 AND Start__c = 01:00:00.000Z AND Name = '\\u00e9\\n'",
        "FIND {C\\+\\+ AND (\"Joe Smith\" OR Acm*) AND NOT Jo?n} IN NAME FIELDS RETURNING Account(Id, Name WHERE Industry = 'Tech' USING ListView = Recent ORDER BY Name LIMIT 10 OFFSET 5), Contact WITH SNIPPET (target_length = 120) WITH NETWORK IN ('a', 'b') LIMIT 50 UPDATE TRACKING",
        "FIND 'Zoë \\'東京\\' 🚀' RETURNING Account",
    ];
    for statement in statements {
        // The whole statement is valid.
        assert!(
            parse_statement_with(statement, &ParseOptions::default()).is_ok(),
            "{statement}"
        );
        for (i, _) in statement.char_indices() {
            parse_every_way(&statement[..i]);
            parse_every_way(&statement[i..]);
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    for seed in 0..500 {
        let bytes = junk(seed, (seed as usize % 97) + 1);
        let text = String::from_utf8_lossy(&bytes);
        parse_every_way(&text);
        // Junk behind a valid prefix reaches deeper into the parser.
        parse_every_way(&format!("SELECT Id FROM Account WHERE Name = {text}"));
        parse_every_way(&format!("FIND {{{text}}}"));
    }
}
