//! The SELECT statement, clause by clause in Salesforce's fixed order.

use super::Parser;
use super::expr::Place;
use crate::ast::{
    CategorySelector, DataCategoryFilter, Expr, FieldPath, FieldsGroup, ForClause, FromClause,
    Function, GroupBy, GroupByKind, NullsOrder, OrderByItem, Query, RelatedAlias, SelectItem,
    SortDirection, TypeOf, TypeOfWhen, UpdateClause, WithClause, WithParam,
};
use crate::error::Error;
use crate::lexer::Kind;

/// Where a query stands: its FROM and its clauses differ slightly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum QueryKind {
    /// The statement itself.
    Top,
    /// A child-relationship subquery in a SELECT list (FROM names a relationship path).
    Child,
    /// The subquery of a semi-join or anti-join.
    SemiJoin,
}

impl Parser<'_> {
    pub(super) fn query(&mut self, kind: QueryKind) -> Result<Query, Error> {
        self.expect_kw("SELECT")?;
        let select = self.select_list(kind)?;
        self.expect_kw("FROM")?;
        let from = self.parse_from(kind)?;
        let mut q = Query::new(select, from);
        if self.peek_kw("USING") && self.is_kw(self.peek_at(1), "SCOPE") {
            self.pos += 2;
            q.using_scope = Some(self.ident_text("a scope (mine, everything, team, ...)")?);
        }
        if self.eat_kw("WHERE") {
            q.where_clause = Some(self.condition(Place::Where)?);
        }
        while self.eat_kw("WITH") {
            q.with.push(self.with_clause()?);
        }
        if self.peek_kw("GROUP") && self.is_kw(self.peek_at(1), "BY") {
            let bare_count = matches!(q.select.as_slice(), [SelectItem::Expr { expr: Expr::Call(c), .. }]
                if c.function == Function::Count && c.args.is_empty());
            if bare_count {
                return Err(self
                    .unexpected("no GROUP BY after COUNT() (count per group with COUNT(field))"));
            }
            self.pos += 2;
            q.group_by = Some(self.group_by()?);
            if self.eat_kw("HAVING") {
                q.having = Some(self.condition(Place::Having)?);
            }
        }
        if self.peek_kw("ORDER") && self.is_kw(self.peek_at(1), "BY") {
            self.pos += 2;
            q.order_by = self.order_by()?;
        }
        if self.eat_kw("LIMIT") {
            q.limit = Some(self.row_count()?);
        }
        if self.peek_kw("OFFSET") {
            if kind == QueryKind::SemiJoin {
                return Err(self.unexpected("')' (OFFSET is not allowed in a WHERE subquery)"));
            }
            self.bump();
            q.offset = Some(self.row_count()?);
        }
        q.for_clause = self.for_clause()?;
        if self.eat_kw("UPDATE") {
            q.update = Some(if self.eat_kw("TRACKING") {
                UpdateClause::Tracking
            } else if self.eat_kw("VIEWSTAT") {
                UpdateClause::Viewstat
            } else {
                return Err(self.unexpected("TRACKING or VIEWSTAT after UPDATE"));
            });
            if q.for_clause.is_none() {
                q.for_clause = self.for_clause()?;
            }
        }
        Ok(q)
    }

    fn for_clause(&mut self) -> Result<Option<ForClause>, Error> {
        if !self.eat_kw("FOR") {
            return Ok(None);
        }
        let c = if self.eat_kw("VIEW") {
            ForClause::View
        } else if self.eat_kw("REFERENCE") {
            ForClause::Reference
        } else if self.eat_kw("UPDATE") {
            ForClause::Update
        } else {
            return Err(self.unexpected("VIEW, REFERENCE or UPDATE after FOR"));
        };
        Ok(Some(c))
    }

    fn select_list(&mut self, kind: QueryKind) -> Result<Vec<SelectItem>, Error> {
        let mut items = Vec::new();
        loop {
            let start = self.peek();
            let item = self.select_item(kind)?;
            let bare_count = matches!(&item, SelectItem::Expr { expr: Expr::Call(c), .. }
                if c.function == Function::Count && c.args.is_empty());
            if bare_count && !items.is_empty() {
                return Err(self.error_at(
                    start,
                    "a field: COUNT() must be the only item in the SELECT list",
                ));
            }
            items.push(item);
            if !self.eat(Kind::Comma) {
                break;
            }
            if bare_count {
                return Err(
                    self.unexpected("FROM: COUNT() must be the only item in the SELECT list")
                );
            }
        }
        Ok(items)
    }

    pub(super) fn select_item(&mut self, kind: QueryKind) -> Result<SelectItem, Error> {
        let t = self.peek();
        if t.kind == Kind::LParen {
            if kind == QueryKind::SemiJoin || !self.is_kw(self.peek_at(1), "SELECT") {
                return Err(self.unexpected("a field or function"));
            }
            self.bump();
            self.enter()?;
            let query = self.query(QueryKind::Child)?;
            self.leave();
            self.expect(Kind::RParen, "')' to close the subquery")?;
            return Ok(SelectItem::SubQuery {
                query: Box::new(query),
            });
        }
        if self.is_kw(t, "TYPEOF")
            && self.peek_at(1).kind == Kind::Ident
            && self.is_kw(self.peek_at(2), "WHEN")
        {
            return Ok(SelectItem::TypeOf(self.type_of()?));
        }
        if self.is_kw(t, "FIELDS") && self.peek_at(1).kind == Kind::LParen {
            self.pos += 2;
            let group = if self.eat_kw("ALL") {
                FieldsGroup::All
            } else if self.eat_kw("STANDARD") {
                FieldsGroup::Standard
            } else if self.eat_kw("CUSTOM") {
                FieldsGroup::Custom
            } else {
                return Err(self.unexpected("ALL, STANDARD or CUSTOM"));
            };
            self.expect(Kind::RParen, "')'")?;
            return Ok(SelectItem::Fields { group });
        }
        let expr = self.expr(Place::Select)?;
        let alias = self.alias();
        Ok(SelectItem::Expr { expr, alias })
    }

    fn type_of(&mut self) -> Result<TypeOf, Error> {
        self.bump();
        let (relationship, relationship_span) = self.spanned_ident("a polymorphic relationship")?;
        let mut whens = Vec::new();
        while self.eat_kw("WHEN") {
            let sobject = self.ident_text("an object type after WHEN")?;
            self.expect_kw("THEN")?;
            whens.push(TypeOfWhen {
                sobject,
                fields: self.path_list()?,
            });
        }
        let else_fields = if self.eat_kw("ELSE") {
            Some(self.path_list()?)
        } else {
            None
        };
        self.expect_kw("END")?;
        Ok(TypeOf {
            relationship,
            relationship_span,
            whens,
            else_fields,
        })
    }

    fn path_list(&mut self) -> Result<Vec<FieldPath>, Error> {
        let mut fields = vec![self.field_path("a field")?];
        // Every field after a comma is read as the first one is (`THEN Id, Group.Name`).
        while self.peek().kind == Kind::Comma && self.is_name(self.peek_at(1), self.peek_at(2)) {
            self.bump();
            fields.push(self.field_path("a field")?);
        }
        Ok(fields)
    }

    fn parse_from(&mut self, kind: QueryKind) -> Result<FromClause, Error> {
        let t = self.peek();
        let is_clause =
            (self.is_kw(t, "ORDER") || self.is_kw(t, "GROUP")) && self.is_kw(self.peek_at(1), "BY");
        if t.kind != Kind::Ident
            || is_clause
            || (self.is_reserved(t, self.peek_at(1))
                && !self.is_kw(t, "ORDER")
                && !self.is_kw(t, "GROUP"))
        {
            return Err(self.unexpected("an object name"));
        }
        let (first, span) = self.spanned_ident("an object name")?;
        let (mut segments, mut spans) = (vec![first], vec![span]);
        // A child subquery's FROM may be a relationship path; a query's is one object name.
        while kind == QueryKind::Child && self.eat(Kind::Dot) {
            let (name, span) = self.spanned_ident("a relationship name after '.'")?;
            segments.push(name);
            spans.push(span);
        }
        let sobject = FieldPath::from_segments(segments).with_spans(spans);
        let alias = self.alias();
        let mut related = Vec::new();
        if kind == QueryKind::Top {
            while self.eat(Kind::Comma) {
                let path = self.field_path("a relationship path such as c.Account")?;
                related.push(RelatedAlias {
                    path,
                    alias: self.alias(),
                });
            }
        }
        Ok(FromClause {
            sobject,
            alias,
            related,
        })
    }

    fn with_clause(&mut self) -> Result<WithClause, Error> {
        if self.eat_kw("SECURITY_ENFORCED") {
            return Ok(WithClause::SecurityEnforced);
        }
        if self.eat_kw("USER_MODE") {
            return Ok(WithClause::UserMode);
        }
        if self.eat_kw("SYSTEM_MODE") {
            return Ok(WithClause::SystemMode);
        }
        if self.peek_kw("DATA") && self.is_kw(self.peek_at(1), "CATEGORY") {
            self.pos += 2;
            return Ok(WithClause::DataCategory {
                filters: self.data_categories()?,
            });
        }
        if self.peek_kw("RecordVisibilityContext") && self.peek_at(1).kind == Kind::LParen {
            self.pos += 2;
            let mut params = Vec::new();
            loop {
                let name = self.ident_text("a parameter name")?;
                self.expect(Kind::Eq, "'='")?;
                params.push(WithParam {
                    name,
                    value: self.value()?,
                });
                if self.eat(Kind::RParen) {
                    break;
                }
                self.expect(Kind::Comma, "',' or ')'")?;
            }
            return Ok(WithClause::RecordVisibilityContext { params });
        }
        if self.peek().kind == Kind::Ident && self.peek_at(1).kind == Kind::Eq {
            let field = self.ident_text("a field")?;
            self.bump();
            return Ok(WithClause::Filter {
                field,
                value: self.value()?,
            });
        }
        Err(self.unexpected(
            "SECURITY_ENFORCED, USER_MODE, SYSTEM_MODE, DATA CATEGORY or a filter after WITH",
        ))
    }

    pub(super) fn data_categories(&mut self) -> Result<Vec<DataCategoryFilter>, Error> {
        let mut filters = Vec::new();
        loop {
            let group = self.ident_text("a data category group name")?;
            let selector = if self.eat_kw("AT") {
                CategorySelector::At
            } else if self.eat_kw("ABOVE") {
                CategorySelector::Above
            } else if self.eat_kw("BELOW") {
                CategorySelector::Below
            } else if self.eat_kw("ABOVE_OR_BELOW") {
                CategorySelector::AboveOrBelow
            } else {
                return Err(self.unexpected("AT, ABOVE, BELOW or ABOVE_OR_BELOW"));
            };
            let categories = if self.eat(Kind::LParen) {
                let mut names = vec![self.ident_text("a category name")?];
                while self.eat(Kind::Comma) {
                    names.push(self.ident_text("a category name")?);
                }
                self.expect(Kind::RParen, "',' or ')'")?;
                names
            } else {
                vec![self.ident_text("a category name")?]
            };
            filters.push(DataCategoryFilter {
                group,
                selector,
                categories,
            });
            if !self.eat_kw("AND") {
                return Ok(filters);
            }
        }
    }

    fn group_by(&mut self) -> Result<GroupBy, Error> {
        let kind = if self.peek_kw("ROLLUP") && self.peek_at(1).kind == Kind::LParen {
            GroupByKind::Rollup
        } else if self.peek_kw("CUBE") && self.peek_at(1).kind == Kind::LParen {
            GroupByKind::Cube
        } else {
            GroupByKind::Plain
        };
        if kind != GroupByKind::Plain {
            self.pos += 2;
        }
        let mut keys = vec![self.expr(Place::GroupBy)?];
        while self.eat(Kind::Comma) {
            keys.push(self.expr(Place::GroupBy)?);
        }
        if kind != GroupByKind::Plain {
            self.expect(Kind::RParen, "',' or ')'")?;
        }
        Ok(GroupBy { kind, keys })
    }

    pub(super) fn order_by(&mut self) -> Result<Vec<OrderByItem>, Error> {
        let mut items = Vec::new();
        loop {
            let expr = self.expr(Place::OrderBy)?;
            let direction = if self.eat_kw("ASC") {
                Some(SortDirection::Asc)
            } else if self.eat_kw("DESC") {
                Some(SortDirection::Desc)
            } else {
                None
            };
            let nulls = if self.eat_kw("NULLS") {
                if self.eat_kw("FIRST") {
                    Some(NullsOrder::First)
                } else if self.eat_kw("LAST") {
                    Some(NullsOrder::Last)
                } else {
                    return Err(self.unexpected("FIRST or LAST after NULLS"));
                }
            } else {
                None
            };
            items.push(OrderByItem {
                expr,
                direction,
                nulls,
            });
            if !self.eat(Kind::Comma) {
                return Ok(items);
            }
        }
    }
}
