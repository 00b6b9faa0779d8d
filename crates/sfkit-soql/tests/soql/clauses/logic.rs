//! WHERE's AND, OR and NOT: chains, parentheses, and no precedence between them.

use sfkit_soql::{CompareOp, Condition};

use super::{canon, compare, field, num, rejected};

fn a() -> Condition {
    compare(field("A"), CompareOp::Eq, num("1"))
}

fn b() -> Condition {
    compare(field("B"), CompareOp::Eq, num("2"))
}

fn c() -> Condition {
    compare(field("C"), CompareOp::Eq, num("3"))
}

const W: &str = "SELECT Id FROM Account WHERE ";

#[test]
fn and_or_chains() {
    let q = canon(
        &format!("{W}A = 1 and B = 2 AND C = 3"),
        &format!("{W}A = 1 AND B = 2 AND C = 3"),
    );
    assert_eq!(q.where_clause, Some(Condition::And(vec![a(), b(), c()])));
    let q = canon(
        &format!("{W}A = 1 or B = 2 OR C = 3"),
        &format!("{W}A = 1 OR B = 2 OR C = 3"),
    );
    assert_eq!(q.where_clause, Some(Condition::Or(vec![a(), b(), c()])));
}

#[test]
fn parentheses_group_mixed_operators() {
    let q = canon(
        &format!("{W}(A = 1 AND B = 2) OR C = 3"),
        &format!("{W}(A = 1 AND B = 2) OR C = 3"),
    );
    assert_eq!(
        q.where_clause,
        Some(Condition::Or(vec![Condition::And(vec![a(), b()]), c()]))
    );
    let q = canon(
        &format!("{W}A = 1 AND (B = 2 OR C = 3)"),
        &format!("{W}A = 1 AND (B = 2 OR C = 3)"),
    );
    assert_eq!(
        q.where_clause,
        Some(Condition::And(vec![a(), Condition::Or(vec![b(), c()])]))
    );
    // Redundant parentheses disappear from the tree and the canonical text.
    let q = canon(&format!("{W}((A = 1))"), &format!("{W}A = 1"));
    assert_eq!(q.where_clause, Some(a()));
    // A parenthesised group of the same operator stays a group.
    let q = canon(
        &format!("{W}(A = 1 AND B = 2) AND C = 3"),
        &format!("{W}(A = 1 AND B = 2) AND C = 3"),
    );
    assert_eq!(
        q.where_clause,
        Some(Condition::And(vec![Condition::And(vec![a(), b()]), c()]))
    );
}

#[test]
fn mixing_and_or_without_parentheses_is_an_error() {
    rejected(&format!("{W}A = 1 AND B = 2 OR C = 3"));
    rejected(&format!("{W}A = 1 OR B = 2 AND C = 3"));
    rejected(&format!("{W}(A = 1 OR B = 2 AND C = 3)"));
}

#[test]
fn not_rules() {
    let q = canon(&format!("{W}not A = 1"), &format!("{W}NOT A = 1"));
    assert_eq!(q.where_clause, Some(Condition::Not(Box::new(a()))));
    let q = canon(
        &format!("{W}NOT (A = 1 OR B = 2)"),
        &format!("{W}NOT (A = 1 OR B = 2)"),
    );
    assert_eq!(
        q.where_clause,
        Some(Condition::Not(Box::new(Condition::Or(vec![a(), b()]))))
    );
    // a AND (NOT b) is fine, and so is (NOT a) AND b.
    let q = canon(
        &format!("{W}A = 1 AND (NOT B = 2)"),
        &format!("{W}A = 1 AND (NOT B = 2)"),
    );
    assert_eq!(
        q.where_clause,
        Some(Condition::And(vec![a(), Condition::Not(Box::new(b()))]))
    );
    let q = canon(
        &format!("{W}(NOT A = 1) OR B = 2"),
        &format!("{W}(NOT A = 1) OR B = 2"),
    );
    assert_eq!(
        q.where_clause,
        Some(Condition::Or(vec![Condition::Not(Box::new(a())), b()]))
    );
    let q = canon(
        &format!("{W}NOT (NOT A = 1)"),
        &format!("{W}NOT (NOT A = 1)"),
    );
    assert_eq!(
        q.where_clause,
        Some(Condition::Not(Box::new(Condition::Not(Box::new(a())))))
    );
    // a AND NOT b, NOT a AND b, NOT a OR b: errors.
    rejected(&format!("{W}A = 1 AND NOT B = 2"));
    rejected(&format!("{W}A = 1 OR NOT B = 2"));
    rejected(&format!("{W}A = 1 AND NOT (B = 2)"));
    rejected(&format!("{W}NOT A = 1 AND B = 2"));
    rejected(&format!("{W}NOT A = 1 OR B = 2"));
    rejected(&format!("{W}NOT NOT A = 1"));
}
