//! WITH, GROUP BY, HAVING, ORDER BY, LIMIT, OFFSET, FOR and UPDATE; every clause in order;
//! keywords and reserved words; the parse options.

use sfkit_soql::{
    CategorySelector, CompareOp, Condition, DataCategoryFilter, FindClause, ForClause, Function,
    GroupByKind, InOperand, LikeOperand, NullsOrder, OrderByItem, ParseOptions, Predicate,
    RowCount, SortDirection, UpdateClause, Value, WithClause, parse_query_with,
};

use super::{
    call, canon, compare, field, item, lit, num, path, query, query_with, rejected,
    search_rejected, search_with,
};

#[test]
fn with_security_and_modes() {
    for (src, clause) in [
        ("security_enforced", WithClause::SecurityEnforced),
        ("USER_MODE", WithClause::UserMode),
        ("System_Mode", WithClause::SystemMode),
    ] {
        let q = canon(
            &format!("SELECT Id FROM Account WHERE Name != null with {src} ORDER BY Name"),
            &format!("SELECT Id FROM Account WHERE Name != NULL WITH {clause} ORDER BY Name"),
        );
        assert_eq!(q.with, vec![clause]);
        assert_eq!(q.order_by.len(), 1);
    }
}

#[test]
fn with_data_category() {
    for (src, selector) in [
        ("AT", CategorySelector::At),
        ("above", CategorySelector::Above),
        ("Below", CategorySelector::Below),
        ("ABOVE_OR_BELOW", CategorySelector::AboveOrBelow),
    ] {
        let q = canon(
            &format!(
                "SELECT Title FROM KnowledgeArticleVersion WHERE PublishStatus = 'Online' WITH DATA CATEGORY Geography__c {src} usa__c"
            ),
            &format!(
                "SELECT Title FROM KnowledgeArticleVersion WHERE PublishStatus = 'Online' WITH DATA CATEGORY Geography__c {selector} usa__c"
            ),
        );
        assert_eq!(
            q.with,
            vec![WithClause::DataCategory {
                filters: vec![DataCategoryFilter {
                    group: "Geography__c".into(),
                    selector,
                    categories: vec!["usa__c".into()],
                }]
            }]
        );
    }
    let q = canon(
        "SELECT Title FROM Question WHERE LastReplyDate > 2005-10-08T01:02:03Z WITH DATA CATEGORY Geography__c AT (usa__c,uk__c) AND Product__c ABOVE_OR_BELOW mobile_phones__c",
        "SELECT Title FROM Question WHERE LastReplyDate > 2005-10-08T01:02:03Z WITH DATA CATEGORY Geography__c AT (usa__c, uk__c) AND Product__c ABOVE_OR_BELOW mobile_phones__c",
    );
    assert_eq!(
        q.with,
        vec![WithClause::DataCategory {
            filters: vec![
                DataCategoryFilter {
                    group: "Geography__c".into(),
                    selector: CategorySelector::At,
                    categories: vec!["usa__c".into(), "uk__c".into()],
                },
                DataCategoryFilter {
                    group: "Product__c".into(),
                    selector: CategorySelector::AboveOrBelow,
                    categories: vec!["mobile_phones__c".into()],
                },
            ]
        }]
    );
    rejected("SELECT Title FROM Question WITH DATA CATEGORY Geography__c NEAR usa__c");
}

#[test]
fn with_filter_and_record_visibility() {
    let q = canon(
        "SELECT Id FROM UserProfileFeed WITH UserId='005D0000001AamR' ORDER BY CreatedDate DESC, Id DESC LIMIT 20",
        "SELECT Id FROM UserProfileFeed WITH UserId = '005D0000001AamR' ORDER BY CreatedDate DESC, Id DESC LIMIT 20",
    );
    assert_eq!(
        q.with,
        vec![WithClause::Filter {
            field: "UserId".into(),
            value: Value::string("005D0000001AamR"),
        }]
    );
    let q = canon(
        "SELECT Id FROM Account WITH RecordVisibilityContext (maxDescriptorPerRecord=100, supportsDomains=true)",
        "SELECT Id FROM Account WITH RecordVisibilityContext (maxDescriptorPerRecord=100, supportsDomains=TRUE)",
    );
    let [WithClause::RecordVisibilityContext { params }] = q.with.as_slice() else {
        panic!("expected RecordVisibilityContext, got {:?}", q.with);
    };
    assert_eq!(params.len(), 2);
    assert_eq!(params[0].name, "maxDescriptorPerRecord");
    assert_eq!(params[0].value, num("100"));
    assert_eq!(params[1].value, Value::Boolean(true));
    rejected("SELECT Id FROM Account WITH NONSENSE");
}

