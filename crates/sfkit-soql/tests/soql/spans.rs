//! Where names were written: the spans the parser records on field paths, FROM names and
//! TYPEOF relationships, which equality and the JSON tree ignore, and `line_col`.

use sfkit_soql::{
    Expr, FieldPath, Predicate, SelectItem, Span, line_col, parse_query, parse_statement_with,
};

/// The text a span covers.
fn at(src: &str, span: Span) -> &str {
    &src[span.start..span.end]
}

#[test]
fn field_paths_know_where_each_segment_was_written() {
    let src = "SELECT Name, Account . Owner.Name FROM Contact WHERE Name = 'Name'";
    let q = parse_query(src).unwrap();
    let SelectItem::Expr {
        expr: Expr::Field { path },
        ..
    } = &q.select[1]
    else {
        panic!("{:?}", q.select[1]);
    };
    let segments: Vec<&str> = (0..3).map(|i| at(src, path.segment_span(i))).collect();
    assert_eq!(segments, ["Account", "Owner", "Name"]);
    assert_eq!(at(src, path.span()), "Account . Owner.Name");
    assert_eq!(path.segment_span(3), Span::default());
    // The WHERE's field is the third `Name`, not the first.
    let Some(sfkit_soql::Condition::Predicate(p)) = &q.where_clause else {
        panic!("{:?}", q.where_clause);
    };
    let Predicate::Compare {
        lhs: Expr::Field { path },
        ..
    } = p.as_ref()
    else {
        panic!("{p:?}");
    };
    assert_eq!(path.span(), Span::new(53, 57));
}

#[test]
fn object_names_and_typeof_relationships_have_spans() {
    let src = "SELECT TYPEOF What WHEN Account THEN Phone END, (SELECT Id FROM Account.Contacts) FROM Event";
    let q = parse_query(src).unwrap();
    assert_eq!(at(src, q.from.sobject.span()), "Event");
    let SelectItem::TypeOf(t) = &q.select[0] else {
        panic!("{:?}", q.select[0]);
    };
    assert_eq!(at(src, t.relationship_span), "What");
    assert_eq!(at(src, t.whens[0].fields[0].span()), "Phone");
    let SelectItem::SubQuery { query } = &q.select[1] else {
        panic!("{:?}", q.select[1]);
    };
    assert_eq!(at(src, query.from.sobject.segment_span(1)), "Contacts");
    assert_eq!(at(src, query.from.sobject.span()), "Account.Contacts");
}

#[test]
fn equality_hashing_and_json_ignore_spans() {
    use std::collections::HashSet;
    let spaced = parse_query("SELECT   Name  FROM   Account").unwrap();
    let tight = parse_query("SELECT Name FROM Account").unwrap();
    assert_ne!(spaced.from.sobject.span(), tight.from.sobject.span());
    assert_eq!(spaced, tight);
    assert_eq!(HashSet::from([spaced.clone(), tight.clone()]).len(), 1);
    assert_eq!(
        serde_json::to_value(&spaced).unwrap(),
        serde_json::to_value(&tight).unwrap()
    );
    // A path built by the program equals the parsed one and has no position.
    let built = FieldPath::new("Account");
    assert_eq!(built, tight.from.sobject);
    assert!(built.span().is_empty());
    let parsed = FieldPath::parse("Account.Name").unwrap();
    assert_eq!(parsed.span(), Span::new(0, 12));
    assert_eq!(parsed, FieldPath::from_segments(["Account", "Name"]));
    // Round trips still compare equal, though every position moved.
    let stmt = parse_statement_with(
        "select  id from  account  where name = 'x'",
        &Default::default(),
    )
    .unwrap();
    let again = parse_statement_with(&stmt.to_string(), &Default::default()).unwrap();
    assert_eq!(stmt, again);
}

#[test]
fn line_col_counts_rows_and_characters_from_one() {
    assert_eq!(line_col("", 0), (1, 1));
    assert_eq!(line_col("SELECT Id FROM Nope", 15), (1, 16));
    assert_eq!(line_col("SELECT Id\nFROM Nope", 15), (2, 6));
    // Columns count characters: 'é' is two bytes, one column.
    assert_eq!(line_col("SELECT 'é', Foo FROM Account", 13), (1, 13));
    // Past the end, or inside a character: the character start before it.
    assert_eq!(line_col("ab", 99), (1, 3));
    assert_eq!(line_col("é", 1), (1, 1));
}

#[test]
fn literal_arguments_know_where_they_were_written() {
    let src = "SELECT Id FROM Opportunity WHERE FORMULA( 'Amount - 1' ) > 0 ORDER BY DISTANCE(Loc__c, GEOLOCATION(-1.5, 2), 'km')";
    let q = parse_query(src).unwrap();
    let Some(sfkit_soql::Condition::Predicate(p)) = &q.where_clause else {
        panic!("{:?}", q.where_clause);
    };
    let Predicate::Compare {
        lhs: Expr::Call(formula),
        ..
    } = p.as_ref()
    else {
        panic!("{p:?}");
    };
    let Expr::Literal { span, .. } = &formula.args[0] else {
        panic!("{formula:?}");
    };
    assert_eq!(at(src, *span), "'Amount - 1'");
    let Expr::Call(distance) = &q.order_by[0].expr else {
        panic!("{:?}", q.order_by[0]);
    };
    let Expr::Call(geo) = &distance.args[1] else {
        panic!("{distance:?}");
    };
    let spans: Vec<&str> = geo
        .args
        .iter()
        .chain(&distance.args[2..])
        .map(|a| match a {
            Expr::Literal { span, .. } => at(src, *span),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(spans, ["-1.5", "2", "'km'"]);
    // A literal built by the program equals the parsed one.
    assert_eq!(
        formula.args[0],
        Expr::literal(sfkit_soql::Value::string("Amount - 1"))
    );
}

#[test]
fn queries_built_by_the_program_have_no_positions() {
    let q = sfkit_soql::Query::select_from(["Id", "Account.Name"], "Contact").unwrap();
    assert!(q.from.sobject.span().is_empty());
    for item in &q.select {
        let SelectItem::Expr {
            expr: Expr::Field { path },
            ..
        } = item
        else {
            panic!("{item:?}");
        };
        assert!(path.span().is_empty(), "{path}");
    }
    assert_eq!(
        q,
        parse_query("SELECT Id, Account.Name FROM Contact").unwrap()
    );
}
