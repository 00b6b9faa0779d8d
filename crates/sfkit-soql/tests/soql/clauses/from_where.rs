//! FROM (aliases, Group and Order as objects, the alias notation), USING SCOPE, and WHERE's
//! operators: comparisons, LIKE, IN, INCLUDES, semi- and anti-joins.

use sfkit_soql::{
    CompareOp, Condition, InOperand, IncludesOp, LikeOperand, LikePart, LikePattern, Predicate,
    Value,
};

use super::{canon, compare, field, item, num, path, rejected, where_pred};

#[test]
fn from_with_alias() {
    let q = canon(
        "SELECT a.Name FROM Account a WHERE a.Industry = 'Tech'",
        "SELECT a.Name FROM Account a WHERE a.Industry = 'Tech'",
    );
    assert_eq!(q.from.sobject, path("Account"));
    assert_eq!(q.from.alias.as_deref(), Some("a"));
    assert_eq!(q.select, vec![item(field("a.Name"), None)]);
}

#[test]
fn from_group_and_order_objects() {
    let q = canon(
        "SELECT Id, Name FROM Group WHERE Type = 'Queue'",
        "SELECT Id, Name FROM Group WHERE Type = 'Queue'",
    );
    assert_eq!(q.from.sobject, path("Group"));
    assert_eq!(q.from.alias, None);

    let q = canon(
        "SELECT Id FROM Order ORDER BY Id",
        "SELECT Id FROM Order ORDER BY Id",
    );
    assert_eq!(q.from.sobject, path("Order"));
    assert_eq!(q.from.alias, None);
    assert_eq!(q.order_by.len(), 1);
    assert_eq!(q.order_by[0].expr, field("Id"));

    let q = canon(
        "SELECT Id FROM Group GROUP BY Id",
        "SELECT Id FROM Group GROUP BY Id",
    );
    assert_eq!(q.from.sobject, path("Group"));
    assert!(q.group_by.is_some());
    // But ORDER BY / GROUP BY cannot stand where the object goes.
    rejected("SELECT Id FROM ORDER BY Id");
}

#[test]
fn from_alias_notation() {
    let q = canon(
        "SELECT c.FirstName, a.Name FROM Contact c, c.Account a WHERE a.Name = 'Acme'",
        "SELECT c.FirstName, a.Name FROM Contact c, c.Account a WHERE a.Name = 'Acme'",
    );
    assert_eq!(q.from.sobject, path("Contact"));
    assert_eq!(q.from.alias.as_deref(), Some("c"));
    assert_eq!(q.from.related.len(), 1);
    assert_eq!(q.from.related[0].path, path("c.Account"));
    assert_eq!(q.from.related[0].alias.as_deref(), Some("a"));
}

#[test]
fn using_scope() {
    for scope in [
        "delegated",
        "everything",
        "mine",
        "mine_and_my_groups",
        "my_territory",
        "my_team_territory",
        "team",
        "mru",
    ] {
        let q = canon(
            &format!("select Id from Account using scope {scope} where Name != null"),
            &format!("SELECT Id FROM Account USING SCOPE {scope} WHERE Name != NULL"),
        );
        assert_eq!(q.using_scope.as_deref(), Some(scope));
        assert!(q.where_clause.is_some());
    }
}

// ------------------------------------------------------------------------------------------------
// WHERE: operators
// ------------------------------------------------------------------------------------------------

#[test]
fn where_comparison_operators() {
    for (src, op, printed) in [
        ("=", CompareOp::Eq, "="),
        ("!=", CompareOp::Ne, "!="),
        ("<>", CompareOp::Ne, "!="),
        ("<", CompareOp::Lt, "<"),
        ("<=", CompareOp::Le, "<="),
        (">", CompareOp::Gt, ">"),
        (">=", CompareOp::Ge, ">="),
    ] {
        let q = canon(
            &format!("SELECT Id FROM Opportunity WHERE Amount{src}100"),
            &format!("SELECT Id FROM Opportunity WHERE Amount {printed} 100"),
        );
        assert_eq!(
            q.where_clause,
            Some(compare(field("Amount"), op, num("100")))
        );
    }
}