// ------------------------------------------------------------------------------------------------
// GROUP BY, HAVING, ORDER BY, LIMIT, OFFSET, FOR, UPDATE
// ------------------------------------------------------------------------------------------------

#[test]
fn group_by_plain_rollup_cube_and_having() {
    let q = canon(
        "SELECT LeadSource, Rating, COUNT(Name) cnt FROM Lead GROUP BY LeadSource, Rating HAVING COUNT(Name) > 100 and SUM(Amount) < 5",
        "SELECT LeadSource, Rating, COUNT(Name) cnt FROM Lead GROUP BY LeadSource, Rating HAVING COUNT(Name) > 100 AND SUM(Amount) < 5",
    );
    let g = q.group_by.as_ref().unwrap();
    assert_eq!(g.kind, GroupByKind::Plain);
    assert_eq!(g.keys, vec![field("LeadSource"), field("Rating")]);
    assert_eq!(
        q.having,
        Some(Condition::And(vec![
            compare(
                call(Function::Count, vec![field("Name")]),
                CompareOp::Gt,
                num("100")
            ),
            compare(
                call(Function::Sum, vec![field("Amount")]),
                CompareOp::Lt,
                num("5")
            ),
        ]))
    );

    for (src, kind) in [("rollup", GroupByKind::Rollup), ("CUBE", GroupByKind::Cube)] {
        let upper = src.to_ascii_uppercase();
        let q = canon(
            &format!(
                "SELECT Type, BillingCountry, GROUPING(Type) grpType, COUNT(Id) FROM Account GROUP BY {src}(Type, BillingCountry) HAVING GROUPING(Type) = 0"
            ),
            &format!(
                "SELECT Type, BillingCountry, GROUPING(Type) grpType, COUNT(Id) FROM Account GROUP BY {upper}(Type, BillingCountry) HAVING GROUPING(Type) = 0"
            ),
        );
        let g = q.group_by.as_ref().unwrap();
        assert_eq!(g.kind, kind);
        assert_eq!(g.keys, vec![field("Type"), field("BillingCountry")]);
        assert!(q.having.is_some());
    }
    // Aggregates cannot be group keys; HAVING needs GROUP BY.
    rejected("SELECT COUNT(Id) FROM Account GROUP BY COUNT(Id)");
    rejected("SELECT Name FROM Account HAVING COUNT(Id) > 1");
}

#[test]
fn order_by_directions_nulls_and_keys() {
    let q = canon(
        "SELECT Id FROM Account ORDER BY Name asc nulls first, CreatedDate DESC NULLS LAST, Owner.Name, Rating nulls last, Type desc",
        "SELECT Id FROM Account ORDER BY Name ASC NULLS FIRST, CreatedDate DESC NULLS LAST, Owner.Name, Rating NULLS LAST, Type DESC",
    );
    assert_eq!(
        q.order_by,
        vec![
            OrderByItem {
                expr: field("Name"),
                direction: Some(SortDirection::Asc),
                nulls: Some(NullsOrder::First),
            },
            OrderByItem {
                expr: field("CreatedDate"),
                direction: Some(SortDirection::Desc),
                nulls: Some(NullsOrder::Last),
            },
            OrderByItem {
                expr: field("Owner.Name"),
                direction: None,
                nulls: None,
            },
            OrderByItem {
                expr: field("Rating"),
                direction: None,
                nulls: Some(NullsOrder::Last),
            },
            OrderByItem {
                expr: field("Type"),
                direction: Some(SortDirection::Desc),
                nulls: None,
            },
        ]
    );
    // Aggregates in ORDER BY of a grouped query.
    let q = canon(
        "SELECT Name, COUNT(Id) FROM Account GROUP BY Name ORDER BY COUNT(Id) DESC",
        "SELECT Name, COUNT(Id) FROM Account GROUP BY Name ORDER BY COUNT(Id) DESC",
    );
    assert_eq!(q.order_by[0].expr, call(Function::Count, vec![field("Id")]));
    rejected("SELECT Id FROM Account ORDER BY Name NULLS");
    rejected("SELECT Id FROM Account ORDER BY");
}

