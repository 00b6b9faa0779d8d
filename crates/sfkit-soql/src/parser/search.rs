//! The SOSL statement: FIND ... IN ... RETURNING ... WITH ... LIMIT ... UPDATE ...

use super::Parser;
use super::expr::Place;
use super::query::QueryKind;
use crate::ast::{
    FindClause, NetworkFilter, ReturningObject, Search, SearchGroup, SearchWith, UpdateClause,
    Value,
};
use crate::error::Error;
use crate::lexer::Kind;

impl Parser<'_> {
    pub(super) fn search(&mut self) -> Result<Search, Error> {
        self.expect_kw("FIND")?;
        let t = self.peek();
        let find = match t.kind {
            Kind::Braced => {
                let inner = self
                    .src
                    .get(t.start + 1..t.end.saturating_sub(1))
                    .unwrap_or_default();
                let expr = self.search_expr(inner, t.start + 1)?;
                self.bump();
                FindClause::Braces(expr)
            }
            Kind::Str => {
                let text = self.string_value(t)?;
                // Positions inside a decoded string no longer map to the source exactly, so
                // errors in it point at the string's opening quote.
                let expr = self.search_expr(&text, t.start).map_err(|mut e| {
                    let at = crate::error::Error::at(self.src, t.start, "", "");
                    (e.line, e.column, e.offset) = (at.line, at.column, at.offset);
                    e
                })?;
                self.bump();
                FindClause::Quotes(expr)
            }
            Kind::Colon => FindClause::Bind(self.bind()?),
            _ => {
                return Err(self.unexpected("a search query in braces, as in FIND {Acme}"));
            }
        };
        let mut s = Search {
            find,
            in_fields: None,
            returning: Vec::new(),
            with: Vec::new(),
            limit: None,
            update: None,
        };
        if self.eat_kw("IN") {
            let group = [
                ("ALL", SearchGroup::All),
                ("NAME", SearchGroup::Name),
                ("EMAIL", SearchGroup::Email),
                ("PHONE", SearchGroup::Phone),
                ("SIDEBAR", SearchGroup::Sidebar),
            ]
            .into_iter()
            .find(|(kw, _)| self.peek_kw(kw))
            .map(|(_, g)| g)
            .ok_or_else(|| self.unexpected("ALL, NAME, EMAIL, PHONE or SIDEBAR after IN"))?;
            self.bump();
            self.expect_kw("FIELDS")?;
            s.in_fields = Some(group);
        }
        if self.eat_kw("RETURNING") {
            loop {
                s.returning.push(self.returning_object()?);
                if !self.eat(Kind::Comma) {
                    break;
                }
            }
        }
        while self.eat_kw("WITH") {
            s.with.push(self.search_with()?);
        }
        if self.eat_kw("LIMIT") {
            s.limit = Some(self.row_count()?);
        }
        if self.eat_kw("UPDATE") {
            s.update = Some(if self.eat_kw("TRACKING") {
                UpdateClause::Tracking
            } else if self.eat_kw("VIEWSTAT") {
                UpdateClause::Viewstat
            } else {
                return Err(self.unexpected("TRACKING or VIEWSTAT after UPDATE"));
            });
        }
        Ok(s)
    }

    fn returning_object(&mut self) -> Result<ReturningObject, Error> {
        let sobject = self.name("an object name after RETURNING")?;
        let mut r = ReturningObject::new(&sobject, Vec::new());
        if !self.eat(Kind::LParen) {
            return Ok(r);
        }
        loop {
            r.fields.push(self.select_item(QueryKind::SemiJoin)?);
            if !self.eat(Kind::Comma) {
                break;
            }
        }
        if self.eat_kw("WHERE") {
            r.where_clause = Some(self.condition(Place::Where)?);
        }
        if self.peek_kw("USING") && self.is_kw(self.peek_at(1), "ListView") {
            self.pos += 2;
            self.expect(Kind::Eq, "'=' after USING ListView")?;
            r.list_view = Some(self.ident_text("a list view name")?);
        }
        if self.peek_kw("ORDER") && self.is_kw(self.peek_at(1), "BY") {
            self.pos += 2;
            r.order_by = self.order_by()?;
        }
        if self.eat_kw("LIMIT") {
            r.limit = Some(self.row_count()?);
        }
        if self.eat_kw("OFFSET") {
            r.offset = Some(self.row_count()?);
        }
        self.expect(Kind::RParen, "')' to close the object's field list")?;
        Ok(r)
    }

    fn search_with(&mut self) -> Result<SearchWith, Error> {
        let t = self.peek();
        let equals = |p: &mut Self| p.expect(Kind::Eq, "'='");
        if self.eat_kw("DIVISION") {
            equals(self)?;
            return Ok(SearchWith::Division(self.value()?));
        }
        if self.peek_kw("DATA") && self.is_kw(self.peek_at(1), "CATEGORY") {
            self.pos += 2;
            return Ok(SearchWith::DataCategory(self.data_categories()?));
        }
        if self.eat_kw("SNIPPET") {
            if !self.eat(Kind::LParen) {
                return Ok(SearchWith::Snippet(None));
            }
            self.expect_kw("target_length")?;
            equals(self)?;
            let n = match self.row_count()? {
                crate::ast::RowCount::Literal(n) => n,
                crate::ast::RowCount::Bind(_) => return Err(self.error_at(t, "a target length")),
            };
            self.expect(Kind::RParen, "')'")?;
            return Ok(SearchWith::Snippet(Some(n)));
        }
        if self.eat_kw("NETWORK") {
            if self.eat_kw("IN") {
                self.expect(Kind::LParen, "'('")?;
                let mut values = vec![self.value()?];
                while self.eat(Kind::Comma) {
                    values.push(self.value()?);
                }
                self.expect(Kind::RParen, "',' or ')'")?;
                return Ok(SearchWith::Network(NetworkFilter::In(values)));
            }
            equals(self)?;
            return Ok(SearchWith::Network(NetworkFilter::Eq(self.value()?)));
        }
        if self.eat_kw("PricebookId") {
            equals(self)?;
            return Ok(SearchWith::PricebookId(self.value()?));
        }
        if self.eat_kw("METADATA") {
            equals(self)?;
            return Ok(SearchWith::Metadata(self.value()?));
        }
        if self.eat_kw("HIGHLIGHT") {
            return Ok(SearchWith::Highlight);
        }
        if self.eat_kw("SPELL_CORRECTION") {
            equals(self)?;
            let v = self.peek();
            return match self.value()? {
                Value::Boolean(b) => Ok(SearchWith::SpellCorrection(b)),
                _ => Err(self.error_at(v, "TRUE or FALSE")),
            };
        }
        if self.eat_kw("SECURITY_ENFORCED") {
            return Ok(SearchWith::SecurityEnforced);
        }
        if self.eat_kw("USER_MODE") {
            return Ok(SearchWith::UserMode);
        }
        if self.eat_kw("SYSTEM_MODE") {
            return Ok(SearchWith::SystemMode);
        }
        Err(self.unexpected(
            "DIVISION, DATA CATEGORY, SNIPPET, NETWORK, PricebookId, METADATA, HIGHLIGHT, SPELL_CORRECTION, USER_MODE or SYSTEM_MODE after WITH",
        ))
    }
}