#[test]
fn where_like() {
    let q = canon(
        "SELECT Id FROM Account WHERE Name like 'Ac_me%Corp\\%\\_'",
        "SELECT Id FROM Account WHERE Name LIKE 'Ac_me%Corp\\%\\_'",
    );
    assert_eq!(
        where_pred(&q),
        &Predicate::Like {
            lhs: field("Name"),
            pattern: LikeOperand::Pattern(LikePattern::from_parts([
                LikePart::Text("Ac".into()),
                LikePart::OneChar,
                LikePart::Text("me".into()),
                LikePart::AnyChars,
                LikePart::Text("Corp%_".into()),
            ])),
        }
    );
    // LIKE takes a quoted pattern only.
    rejected("SELECT Id FROM Account WHERE Name LIKE 5");
}

#[test]
fn where_in_and_not_in_lists() {
    let q = canon(
        "SELECT Id FROM Account WHERE Industry IN ('Tech','Retail' , 'Energy')",
        "SELECT Id FROM Account WHERE Industry IN ('Tech', 'Retail', 'Energy')",
    );
    assert_eq!(
        where_pred(&q),
        &Predicate::In {
            lhs: field("Industry"),
            negated: false,
            rhs: InOperand::List(vec![
                Value::string("Tech"),
                Value::string("Retail"),
                Value::string("Energy")
            ]),
        }
    );
    let q = canon(
        "SELECT Id FROM Account WHERE NumberOfEmployees not in (1, 2.5, null)",
        "SELECT Id FROM Account WHERE NumberOfEmployees NOT IN (1, 2.5, NULL)",
    );
    assert_eq!(
        where_pred(&q),
        &Predicate::In {
            lhs: field("NumberOfEmployees"),
            negated: true,
            rhs: InOperand::List(vec![num("1"), num("2.5"), Value::Null]),
        }
    );
    rejected("SELECT Id FROM Account WHERE Industry IN 'Tech'");
    rejected("SELECT Id FROM Account WHERE Industry IN ()");
}

#[test]
fn where_includes_and_excludes() {
    let q = canon(
        "SELECT Id FROM Contact WHERE Languages__c includes ('English;French', 'Japanese') AND Certifications__c excludes ('Oracle')",
        "SELECT Id FROM Contact WHERE Languages__c INCLUDES ('English;French', 'Japanese') AND Certifications__c EXCLUDES ('Oracle')",
    );
    let Some(Condition::And(items)) = &q.where_clause else {
        panic!("expected AND");
    };
    assert_eq!(
        items[0],
        Condition::predicate(Predicate::Includes {
            lhs: field("Languages__c"),
            op: IncludesOp::Includes,
            values: vec![Value::string("English;French"), Value::string("Japanese")],
        })
    );
    assert_eq!(
        items[1],
        Condition::predicate(Predicate::Includes {
            lhs: field("Certifications__c"),
            op: IncludesOp::Excludes,
            values: vec![Value::string("Oracle")],
        })
    );
    // Only strings.
    rejected("SELECT Id FROM Contact WHERE Languages__c INCLUDES (1)");
}

#[test]
fn where_semi_join_and_anti_join() {
    let q = canon(
        "SELECT Id, Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE LastName LIKE 'apple%') AND Id NOT IN (select AccountId from Opportunity where IsClosed = false)",
        "SELECT Id, Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE LastName LIKE 'apple%') AND Id NOT IN (SELECT AccountId FROM Opportunity WHERE IsClosed = FALSE)",
    );
    let Some(Condition::And(items)) = &q.where_clause else {
        panic!("expected AND");
    };
    let Condition::Predicate(p) = &items[0] else {
        panic!("expected a predicate");
    };
    let Predicate::In {
        lhs,
        negated: false,
        rhs: InOperand::SubQuery(sub),
    } = p.as_ref()
    else {
        panic!("expected a semi-join, got {p:?}");
    };
    assert_eq!(lhs, &field("Id"));
    assert_eq!(sub.select, vec![item(field("AccountId"), None)]);
    assert_eq!(sub.from.sobject, path("Contact"));
    let Condition::Predicate(p) = &items[1] else {
        panic!("expected a predicate");
    };
    let Predicate::In {
        negated: true,
        rhs: InOperand::SubQuery(sub),
        ..
    } = p.as_ref()
    else {
        panic!("expected an anti-join, got {p:?}");
    };
    assert_eq!(sub.from.sobject, path("Opportunity"));
    assert_eq!(
        sub.where_clause,
        Some(compare(
            field("IsClosed"),
            CompareOp::Eq,
            Value::Boolean(false)
        ))
    );
    // No OFFSET in a WHERE subquery.
    rejected("SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact OFFSET 1)");
}
