//! Commands' arguments: names and aliases, options, periods, `parse` patterns, `lookup` and
//! `join` clauses, projections, `stats` and sort keys.

use super::{Parser, is_word};
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::lexer::{Tok, Token, next_token};
use crate::span::Span;

impl Parser<'_> {
    pub(crate) fn peek_word(&self, word: &str) -> Result<Option<Token>, Diagnostic> {
        let t = self.peek(false)?;
        Ok(is_word(&t.tok, word).then_some(t))
    }

    pub(crate) fn expect_word(&mut self, word: &str, hint: &str) -> Result<Token, Diagnostic> {
        let t = self.peek(false)?;
        if is_word(&t.tok, word) {
            self.pos = t.span.end;
            return Ok(t);
        }
        Err(self.expected(&format!("`{word}`"), &t).with_hint(hint))
    }

    pub(crate) fn expect_punct(&mut self, p: &str, hint: &str) -> Result<Token, Diagnostic> {
        match self.eat_punct(p)? {
            Some(t) => Ok(t),
            None => {
                let t = self.peek(false)?;
                Err(self.expected(&format!("`{p}`"), &t).with_hint(hint))
            }
        }
    }

    pub(crate) fn whole_number(&mut self, what: &str, hint: &str) -> Result<u64, Diagnostic> {
        let n = self.bump(true)?;
        match n.tok {
            Tok::Num(Number::Int(i)) if i >= 0 => Ok(i as u64),
            _ => Err(self.expected(what, &n).with_hint(hint)),
        }
    }

    pub(crate) fn duration(&mut self, what: &str) -> Result<Duration, Diagnostic> {
        let t = self.bump(true)?;
        match t.tok {
            Tok::Dur(d) => Ok(d),
            _ => Err(self
                .expected(what, &t)
                .with_hint("time periods are written like 30s, 5m, 1h, 1d")),
        }
    }

    pub(crate) fn alias(&mut self) -> Result<Option<Name>, Diagnostic> {
        if self.eat_word("as")?.is_some() {
            Ok(Some(self.name("a name after `as`")?))
        } else {
            Ok(None)
        }
    }

    /// Names separated by `sep` (`,`).
    pub(crate) fn names(&mut self, sep: &str) -> Result<Vec<Name>, Diagnostic> {
        let mut names = vec![self.name("a field name")?];
        while self.eat_punct(sep)?.is_some() {
            names.push(self.name("a field name")?);
        }
        Ok(names)
    }

    /// A field name, or a prefix followed by `*` (`cpu*`).
    pub(crate) fn wildcard_name(&mut self) -> Result<Name, Diagnostic> {
        let t = self.peek(false)?;
        if t.tok == Tok::Punct("*") {
            self.pos = t.span.end;
            return Ok(Name {
                name: "*".into(),
                span: t.span,
            });
        }
        let mut name = self.name("a field name or a pattern such as `cpu*`")?;
        if self.src[self.pos..].starts_with('*') {
            self.pos += 1;
            name.name.push('*');
            name.span = Span::new(name.span.start, self.pos);
        }
        Ok(name)
    }

    /// `key=value` options, as long as they come.
    pub(crate) fn options(&mut self) -> Result<Vec<CommandOption>, Diagnostic> {
        let mut out = Vec::new();
        loop {
            let t = self.peek(false)?;
            let Tok::Word(key) = &t.tok else {
                return Ok(out);
            };
            let after = next_token(self.src, t.span.end, false)?;
            if after.tok != Tok::Punct("=") {
                return Ok(out);
            }
            self.pos = after.span.end;
            let v = self.bump(true)?;
            let value = match &v.tok {
                Tok::Word(w) if w.eq_ignore_ascii_case("true") => OptionValue::Bool(true),
                Tok::Word(w) if w.eq_ignore_ascii_case("false") => OptionValue::Bool(false),
                Tok::Word(w) | Tok::Field(w) => OptionValue::Word(w.clone()),
                Tok::Str(w) => OptionValue::Word(w.clone()),
                Tok::Dur(d) => OptionValue::Duration(*d),
                Tok::Punct("-") => match self.bump(true)?.tok {
                    Tok::Dur(d) => OptionValue::Duration(d),
                    _ => return Err(self.expected("a time period such as 1d after `-`", &v)),
                },
                Tok::Num(n) => {
                    let dash = self.peek(false)?;
                    if let (Number::Int(a), Tok::Punct("-")) = (n, &dash.tok) {
                        let b_tok = next_token(self.src, dash.span.end, true)?;
                        match b_tok.tok {
                            Tok::Num(Number::Int(b)) if *a >= 0 && b >= 0 => {
                                self.pos = b_tok.span.end;
                                OptionValue::Range(*a as u64, b as u64)
                            }
                            _ => return Err(self.expected("a whole number after `-`", &b_tok)),
                        }
                    } else {
                        OptionValue::Number(*n)
                    }
                }
                _ => {
                    return Err(self
                        .expected("an option value", &v)
                        .with_hint("write e.g. `type=inner`, `row=false`, `p=1-4`"));
                }
            };
            out.push(CommandOption {
                key: Name {
                    name: key.clone(),
                    span: t.span,
                },
                value,
                value_span: Span::new(v.span.start, self.pos),
            });
        }
    }

    pub(crate) fn filter_index(&mut self) -> Result<CommandKind, Diagnostic> {
        let e = self.expr()?;
        match &e.kind {
            ExprKind::Binary(BinaryOp::Eq, l, _) | ExprKind::In { expr: l, .. }
                if matches!(l.kind, ExprKind::Field(_)) =>
            {
                Ok(CommandKind::FilterIndex(e))
            }
            _ => Err(Diagnostic::new(
                "`filterIndex` takes `field = value` or `field in [...]`",
                e.span,
            )
            .with_hint(
                "write e.g. `filterIndex requestId = \"abc\"`; use `filter` for other conditions",
            )),
        }
    }

    pub(crate) fn parse_cmd(&mut self) -> Result<Parse, Diagnostic> {
        // An optional field comes first unless the pattern does.
        let t = self.peek(true)?;
        let field = match &t.tok {
            Tok::Str(_) | Tok::Regex(_) => None,
            Tok::Word(w) if w.eq_ignore_ascii_case("logfmt") || w.eq_ignore_ascii_case("csv") => {
                let after = next_token(self.src, t.span.end, true)?;
                if is_word(&after.tok, "as") {
                    None
                } else {
                    Some(self.parse_field()?)
                }
            }
            _ => Some(self.parse_field()?),
        };
        let t = self.bump(true)?;
        let spec = match t.tok {
            Tok::Str(pattern) => {
                self.expect_word(
                    "as",
                    "name one field per `*`, e.g. `parse @message \"user=*\" as user`",
                )?;
                let names = self.names(",")?;
                let stars = pattern.matches('*').count();
                if stars != names.len() {
                    return Err(Diagnostic::new(
                        format!(
                            "the pattern has {stars} `*` but {} name(s) follow `as`",
                            names.len()
                        ),
                        t.span,
                    )
                    .with_label("each `*` needs one name")
                    .with_hint("give exactly one name per `*`"));
                }
                ParseSpec::Glob { pattern, names }
            }
            Tok::Regex(pattern) => {
                let names = if self.eat_word("as")?.is_some() {
                    self.names(",")?
                } else {
                    Vec::new()
                };
                let multi = self.eat_word("multi")?.is_some();
                ParseSpec::Regex {
                    pattern,
                    names,
                    multi,
                }
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("logfmt") => {
                self.expect_word("as", "write e.g. `parse @message logfmt as kv`")?;
                ParseSpec::Logfmt(self.name("a name after `as`")?)
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("csv") => {
                self.expect_word("as", "write e.g. `parse @message csv as a, b, c`")?;
                ParseSpec::Csv(self.names(",")?)
            }
            _ => {
                return Err(self
                    .expected(
                        "a \"glob * pattern\", a /regular expression/, `logfmt` or `csv`",
                        &t,
                    )
                    .with_hint("write e.g. `parse @message \"user=* id=*\" as user, id`"));
            }
        };
        Ok(Parse { field, spec })
    }

    /// The field `parse` reads: a name or a call such as `unmask(@message)`.
    pub(crate) fn parse_field(&mut self) -> Result<Expr, Diagnostic> {
        let t = self.bump(false)?;
        match t.tok {
            Tok::Word(w) => {
                if self.peek(false)?.tok == Tok::Punct("(") {
                    return self.call(w, t.span);
                }
                Ok(Expr {
                    kind: ExprKind::Field(w),
                    span: t.span,
                })
            }
            Tok::Field(w) => Ok(Expr {
                kind: ExprKind::Field(w),
                span: t.span,
            }),
            _ => Err(self
                .expected("a field, a \"glob pattern\" or a /regular expression/", &t)
                .with_hint("write e.g. `parse @message \"user=*\" as user`")),
        }
    }

    pub(crate) fn json_cmd(&mut self) -> Result<CommandKind, Diagnostic> {
        let hint = "write e.g. `json field=requestContext \"identity.sourceIp\" as ip`";
        self.expect_word("field", hint)?;
        self.expect_punct("=", hint)?;
        let field = self.name("a field")?;
        let t = self.bump(true)?;
        let Tok::Str(path) = t.tok else {
            return Err(self.expected("a quoted key path", &t).with_hint(hint));
        };
        self.expect_word("as", hint)?;
        let alias = self.name("a name after `as`")?;
        Ok(CommandKind::Json { field, path, alias })
    }

    pub(crate) fn renamed_list(&mut self) -> Result<Vec<Renamed>, Diagnostic> {
        let mut out = Vec::new();
        loop {
            let name = self.name("a column name")?;
            let alias = self.alias()?;
            out.push(Renamed { name, alias });
            if self.eat_punct(",")?.is_none() {
                return Ok(out);
            }
        }
    }

    pub(crate) fn table_name(&mut self) -> Result<Name, Diagnostic> {
        let t = self.bump(false)?;
        match t.tok {
            Tok::Word(w) | Tok::Field(w) | Tok::Str(w) => Ok(Name {
                name: w,
                span: t.span,
            }),
            _ => Err(self
                .expected("a lookup table name or a quoted path to a CSV file", &t)
                .with_hint("write e.g. `lookup users user_id OUTPUT name`")),
        }
    }

    pub(crate) fn output_keyword(&mut self) -> Result<bool, Diagnostic> {
        let t = self.bump(false)?;
        if is_word(&t.tok, "OUTPUT") {
            Ok(false)
        } else if is_word(&t.tok, "OUTPUTNEW") {
            Ok(true)
        } else {
            Err(self
                .expected("`OUTPUT` or `OUTPUTNEW`", &t)
                .with_hint("write e.g. `lookup users user_id OUTPUT name, email`"))
        }
    }

    pub(crate) fn lookup(&mut self) -> Result<Lookup, Diagnostic> {
        let table = self.table_name()?;
        let mut matches = Vec::new();
        loop {
            let t = self.peek(false)?;
            if is_word(&t.tok, "OUTPUT") || is_word(&t.tok, "OUTPUTNEW") {
                break;
            }
            let name = self.name("a table column to match")?;
            let alias = self.alias()?;
            matches.push(Renamed { name, alias });
            self.eat_punct(",")?;
        }
        if matches.is_empty() {
            let t = self.peek(false)?;
            return Err(self.expected("a column to match", &t));
        }
        let new_only = self.output_keyword()?;
        let outputs = self.renamed_list()?;
        Ok(Lookup {
            table,
            matches,
            new_only,
            outputs,
        })
    }

    pub(crate) fn cidrlookup(&mut self) -> Result<CidrLookup, Diagnostic> {
        let table = self.table_name()?;
        let ip_field = self.name("the field holding an IP address")?;
        let cidr_column = self.alias()?;
        let new_only = self.output_keyword()?;
        let outputs = self.renamed_list()?;
        Ok(CidrLookup {
            table,
            ip_field,
            cidr_column,
            new_only,
            outputs,
        })
    }

    pub(crate) fn join(&mut self) -> Result<Join, Diagnostic> {
        let options = self.options()?;
        let hint = "write e.g. `join type=inner left=a right=b where a.id = b.id (SOURCE 'group')`";
        self.expect_word("where", hint)?;
        let left_key = self.name("`LEFT.field`")?;
        self.expect_punct("=", hint)?;
        let right_key = self.name("`RIGHT.field`")?;
        let right = self.parenthesised_query(hint)?;
        Ok(Join {
            options,
            left_key,
            right_key,
            right: Box::new(right),
        })
    }

    pub(crate) fn parenthesised_query(&mut self, hint: &str) -> Result<Query, Diagnostic> {
        self.expect_punct("(", hint)?;
        self.enter(Span::new(self.pos, self.pos))?;
        let q = self.query_until(true)?;
        self.depth -= 1;
        self.expect_punct(")", "close the sub-query with `)`")?;
        Ok(q)
    }

    pub(crate) fn string_list(&mut self) -> Result<Vec<String>, Diagnostic> {
        self.expect_punct("[", "write a list such as ['a', 'b']")?;
        let mut out = Vec::new();
        if self.eat_punct("]")?.is_some() {
            return Ok(out);
        }
        loop {
            let t = self.bump(true)?;
            let Tok::Str(mut s) = t.tok else {
                return Err(self.expected("a quoted string", &t));
            };
            // `['accountId' = '111122223333']` as in an AWS example: keep the value.
            if self.eat_punct("=")?.is_some() {
                let v = self.bump(true)?;
                match v.tok {
                    Tok::Str(value) => s = value,
                    _ => return Err(self.expected("a quoted string", &v)),
                }
            }
            out.push(s);
            let t = self.bump(false)?;
            match t.tok {
                Tok::Punct(",") => continue,
                Tok::Punct("]") => return Ok(out),
                _ => return Err(self.expected("`,` or `]`", &t)),
            }
        }
    }

    pub(crate) fn projections(&mut self) -> Result<Vec<Projection>, Diagnostic> {
        let mut items = vec![self.projection()?];
        while self.eat_punct(",")?.is_some() {
            items.push(self.projection()?);
        }
        Ok(items)
    }

    pub(crate) fn projection(&mut self) -> Result<Projection, Diagnostic> {
        let expr = self.expr()?;
        let text = expr.span.slice(self.src).to_string();
        let alias = if self.eat_word("as")?.is_some() {
            Some(self.name("a name after `as`")?)
        } else {
            None
        };
        Ok(Projection { expr, alias, text })
    }

    pub(crate) fn name(&mut self, what: &str) -> Result<Name, Diagnostic> {
        let t = self.bump(false)?;
        match t.tok {
            Tok::Word(w) | Tok::Field(w) => Ok(Name {
                name: w,
                span: t.span,
            }),
            _ => Err(self
                .expected(what, &t)
                .with_hint("names are words like `errors` or backticked text like `error rate`")),
        }
    }

    pub(crate) fn stats(&mut self) -> Result<Stats, Diagnostic> {
        let first = self.peek(true)?;
        if is_word(&first.tok, "by") || matches!(first.tok, Tok::Eof | Tok::Punct("|")) {
            return Err(self
                .expected("an aggregate function", &first)
                .with_hint("write e.g. `stats count(*) by service`"));
        }
        let aggregates = self.projections()?;
        let mut group_by = Vec::new();
        if let Some(by) = self.eat_word("by")? {
            let next = self.peek(true)?;
            if matches!(next.tok, Tok::Eof | Tok::Punct("|")) {
                return Err(Diagnostic::new("expected a group key after `by`", by.span.to(next.span))
                    .with_label("nothing to group by")
                    .with_hint("name what to group by, e.g. `stats count(*) by service, bin(5m)`, or remove `by`"));
            }
            group_by = self.projections()?;
        }
        let offset = if self.eat_word("offset")?.is_some() {
            Some(self.duration("a time period such as 1h")?)
        } else {
            None
        };
        Ok(Stats {
            aggregates,
            group_by,
            offset,
        })
    }

    pub(crate) fn sort_keys(&mut self) -> Result<Vec<SortKey>, Diagnostic> {
        let mut keys = Vec::new();
        loop {
            let expr = self.expr()?;
            let text = expr.span.slice(self.src).to_string();
            let direction = if self.eat_word("asc")?.is_some() {
                Some(SortDirection::Ascending)
            } else if self.eat_word("desc")?.is_some() {
                Some(SortDirection::Descending)
            } else {
                None
            };
            keys.push(SortKey {
                expr,
                direction,
                text,
            });
            if self.eat_punct(",")?.is_none() {
                return Ok(keys);
            }
        }
    }
}