#[test]
fn limit_and_offset() {
    let q = canon(
        "SELECT Id FROM Account ORDER BY Name limit 10 offset 20",
        "SELECT Id FROM Account ORDER BY Name LIMIT 10 OFFSET 20",
    );
    assert_eq!(q.limit, Some(RowCount::Literal(10)));
    assert_eq!(q.offset, Some(RowCount::Literal(20)));
    let q = canon(
        "SELECT Id FROM Account LIMIT 0",
        "SELECT Id FROM Account LIMIT 0",
    );
    assert_eq!(q.limit, Some(RowCount::Literal(0)));
    let q = canon(
        "SELECT Id FROM Account OFFSET 5",
        "SELECT Id FROM Account OFFSET 5",
    );
    assert_eq!((q.limit, q.offset), (None, Some(RowCount::Literal(5))));
    // The parser keeps any non-negative count; the 2,000 cap is the executor's.
    let q = query("SELECT Id FROM Account OFFSET 2001");
    assert_eq!(q.offset, Some(RowCount::Literal(2001)));
    rejected("SELECT Id FROM Account LIMIT 1.5");
    rejected("SELECT Id FROM Account LIMIT ten");
    rejected("SELECT Id FROM Account OFFSET 1 LIMIT 1");
}

#[test]
fn offset_is_an_alias_unless_a_number_follows() {
    let q = canon(
        "SELECT Name Offset FROM Account OFFSET 5",
        "SELECT Name Offset FROM Account OFFSET 5",
    );
    assert_eq!(q.select, vec![item(field("Name"), Some("Offset"))]);
    assert_eq!(q.offset, Some(RowCount::Literal(5)));
    let q = canon(
        "SELECT offset.Name FROM Account offset",
        "SELECT offset.Name FROM Account offset",
    );
    assert_eq!(q.from.alias.as_deref(), Some("offset"));
    assert_eq!(q.offset, None);
}

#[test]
fn for_view_reference_update() {
    for (src, clause) in [
        ("for view", ForClause::View),
        ("FOR REFERENCE", ForClause::Reference),
        ("For Update", ForClause::Update),
    ] {
        let q = canon(
            &format!("SELECT Id FROM Account LIMIT 1 {src}"),
            &format!("SELECT Id FROM Account LIMIT 1 {clause}"),
        );
        assert_eq!(q.for_clause, Some(clause));
        assert_eq!(q.update, None);
    }
    rejected("SELECT Id FROM Account FOR SHARE");
}

#[test]
fn update_tracking_and_viewstat() {
    for (src, clause) in [
        ("update tracking", UpdateClause::Tracking),
        ("UPDATE VIEWSTAT", UpdateClause::Viewstat),
    ] {
        let q = canon(
            &format!(
                "SELECT Title FROM FAQ__kav WHERE Keyword__c = 'Apex' and Language = 'en_US' and KnowledgeArticleVersion = 'ka230000000PCiy' {src}"
            ),
            &format!(
                "SELECT Title FROM FAQ__kav WHERE Keyword__c = 'Apex' AND Language = 'en_US' AND KnowledgeArticleVersion = 'ka230000000PCiy' {clause}"
            ),
        );
        assert_eq!(q.update, Some(clause));
        assert_eq!(q.for_clause, None);
    }
    let q = canon(
        "SELECT Title FROM FAQ__kav FOR VIEW UPDATE VIEWSTAT",
        "SELECT Title FROM FAQ__kav FOR VIEW UPDATE VIEWSTAT",
    );
    assert_eq!(q.for_clause, Some(ForClause::View));
    assert_eq!(q.update, Some(UpdateClause::Viewstat));
    rejected("SELECT Title FROM FAQ__kav UPDATE STATS");
}

