//! Expressions, by precedence: `or`, `and`, `not`, comparisons, `+ -`, `* / %`, `^`, unary
//! operators, primaries, access and calls.

use super::{MAX_DEPTH, Parser, RESERVED, is_word};
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::lexer::{Tok, next_token};
use crate::span::Span;

impl Parser<'_> {
    pub(crate) fn enter(&mut self, span: Span) -> Result<(), Diagnostic> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Diagnostic::new(
                format!("the expression is nested more than {MAX_DEPTH} levels deep"),
                span,
            )
            .with_hint("simplify the expression"));
        }
        Ok(())
    }

    /// Parses an expression (the lowest precedence level, `or`).
    // Deep nesting grows the stack on demand instead of overflowing it.
    #[recursive::recursive]
    pub(crate) fn expr(&mut self) -> Result<Expr, Diagnostic> {
        let mut left = self.and_expr()?;
        while self.eat_word("or")?.is_some() {
            let right = self.and_expr()?;
            left = binary(BinaryOp::Or, left, right);
        }
        Ok(left)
    }

    pub(crate) fn and_expr(&mut self) -> Result<Expr, Diagnostic> {
        let mut left = self.not_expr()?;
        while self.eat_word("and")?.is_some() {
            let right = self.not_expr()?;
            left = binary(BinaryOp::And, left, right);
        }
        Ok(left)
    }

    // Deep nesting grows the stack on demand instead of overflowing it.
    #[recursive::recursive]
    pub(crate) fn not_expr(&mut self) -> Result<Expr, Diagnostic> {
        if let Some(t) = self.eat_word("not")? {
            self.enter(t.span)?;
            let inner = self.not_expr()?;
            self.depth -= 1;
            let span = t.span.to(inner.span);
            return Ok(Expr {
                kind: ExprKind::Unary(UnaryOp::Not, Box::new(inner)),
                span,
            });
        }
        self.comparison()
    }

    pub(crate) fn comparison(&mut self) -> Result<Expr, Diagnostic> {
        let left = self.additive()?;
        let t = self.peek(false)?;
        let op = match t.tok {
            Tok::Punct("=") | Tok::Punct("==") => Some(BinaryOp::Eq),
            Tok::Punct("!=") => Some(BinaryOp::NotEq),
            Tok::Punct("<") => Some(BinaryOp::Lt),
            Tok::Punct("<=") => Some(BinaryOp::LtEq),
            Tok::Punct(">") => Some(BinaryOp::Gt),
            Tok::Punct(">=") => Some(BinaryOp::GtEq),
            _ => None,
        };
        if let Some(op) = op {
            self.pos = t.span.end;
            let right = self.additive()?;
            return Ok(binary(op, left, right));
        }
        if t.tok == Tok::Punct("=~") {
            self.pos = t.span.end;
            let pattern = self.match_pattern()?;
            return Ok(like(left, pattern, false));
        }
        let mut negated = false;
        let mut look = t.clone();
        if is_word(&t.tok, "not") {
            let after = next_token(self.src, t.span.end, false)?;
            if is_word(&after.tok, "like") || is_word(&after.tok, "in") {
                negated = true;
                self.pos = t.span.end;
                look = after;
            } else {
                return Ok(left);
            }
        }
        if is_word(&look.tok, "like") {
            self.pos = look.span.end;
            let pattern = self.match_pattern()?;
            return Ok(like(left, pattern, negated));
        }
        if is_word(&look.tok, "in") {
            self.pos = look.span.end;
            let open = self.peek(true)?;
            if open.tok == Tok::Punct("(") {
                let query = self.parenthesised_query(
                    "write e.g. `requestId in (SOURCE 'other' | fields requestId)`",
                )?;
                let span = Span::new(left.span.start, self.pos);
                return Ok(Expr {
                    kind: ExprKind::InQuery {
                        expr: Box::new(left),
                        query: Box::new(query),
                        negated,
                    },
                    span,
                });
            }
            if open.tok != Tok::Punct("[") {
                return Err(self
                    .expected("a list in `[...]`", &open)
                    .with_hint("write e.g. `level in [\"ERROR\", \"WARN\"]` or `id in (SOURCE 'other' | fields id)`"));
            }
            let list = self.primary()?;
            let span = left.span.to(list.span);
            let ExprKind::List(items) = list.kind else {
                return Err(self.expected("a list", &open));
            };
            return Ok(Expr {
                kind: ExprKind::In {
                    expr: Box::new(left),
                    list: items,
                    negated,
                },
                span,
            });
        }
        Ok(left)
    }

    pub(crate) fn match_pattern(&mut self) -> Result<Expr, Diagnostic> {
        let t = self.bump(true)?;
        match t.tok {
            Tok::Str(s) => Ok(Expr {
                kind: ExprKind::String(s),
                span: t.span,
            }),
            Tok::Regex(r) => Ok(Expr {
                kind: ExprKind::Regex(r),
                span: t.span,
            }),
            _ => Err(self
                .expected("a string or a /regular expression/", &t)
                .with_hint("write e.g. `@message like /timeout/` or `@message like \"timeout\"`")),
        }
    }

    pub(crate) fn additive(&mut self) -> Result<Expr, Diagnostic> {
        let mut left = self.multiplicative()?;
        loop {
            let t = self.peek(false)?;
            let op = match t.tok {
                Tok::Punct("+") => BinaryOp::Add,
                Tok::Punct("-") => BinaryOp::Sub,
                _ => return Ok(left),
            };
            self.pos = t.span.end;
            let right = self.multiplicative()?;
            left = binary(op, left, right);
        }
    }

    pub(crate) fn multiplicative(&mut self) -> Result<Expr, Diagnostic> {
        let mut left = self.power()?;
        loop {
            let t = self.peek(false)?;
            let op = match t.tok {
                Tok::Punct("*") => BinaryOp::Mul,
                Tok::Punct("/") => BinaryOp::Div,
                Tok::Punct("%") => BinaryOp::Mod,
                _ => return Ok(left),
            };
            self.pos = t.span.end;
            let right = self.power()?;
            left = binary(op, left, right);
        }
    }

    // Deep nesting grows the stack on demand instead of overflowing it.
    #[recursive::recursive]
    pub(crate) fn power(&mut self) -> Result<Expr, Diagnostic> {
        let base = self.unary()?;
        if self.eat_punct("^")?.is_some() {
            self.enter(base.span)?;
            let exponent = self.power()?;
            self.depth -= 1;
            return Ok(binary(BinaryOp::Pow, base, exponent));
        }
        Ok(base)
    }

    // Deep nesting grows the stack on demand instead of overflowing it.
    #[recursive::recursive]
    pub(crate) fn unary(&mut self) -> Result<Expr, Diagnostic> {
        let t = self.peek(true)?;
        let op = match t.tok {
            Tok::Punct("-") => UnaryOp::Negate,
            Tok::Punct("!") => UnaryOp::Not,
            _ => return self.primary(),
        };
        self.pos = t.span.end;
        self.enter(t.span)?;
        let inner = self.unary()?;
        self.depth -= 1;
        let span = t.span.to(inner.span);
        if op == UnaryOp::Negate
            && let ExprKind::Number(n) = inner.kind
        {
            let negated = match n {
                Number::Int(i) => Number::Int(i.wrapping_neg()),
                Number::Float(f) => Number::Float(-f),
            };
            return Ok(Expr {
                kind: ExprKind::Number(negated),
                span,
            });
        }
        Ok(Expr {
            kind: ExprKind::Unary(op, Box::new(inner)),
            span,
        })
    }

    pub(crate) fn primary(&mut self) -> Result<Expr, Diagnostic> {
        let t = self.bump(true)?;
        let span = t.span;
        let kind = match t.tok {
            Tok::Num(n) => ExprKind::Number(n),
            Tok::Str(s) => ExprKind::String(s),
            Tok::Dur(d) => ExprKind::Duration(d),
            Tok::Regex(r) => ExprKind::Regex(r),
            Tok::Field(f) => ExprKind::Field(f),
            Tok::Word(w) => {
                let next = self.peek(false)?;
                if next.tok == Tok::Punct("(") {
                    return self.call(w, span);
                }
                if w.eq_ignore_ascii_case("true") || w.eq_ignore_ascii_case("false") {
                    ExprKind::Bool(w.eq_ignore_ascii_case("true"))
                } else if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(&w)) {
                    return Err(Diagnostic::new(
                        format!("expected an expression, found the keyword `{w}`"),
                        span,
                    )
                    .with_label("expected an expression here")
                    .with_hint(format!(
                        "a field named `{w}` must be written in backticks: `{w}`"
                    )));
                } else {
                    ExprKind::Field(w)
                }
            }
            Tok::Punct("(") => {
                self.enter(span)?;
                let inner = self.expr()?;
                self.depth -= 1;
                let close = self.bump(false)?;
                if close.tok != Tok::Punct(")") {
                    return Err(self
                        .expected("`)`", &close)
                        .with_hint(format!("the `(` at byte {} is not closed", span.start)));
                }
                return Ok(Expr {
                    kind: inner.kind,
                    span: span.to(close.span),
                });
            }
            Tok::Punct("[") => {
                let mut items = Vec::new();
                if self.eat_punct("]")?.is_none() {
                    loop {
                        items.push(self.expr()?);
                        let t = self.bump(false)?;
                        match t.tok {
                            Tok::Punct(",") => continue,
                            Tok::Punct("]") => break,
                            _ => return Err(self.expected("`,` or `]`", &t)),
                        }
                    }
                }
                return Ok(Expr {
                    kind: ExprKind::List(items),
                    span: Span::new(span.start, self.pos),
                });
            }
            _ => {
                return Err(self.expected("an expression", &t).with_hint(
                    "an expression is a field, a literal such as \"text\", 42 or 5m, or a function call",
                ));
            }
        };
        self.postfix(Expr { kind, span })
    }

    /// `.key`, `` .`key` `` and `[index]` after a value.
    pub(crate) fn postfix(&mut self, mut expr: Expr) -> Result<Expr, Diagnostic> {
        loop {
            let at = crate::lexer::skip_trivia(self.src, self.pos);
            let rest = &self.src[at..];
            if rest.starts_with('[') && at == self.pos {
                self.pos = at + 1;
                self.enter(Span::new(at, at + 1))?;
                let index = self.expr()?;
                self.depth -= 1;
                self.expect_punct("]", "close the index with `]`")?;
                let span = Span::new(expr.span.start, self.pos);
                expr = Expr {
                    kind: ExprKind::Access {
                        base: Box::new(expr),
                        key: AccessKey::Index(Box::new(index)),
                    },
                    span,
                };
            } else if rest.starts_with('.') && at == self.pos {
                let t = next_token(self.src, at + 1, false)?;
                let key = match t.tok {
                    Tok::Word(w) | Tok::Field(w) if !w.starts_with('@') => w,
                    _ => return Err(self.expected("a key after `.`", &t)),
                };
                self.pos = t.span.end;
                let span = Span::new(expr.span.start, self.pos);
                // `a.b.c` read as one token: each dotted part is one key.
                for part in key.split('.') {
                    expr = Expr {
                        kind: ExprKind::Access {
                            base: Box::new(expr),
                            key: AccessKey::Name(part.to_string()),
                        },
                        span,
                    };
                }
            } else {
                return Ok(expr);
            }
        }
    }

    pub(crate) fn call(&mut self, name: String, name_span: Span) -> Result<Expr, Diagnostic> {
        self.enter(name_span)?;
        self.bump(false)?; // `(`
        let mut args = Vec::new();
        if self.eat_punct(")")?.is_none() {
            loop {
                let t = self.peek(true)?;
                if t.tok == Tok::Punct("*") {
                    self.pos = t.span.end;
                    args.push(Expr {
                        kind: ExprKind::Star,
                        span: t.span,
                    });
                } else {
                    args.push(self.expr()?);
                }
                let t = self.bump(false)?;
                match t.tok {
                    Tok::Punct(",") => continue,
                    Tok::Punct(")") => break,
                    _ => {
                        return Err(self
                            .expected("`,` or `)`", &t)
                            .with_hint(format!("close the argument list of `{name}(` with `)`")));
                    }
                }
            }
        }
        self.depth -= 1;
        self.postfix(Expr {
            kind: ExprKind::Call {
                name,
                name_span,
                args,
            },
            span: Span::new(name_span.start, self.pos),
        })
    }
}

pub(crate) fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    let span = left.span.to(right.span);
    Expr {
        kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
        span,
    }
}

pub(crate) fn like(expr: Expr, pattern: Expr, negated: bool) -> Expr {
    let span = expr.span.to(pattern.span);
    Expr {
        kind: ExprKind::Like {
            expr: Box::new(expr),
            pattern: Box::new(pattern),
            negated,
        },
        span,
    }
}
