//! WHERE and HAVING conditions.
//!
//! Salesforce's rule, not SQL's: AND, OR and NOT have no precedence. One level of a condition is
//! a single operand, `NOT operand`, or operands joined by one operator throughout; any mix needs
//! parentheses (`a AND b OR c` and `a AND NOT b` are errors; `a AND (NOT b)` is fine).

use super::Parser;
use super::expr::Place;
use super::query::QueryKind;
use crate::ast::{CompareOp, Condition, InOperand, IncludesOp, LikeOperand, Predicate, Value};
use crate::error::Error;
use crate::lexer::Kind;

const OPERATORS: &str =
    "a comparison operator (=, !=, <, <=, >, >=, LIKE, IN, NOT IN, INCLUDES, EXCLUDES)";

impl Parser<'_> {
    /// A whole condition at one level of parentheses.
    pub(super) fn condition(&mut self, place: Place) -> Result<Condition, Error> {
        if self.peek_not() {
            self.bump();
            let inner = self.operand(place)?;
            let next = self.peek();
            if self.is_kw(next, "AND") || self.is_kw(next, "OR") {
                return Err(self.error_at(
                    next,
                    "parentheses around NOT and its operand before AND or OR, as in (NOT a) AND b",
                ));
            }
            return Ok(Condition::Not(Box::new(inner)));
        }
        let first = self.operand(place)?;
        let op = match self.peek() {
            t if self.is_kw(t, "AND") => "AND",
            t if self.is_kw(t, "OR") => "OR",
            _ => return Ok(first),
        };
        let other = if op == "AND" { "OR" } else { "AND" };
        let mut items = vec![first];
        while self.eat_kw(op) {
            if self.peek_not() {
                return Err(self.unexpected(&format!(
                    "a condition after {op} (put NOT and its operand in parentheses: {op} (NOT a))"
                )));
            }
            items.push(self.operand(place)?);
        }
        if self.peek_kw(other) {
            return Err(self.unexpected(&format!(
                "{op} or the end of the condition (AND and OR cannot be mixed without parentheses)"
            )));
        }
        Ok(if op == "AND" {
            Condition::And(items)
        } else {
            Condition::Or(items)
        })
    }

    /// True at the operator NOT; `NOT.x` is a path (names before a dot may be reserved words).
    fn peek_not(&self) -> bool {
        self.peek_kw("NOT") && self.peek_at(1).kind != Kind::Dot
    }

    /// `( condition )` or a single field expression.
    fn operand(&mut self, place: Place) -> Result<Condition, Error> {
        if self.peek().kind == Kind::LParen {
            self.bump();
            self.enter()?;
            let c = self.condition(place)?;
            self.leave();
            self.expect(Kind::RParen, "')' to close the condition")?;
            return Ok(c);
        }
        Ok(Condition::predicate(self.predicate(place)?))
    }

    fn predicate(&mut self, place: Place) -> Result<Predicate, Error> {
        let lhs = self.expr(place)?;
        let t = self.peek();
        let op = match t.kind {
            Kind::Eq => CompareOp::Eq,
            Kind::Ne => CompareOp::Ne,
            Kind::Lt => CompareOp::Lt,
            Kind::Le => CompareOp::Le,
            Kind::Gt => CompareOp::Gt,
            Kind::Ge => CompareOp::Ge,
            Kind::Ident => return self.word_predicate(lhs),
            _ => return Err(self.unexpected(OPERATORS)),
        };
        self.bump();
        let rhs = self.value()?;
        Ok(Predicate::Compare { lhs, op, rhs })
    }

    /// LIKE, IN, NOT IN, INCLUDES, EXCLUDES.
    fn word_predicate(&mut self, lhs: crate::ast::Expr) -> Result<Predicate, Error> {
        if self.eat_kw("LIKE") {
            let t = self.peek();
            let pattern = match t.kind {
                Kind::Str => {
                    let p = self.like_pattern(t)?;
                    self.bump();
                    LikeOperand::Pattern(p)
                }
                Kind::Colon => LikeOperand::Bind(self.bind()?),
                _ => return Err(self.unexpected("a quoted pattern after LIKE")),
            };
            return Ok(Predicate::Like { lhs, pattern });
        }
        let negated = self.peek_kw("NOT") && self.is_kw(self.peek_at(1), "IN");
        if negated {
            self.bump();
        }
        if self.eat_kw("IN") {
            let rhs = self.in_operand()?;
            return Ok(Predicate::In { lhs, negated, rhs });
        }
        let op = if self.eat_kw("INCLUDES") {
            IncludesOp::Includes
        } else if self.eat_kw("EXCLUDES") {
            IncludesOp::Excludes
        } else {
            return Err(self.unexpected(OPERATORS));
        };
        self.expect(Kind::LParen, "'(' and a list of quoted values")?;
        let values = self.value_list(
            |v| matches!(v, Value::String(_) | Value::Bind(_)),
            "a quoted picklist value",
        )?;
        Ok(Predicate::Includes { lhs, op, values })
    }

    fn in_operand(&mut self) -> Result<InOperand, Error> {
        match self.peek().kind {
            Kind::Colon => Ok(InOperand::Bind(self.bind()?)),
            Kind::LParen if self.is_kw(self.peek_at(1), "SELECT") => {
                self.bump();
                self.enter()?;
                let q = self.query(QueryKind::SemiJoin)?;
                self.leave();
                self.expect(Kind::RParen, "')' to close the subquery")?;
                Ok(InOperand::SubQuery(Box::new(q)))
            }
            Kind::LParen => {
                self.bump();
                Ok(InOperand::List(self.value_list(|_| true, "a value")?))
            }
            _ => Err(self.unexpected("'(' and a list of values or a subquery")),
        }
    }

    /// `v, v, ...)` after the opening parenthesis, each value passing `accept`.
    fn value_list(
        &mut self,
        accept: impl Fn(&Value) -> bool,
        what: &str,
    ) -> Result<Vec<Value>, Error> {
        let mut values = Vec::new();
        loop {
            let t = self.peek();
            let v = self.value()?;
            if !accept(&v) {
                return Err(self.error_at(t, what));
            }
            values.push(v);
            if self.eat(Kind::RParen) {
                return Ok(values);
            }
            self.expect(Kind::Comma, "',' or ')'")?;
        }
    }
}
