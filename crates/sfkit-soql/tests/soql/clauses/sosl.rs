//! SOSL: FIND, the search operators and text, IN ... FIELDS, RETURNING, WITH, LIMIT and UPDATE.

use sfkit_soql::{
    CategorySelector, Condition, DataCategoryFilter, FindClause, Function, NetworkFilter,
    NullsOrder, RowCount, SearchExpr, SearchGroup, SearchPart, SearchText, SearchWith,
    SortDirection, UpdateClause, Value,
};

use super::{braces, call, field, item, search_canon, search_rejected, term, text_of};

#[test]
fn sosl_find_braces_and_quotes() {
    let s = search_canon("find {Acme}", "FIND {Acme}");
    assert_eq!(s.find, FindClause::Braces(term("Acme")));
    assert_eq!(s.in_fields, None);
    assert!(s.returning.is_empty() && s.with.is_empty());
    assert_eq!((s.limit, s.update), (None, None));

    let s = search_canon("FIND 'Acme*'", "FIND 'Acme*'");
    assert_eq!(
        s.find,
        FindClause::Quotes(SearchExpr::Term(text_of(vec![
            SearchPart::Text("Acme".into()),
            SearchPart::AnyChars,
        ])))
    );
    // Inside quotes, SOQL string escapes apply first.
    let s = search_canon(
        r#"FIND '\"Joe Smith\" OR O\\\'Brien'"#,
        r#"FIND '\"Joe Smith\" OR O\\\'Brien'"#,
    );
    assert_eq!(
        s.find,
        FindClause::Quotes(SearchExpr::Or(vec![
            SearchExpr::Phrase(SearchText::literal("Joe Smith")),
            term("O'Brien"),
        ]))
    );
}

#[test]
fn sosl_search_operators() {
    let s = search_canon("FIND {Acme and Corp}", "FIND {Acme AND Corp}");
    assert_eq!(
        braces(&s),
        &SearchExpr::And(vec![term("Acme"), term("Corp")])
    );
    let s = search_canon("FIND {Acme or Corp OR Inc}", "FIND {Acme OR Corp OR Inc}");
    assert_eq!(
        braces(&s),
        &SearchExpr::Or(vec![term("Acme"), term("Corp"), term("Inc")])
    );
    let s = search_canon("FIND {Acme and not Corp}", "FIND {Acme AND NOT Corp}");
    assert_eq!(
        braces(&s),
        &SearchExpr::And(vec![term("Acme"), SearchExpr::Not(Box::new(term("Corp")))])
    );
    let s = search_canon(
        "FIND {(Acme OR Corp) AND Inc}",
        "FIND {(Acme OR Corp) AND Inc}",
    );
    assert_eq!(
        braces(&s),
        &SearchExpr::And(vec![
            SearchExpr::Or(vec![term("Acme"), term("Corp")]),
            term("Inc")
        ])
    );
    // AND binds tighter than OR; the printer makes that explicit.
    let s = search_canon("FIND {a1 OR b1 AND c1}", "FIND {a1 OR (b1 AND c1)}");
    assert_eq!(
        braces(&s),
        &SearchExpr::Or(vec![
            term("a1"),
            SearchExpr::And(vec![term("b1"), term("c1")])
        ])
    );
    let s = search_canon(
        "FIND {Acme AND NOT (Corp OR Inc)}",
        "FIND {Acme AND NOT (Corp OR Inc)}",
    );
    assert_eq!(
        braces(&s),
        &SearchExpr::And(vec![
            term("Acme"),
            SearchExpr::Not(Box::new(SearchExpr::Or(vec![term("Corp"), term("Inc")])))
        ])
    );
    search_rejected("FIND {NOT Acme}");
    search_rejected("FIND {Acme AND}");
    search_rejected("FIND {OR Acme}");
}