#[test]
fn every_clause_in_order() {
    let q = canon(
        "SELECT Name, COUNT(Id) n FROM Account a USING SCOPE mine WHERE Name != null WITH SECURITY_ENFORCED GROUP BY Name HAVING COUNT(Id) > 1 ORDER BY Name DESC NULLS LAST LIMIT 10 OFFSET 5 FOR VIEW",
        "SELECT Name, COUNT(Id) n FROM Account a USING SCOPE mine WHERE Name != NULL WITH SECURITY_ENFORCED GROUP BY Name HAVING COUNT(Id) > 1 ORDER BY Name DESC NULLS LAST LIMIT 10 OFFSET 5 FOR VIEW",
    );
    assert_eq!(q.using_scope.as_deref(), Some("mine"));
    assert_eq!(q.with, vec![WithClause::SecurityEnforced]);
    assert!(q.group_by.is_some() && q.having.is_some());
    assert_eq!(q.limit, Some(RowCount::Literal(10)));
    assert_eq!(q.offset, Some(RowCount::Literal(5)));
    assert_eq!(q.for_clause, Some(ForClause::View));
    // Clauses out of order are errors.
    rejected("SELECT Id FROM Account LIMIT 5 WHERE Name = 'x'");
    rejected("SELECT Id FROM Account ORDER BY Name WHERE Name = 'x'");
    rejected("SELECT Id FROM Account WITH SECURITY_ENFORCED USING SCOPE mine");
}

#[test]
fn keywords_are_case_insensitive_names_keep_their_case() {
    let q = canon(
        "sElEcT iD, aCcOuNt.NaMe FrOm CoNtAcT wHeRe LaStNaMe LiKe 'a%' AnD cReAtEdDaTe = lAsT_n_DaYs:3 OrDeR bY lAsTnAmE dEsC nUlLs LaSt LiMiT 5 oFfSeT 1",
        "SELECT iD, aCcOuNt.NaMe FROM CoNtAcT WHERE LaStNaMe LIKE 'a%' AND cReAtEdDaTe = LAST_N_DAYS:3 ORDER BY lAsTnAmE DESC NULLS LAST LIMIT 5 OFFSET 1",
    );
    assert_eq!(q.from.sobject, path("CoNtAcT"));
    assert_eq!(q.order_by[0].direction, Some(SortDirection::Desc));
    // Same tree as the conventional spelling, but for the names' case.
    let upper = query(
        "SELECT iD, aCcOuNt.NaMe FROM CoNtAcT WHERE LaStNaMe LIKE 'a%' AND cReAtEdDaTe = LAST_N_DAYS:3 ORDER BY lAsTnAmE DESC NULLS LAST LIMIT 5 OFFSET 1",
    );
    assert_eq!(q, upper);
    // Whitespace of every kind separates tokens.
    let spaced = query(
        "SELECT\tiD,\r\n aCcOuNt.NaMe\nFROM CoNtAcT WHERE LaStNaMe LIKE 'a%' AND cReAtEdDaTe = LAST_N_DAYS:3 ORDER BY lAsTnAmE DESC NULLS LAST LIMIT 5 OFFSET 1\n",
    );
    assert_eq!(spaced, upper);
}

#[test]
fn reserved_words_are_not_aliases() {
    // `AS` does not exist in SOQL.
    rejected("SELECT Name AS n FROM Account");
    rejected("SELECT Name FROM Account AS a");
    // A reserved word cannot be a field.
    rejected("SELECT Select FROM Account");
    rejected("SELECT Id FROM Account WHERE Limit = 1");
}

#[test]
fn formula_in_where_but_not_having_or_select() {
    let q = canon(
        "SELECT Id FROM Opportunity WHERE formula('Amount - ExpectedRevenue') > 100",
        "SELECT Id FROM Opportunity WHERE FORMULA('Amount - ExpectedRevenue') > 100",
    );
    assert_eq!(
        q.where_clause,
        Some(compare(
            call(
                Function::Formula,
                vec![lit(Value::string("Amount - ExpectedRevenue"))]
            ),
            CompareOp::Gt,
            num("100")
        ))
    );
    rejected(
        "SELECT Name, COUNT(Id) FROM Opportunity GROUP BY Name HAVING FORMULA('Amount - ExpectedRevenue') > 100",
    );
    rejected("SELECT FORMULA('Amount - ExpectedRevenue') FROM Opportunity");
    rejected("SELECT Id FROM Opportunity WHERE FORMULA(Amount) > 100");
}