#[test]
fn sosl_adjacent_words_phrases_wildcards() {
    let s = search_canon("FIND {Joe   Smith}", "FIND {Joe Smith}");
    assert_eq!(
        braces(&s),
        &SearchExpr::Adjacent(vec![term("Joe"), term("Smith")])
    );
    let s = search_canon(r#"FIND {"Joe Smith"}"#, r#"FIND {"Joe Smith"}"#);
    assert_eq!(
        braces(&s),
        &SearchExpr::Phrase(SearchText::literal("Joe Smith"))
    );
    let s = search_canon(
        r#"FIND {Acme "Joe Smith" AND Corp}"#,
        r#"FIND {(Acme "Joe Smith") AND Corp}"#,
    );
    assert_eq!(
        braces(&s),
        &SearchExpr::And(vec![
            SearchExpr::Adjacent(vec![
                term("Acme"),
                SearchExpr::Phrase(SearchText::literal("Joe Smith"))
            ]),
            term("Corp")
        ])
    );
    let s = search_canon("FIND {Acm* Jo?n}", "FIND {Acm* Jo?n}");
    assert_eq!(
        braces(&s),
        &SearchExpr::Adjacent(vec![
            SearchExpr::Term(text_of(vec![
                SearchPart::Text("Acm".into()),
                SearchPart::AnyChars
            ])),
            SearchExpr::Term(text_of(vec![
                SearchPart::Text("Jo".into()),
                SearchPart::OneChar,
                SearchPart::Text("n".into()),
            ])),
        ])
    );
    // Quoted operator words are searched literally.
    let s = search_canon(r#"FIND {"and" OR "or"}"#, r#"FIND {"and" OR "or"}"#);
    assert_eq!(
        braces(&s),
        &SearchExpr::Or(vec![
            SearchExpr::Phrase(SearchText::literal("and")),
            SearchExpr::Phrase(SearchText::literal("or")),
        ])
    );
}

#[test]
fn sosl_escaped_reserved_characters() {
    let s = search_canon(
        r"FIND {C\+\+ \(beta\) 1\-800 a\*b \and}",
        r"FIND {C\+\+ \(beta\) 1\-800 a\*b \and}",
    );
    assert_eq!(
        braces(&s),
        &SearchExpr::Adjacent(vec![
            term("C++"),
            term("(beta)"),
            term("1-800"),
            term("a*b"),
            term("and"),
        ])
    );
    // An escaped brace does not close the search.
    let s = search_canon(r"FIND {a\}b} IN NAME FIELDS", r"FIND {a\}b} IN NAME FIELDS");
    assert_eq!(braces(&s), &term("a}b"));
    // An escaped space keeps one term.
    let s = search_canon(r"FIND {Joe\ Smith}", r"FIND {Joe\ Smith}");
    assert_eq!(braces(&s), &term("Joe Smith"));
}

#[test]
fn sosl_in_fields() {
    for (src, group) in [
        ("all", SearchGroup::All),
        ("NAME", SearchGroup::Name),
        ("Email", SearchGroup::Email),
        ("PHONE", SearchGroup::Phone),
        ("sidebar", SearchGroup::Sidebar),
    ] {
        let s = search_canon(
            &format!("FIND {{Acme}} in {src} fields RETURNING Account"),
            &format!("FIND {{Acme}} IN {group} FIELDS RETURNING Account"),
        );
        assert_eq!(s.in_fields, Some(group));
    }
    search_rejected("FIND {Acme} IN ADDRESS FIELDS");
    search_rejected("FIND {Acme} IN NAME");
}

#[test]
fn sosl_returning() {
    let s = search_canon(
        "FIND {Acme} RETURNING Account(Id, Name n, toLabel(Industry) WHERE Industry = 'Tech' and AnnualRevenue > USD100 USING ListView = Recent ORDER BY Name DESC NULLS LAST, Id LIMIT 10 OFFSET 5), Contact, Lead(Email) LIMIT 50",
        "FIND {Acme} RETURNING Account(Id, Name n, toLabel(Industry) WHERE Industry = 'Tech' AND AnnualRevenue > USD100 USING ListView = Recent ORDER BY Name DESC NULLS LAST, Id LIMIT 10 OFFSET 5), Contact, Lead(Email) LIMIT 50",
    );
    assert_eq!(s.returning.len(), 3);
    let acct = &s.returning[0];
    assert_eq!(acct.sobject, "Account");
    assert_eq!(
        acct.fields,
        vec![
            item(field("Id"), None),
            item(field("Name"), Some("n")),
            item(call(Function::ToLabel, vec![field("Industry")]), None),
        ]
    );
    assert!(matches!(&acct.where_clause, Some(Condition::And(v)) if v.len() == 2));
    assert_eq!(acct.list_view.as_deref(), Some("Recent"));
    assert_eq!(acct.order_by.len(), 2);
    assert_eq!(acct.order_by[0].direction, Some(SortDirection::Desc));
    assert_eq!(acct.order_by[0].nulls, Some(NullsOrder::Last));
    assert_eq!(acct.limit, Some(RowCount::Literal(10)));
    assert_eq!(acct.offset, Some(RowCount::Literal(5)));
    let contact = &s.returning[1];
    assert_eq!(contact.sobject, "Contact");
    assert!(contact.fields.is_empty() && contact.where_clause.is_none());
    assert_eq!(s.returning[2].fields, vec![item(field("Email"), None)]);
    assert_eq!(s.limit, Some(RowCount::Literal(50)));
    // A field list may not be empty; subqueries do not belong there.
    search_rejected("FIND {Acme} RETURNING Account()");
    search_rejected("FIND {Acme} RETURNING Account((SELECT Id FROM Contacts))");
    search_rejected("FIND {Acme} RETURNING Account(Id OFFSET 5 LIMIT 1)");
}

#[test]
fn sosl_every_with_clause() {
    let cases: Vec<(&str, &str, SearchWith)> = vec![
        (
            "WITH DIVISION='Global'",
            "WITH DIVISION = 'Global'",
            SearchWith::Division(Value::string("Global")),
        ),
        (
            "WITH DATA CATEGORY Geography__c ABOVE usa__c AND Product__c AT (a__c, b__c)",
            "WITH DATA CATEGORY Geography__c ABOVE usa__c AND Product__c AT (a__c, b__c)",
            SearchWith::DataCategory(vec![
                DataCategoryFilter {
                    group: "Geography__c".into(),
                    selector: CategorySelector::Above,
                    categories: vec!["usa__c".into()],
                },
                DataCategoryFilter {
                    group: "Product__c".into(),
                    selector: CategorySelector::At,
                    categories: vec!["a__c".into(), "b__c".into()],
                },
            ]),
        ),
        ("WITH SNIPPET", "WITH SNIPPET", SearchWith::Snippet(None)),
        (
            "with snippet(target_length=120)",
            "WITH SNIPPET (target_length = 120)",
            SearchWith::Snippet(Some(120)),
        ),
        (
            "WITH NETWORK = '0DBxx0000000001'",
            "WITH NETWORK = '0DBxx0000000001'",
            SearchWith::Network(NetworkFilter::Eq(Value::string("0DBxx0000000001"))),
        ),
        (
            "WITH NETWORK IN ('0DBxx0000000001','0DBxx0000000002')",
            "WITH NETWORK IN ('0DBxx0000000001', '0DBxx0000000002')",
            SearchWith::Network(NetworkFilter::In(vec![
                Value::string("0DBxx0000000001"),
                Value::string("0DBxx0000000002"),
            ])),
        ),
        (
            "WITH PricebookId = '01sxx0000002VJ0'",
            "WITH PricebookId = '01sxx0000002VJ0'",
            SearchWith::PricebookId(Value::string("01sxx0000002VJ0")),
        ),
        (
            "WITH METADATA = 'LABELS'",
            "WITH METADATA = 'LABELS'",
            SearchWith::Metadata(Value::string("LABELS")),
        ),
        ("WITH HIGHLIGHT", "WITH HIGHLIGHT", SearchWith::Highlight),
        (
            "WITH SPELL_CORRECTION = false",
            "WITH SPELL_CORRECTION = FALSE",
            SearchWith::SpellCorrection(false),
        ),
        (
            "WITH SPELL_CORRECTION = TRUE",
            "WITH SPELL_CORRECTION = TRUE",
            SearchWith::SpellCorrection(true),
        ),
        (
            "WITH SECURITY_ENFORCED",
            "WITH SECURITY_ENFORCED",
            SearchWith::SecurityEnforced,
        ),
        ("with user_mode", "WITH USER_MODE", SearchWith::UserMode),
        (
            "WITH SYSTEM_MODE",
            "WITH SYSTEM_MODE",
            SearchWith::SystemMode,
        ),
    ];
    for (src, printed, expected) in cases {
        let s = search_canon(
            &format!("FIND {{Acme}} RETURNING Account(Name) {src} LIMIT 10"),
            &format!("FIND {{Acme}} RETURNING Account(Name) {printed} LIMIT 10"),
        );
        assert_eq!(s.with, vec![expected], "{src}");
        assert_eq!(s.limit, Some(RowCount::Literal(10)));
    }
    // Several WITH clauses keep their order.
    let s = search_canon(
        "FIND {Acme} WITH HIGHLIGHT WITH SNIPPET WITH SPELL_CORRECTION = true",
        "FIND {Acme} WITH HIGHLIGHT WITH SNIPPET WITH SPELL_CORRECTION = TRUE",
    );
    assert_eq!(
        s.with,
        vec![
            SearchWith::Highlight,
            SearchWith::Snippet(None),
            SearchWith::SpellCorrection(true)
        ]
    );
    search_rejected("FIND {Acme} WITH SPELL_CORRECTION = 'yes'");
    search_rejected("FIND {Acme} WITH SNIPPET (length = 5)");
    search_rejected("FIND {Acme} WITH COLOR = 'red'");
}

#[test]
fn sosl_limit_and_update() {
    for (src, clause) in [
        ("update tracking", UpdateClause::Tracking),
        ("UPDATE VIEWSTAT", UpdateClause::Viewstat),
    ] {
        let s = search_canon(
            &format!("FIND {{Acme}} RETURNING FAQ__kav(Id) LIMIT 5 {src}"),
            &format!("FIND {{Acme}} RETURNING FAQ__kav(Id) LIMIT 5 {clause}"),
        );
        assert_eq!(s.update, Some(clause));
        assert_eq!(s.limit, Some(RowCount::Literal(5)));
    }
    search_rejected("FIND {Acme} LIMIT -1");
    search_rejected("FIND {Acme} LIMIT 5 RETURNING Account");
}

#[test]
fn sosl_every_clause_together() {
    let s = search_canon(
        "find {Acme* AND NOT \"Acme Labs\"} in name fields returning Account(Id, Name WHERE Industry = 'Tech' ORDER BY Name LIMIT 10), Contact(Id, Email) with snippet limit 50 update tracking",
        "FIND {Acme* AND NOT \"Acme Labs\"} IN NAME FIELDS RETURNING Account(Id, Name WHERE Industry = 'Tech' ORDER BY Name LIMIT 10), Contact(Id, Email) WITH SNIPPET LIMIT 50 UPDATE TRACKING",
    );
    assert_eq!(s.in_fields, Some(SearchGroup::Name));
    assert_eq!(s.returning.len(), 2);
    assert_eq!(s.with, vec![SearchWith::Snippet(None)]);
    assert_eq!(s.limit, Some(RowCount::Literal(50)));
    assert_eq!(s.update, Some(UpdateClause::Tracking));
}