#[test]
fn aggregates_not_in_where() {
    rejected("SELECT Id FROM Opportunity WHERE COUNT(Id) > 1");
    rejected("SELECT Id FROM Opportunity WHERE SUM(Amount) > 1");
    rejected("SELECT Id FROM Opportunity WHERE Unknown(Amount) > 1");
}

#[test]
fn apex_binds_only_when_enabled() {
    let src = "SELECT Id FROM Account WHERE Id IN :accountIds AND Name = :acct.Name AND Name LIKE :pattern LIMIT :n OFFSET :skip";
    rejected(src);
    rejected("SELECT Id FROM Account WHERE Name = :name");
    rejected("SELECT Id FROM Account LIMIT :n");
    let opts = ParseOptions::default().apex_binds(true);
    let q = query_with(src, &opts);
    assert_eq!(
        q.to_string(),
        "SELECT Id FROM Account WHERE Id IN :accountIds AND Name = :acct.Name AND Name LIKE :pattern LIMIT :n OFFSET :skip"
    );
    let Some(Condition::And(items)) = &q.where_clause else {
        panic!("expected AND");
    };
    let bind = |p: &str| sfkit_soql::BindVariable {
        path: p.split('.').map(str::to_owned).collect(),
    };
    assert_eq!(
        items[0],
        Condition::predicate(Predicate::In {
            lhs: field("Id"),
            negated: false,
            rhs: InOperand::Bind(bind("accountIds")),
        })
    );
    assert_eq!(
        items[1],
        compare(field("Name"), CompareOp::Eq, Value::Bind(bind("acct.Name")))
    );
    assert_eq!(
        items[2],
        Condition::predicate(Predicate::Like {
            lhs: field("Name"),
            pattern: LikeOperand::Bind(bind("pattern")),
        })
    );
    assert_eq!(q.limit, Some(RowCount::Bind(bind("n"))));
    assert_eq!(q.offset, Some(RowCount::Bind(bind("skip"))));
    // SOSL too.
    search_rejected("FIND :term RETURNING Account");
    let s = search_with("FIND :term RETURNING Account", &opts);
    assert_eq!(s.find, FindClause::Bind(bind("term")));
    assert_eq!(s.to_string(), "FIND :term RETURNING Account");
}

#[test]
fn comments_only_when_enabled() {
    let src = "SELECT Id, // the id\n Name /* the name */ FROM Account /* multi\nline */ WHERE Name = '/* not a comment */' // end";
    rejected(src);
    rejected("SELECT Id FROM Account // trailing");
    let opts = ParseOptions::default().allow_comments(true);
    let q = query_with(src, &opts);
    assert_eq!(
        q,
        query("SELECT Id, Name FROM Account WHERE Name = '/* not a comment */'")
    );
    assert_eq!(
        q.to_string(),
        "SELECT Id, Name FROM Account WHERE Name = '/* not a comment */'"
    );
    assert!(parse_query_with("SELECT Id FROM Account /* open", &opts).is_err());
}

#[test]
fn parse_options_builders() {
    let d = ParseOptions::default();
    assert!(!d.apex_binds && !d.allow_comments);
    assert_eq!(d.recursion_limit, sfkit_soql::DEFAULT_RECURSION_LIMIT);
    assert_eq!(d.max_length, sfkit_soql::MAX_QUERY_LENGTH);
    let o = ParseOptions::default()
        .apex_binds(true)
        .allow_comments(true)
        .recursion_limit(3)
        .max_length(10);
    assert!(o.apex_binds && o.allow_comments);
    assert_eq!((o.recursion_limit, o.max_length), (3, 10));
    // The limits take effect.
    assert!(parse_query_with("SELECT Id FROM Account", &o).is_err());
    let shallow = ParseOptions::default().recursion_limit(2);
    assert!(parse_query_with("SELECT Id FROM Account WHERE (A = 1)", &shallow).is_ok());
    assert!(parse_query_with("SELECT Id FROM Account WHERE ((((A = 1))))", &shallow).is_err());
}
