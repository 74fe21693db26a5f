//! A recursive-descent parser over the tokens of [`crate::lexer`], producing [`crate::ast`] nodes.

use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::lexer::{Tok, Token, next_token};
use crate::span::Span;

/// The commands this version of lq runs.
pub const SUPPORTED_COMMANDS: &[&str] = &[
    "fields", "display", "filter", "where", "stats", "sort", "limit", "head",
];

/// Logs Insights commands that lq recognises but does not run yet.
pub const PLANNED_COMMANDS: &[&str] = &[
    "parse",
    "dedup",
    "unnest",
    "unmask",
    "filterIndex",
    "SOURCE",
    "lookup",
    "pattern",
    "diff",
    "anomaly",
    "json",
    "expand",
    "cidrlookup",
    "join",
    "appendcols",
    "logcompare",
    "relevantfields",
    "countFrequent",
    "count_frequent",
    "addtotals",
    "accum",
    "autoregress",
    "filldown",
    "fillmissing",
    "outlier",
    "sessionize",
    "estimate",
    "tail",
];

/// Words that end an expression and so cannot be bare field names.
const RESERVED: &[&str] = &["and", "or", "not", "like", "in", "as", "by", "asc", "desc"];

/// Deepest nesting of parentheses, negations and calls accepted; deeper queries get an error
/// instead of exhausting the stack.
const MAX_DEPTH: usize = 128;

/// Parses a whole query.
///
/// ```
/// use lq_syntax::{parse, ast::CommandKind};
/// let q = parse("filter level = 'ERROR' | stats count(*) as n by service").unwrap();
/// assert_eq!(q.commands.len(), 2);
/// assert!(matches!(q.commands[1].kind, CommandKind::Stats(_)));
/// ```
pub fn parse(src: &str) -> Result<Query, Diagnostic> {
    let mut p = Parser {
        src,
        pos: 0,
        depth: 0,
    };
    p.query()
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    depth: usize,
}

fn is_word(tok: &Tok, word: &str) -> bool {
    matches!(tok, Tok::Word(w) if w.eq_ignore_ascii_case(word))
}

pub(crate) fn nearest<'n>(word: &str, candidates: &[&'n str]) -> Option<&'n str> {
    candidates
        .iter()
        .map(|c| {
            (
                strsim::damerau_levenshtein(&word.to_lowercase(), &c.to_lowercase()),
                *c,
            )
        })
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

impl<'a> Parser<'a> {
    fn peek(&self, operand: bool) -> Result<Token, Diagnostic> {
        next_token(self.src, self.pos, operand)
    }

    fn bump(&mut self, operand: bool) -> Result<Token, Diagnostic> {
        let t = next_token(self.src, self.pos, operand)?;
        self.pos = t.span.end;
        Ok(t)
    }

    fn eat_punct(&mut self, p: &str) -> Result<Option<Token>, Diagnostic> {
        let t = self.peek(false)?;
        if let Tok::Punct(q) = t.tok
            && q == p
        {
            self.pos = t.span.end;
            return Ok(Some(t));
        }
        Ok(None)
    }

    fn eat_word(&mut self, word: &str) -> Result<Option<Token>, Diagnostic> {
        let t = self.peek(false)?;
        if is_word(&t.tok, word) {
            self.pos = t.span.end;
            return Ok(Some(t));
        }
        Ok(None)
    }

    fn expected(&self, what: &str, found: &Token) -> Diagnostic {
        Diagnostic::new(
            format!("expected {what}, found {}", found.tok.describe()),
            found.span,
        )
        .with_label(format!("expected {what} here"))
    }

    fn query(&mut self) -> Result<Query, Diagnostic> {
        let first = self.peek(false)?;
        if first.tok == Tok::Eof {
            return Err(Diagnostic::new("the query is empty", first.span)
                .with_hint("start with a command, e.g. `fields @timestamp, @message | limit 20`"));
        }
        let mut commands = Vec::new();
        loop {
            commands.push(self.command()?);
            let t = self.peek(false)?;
            match t.tok {
                Tok::Eof => break,
                Tok::Punct("|") => {
                    self.pos = t.span.end;
                    let next = self.peek(false)?;
                    if next.tok == Tok::Eof {
                        return Err(self.expected("a command after `|`", &next).with_hint(
                            "remove the trailing `|` or add a command such as `limit 10`",
                        ));
                    }
                }
                _ => {
                    return Err(self.expected("`|` or the end of the query", &t).with_hint(
                        "separate items with `,` and commands with `|`; put field names with special characters in backticks",
                    ));
                }
            }
        }
        Ok(Query { commands })
    }

    fn command(&mut self) -> Result<Command, Diagnostic> {
        let t = self.bump(false)?;
        let Tok::Word(word) = &t.tok else {
            return Err(self
                .expected("a command", &t)
                .with_hint("commands are fields, display, filter, stats, sort and limit"));
        };
        let lower = word.to_lowercase();
        let kind = match lower.as_str() {
            "fields" => CommandKind::Fields(self.projections()?),
            "display" => CommandKind::Display(self.projections()?),
            "filter" | "where" => CommandKind::Filter(self.expr()?),
            "stats" => CommandKind::Stats(self.stats()?),
            "sort" => {
                self.eat_word("by")?;
                CommandKind::Sort(self.sort_keys()?)
            }
            "limit" | "head" => {
                if lower == "limit" {
                    self.eat_word("any")?;
                }
                let n = self.bump(true)?;
                match n.tok {
                    Tok::Num(Number::Int(i)) if i >= 0 => CommandKind::Limit(i as u64),
                    _ => {
                        return Err(self
                            .expected("a whole number of rows", &n)
                            .with_hint("write e.g. `limit 20`"));
                    }
                }
            }
            _ => {
                if let Some(name) = PLANNED_COMMANDS
                    .iter()
                    .find(|c| c.eq_ignore_ascii_case(word))
                {
                    return Err(Diagnostic::new(
                        format!("the `{name}` command is not supported yet"),
                        t.span,
                    )
                    .with_label("not supported yet")
                    .with_hint(format!(
                        "lq runs {} so far",
                        "fields, display, filter/where, stats, sort and limit"
                    )));
                }
                let mut all: Vec<&str> = SUPPORTED_COMMANDS.to_vec();
                all.extend_from_slice(PLANNED_COMMANDS);
                let hint = match nearest(word, &all) {
                    Some(c) => format!("did you mean `{c}`?"),
                    None => {
                        "commands are fields, display, filter, stats, sort and limit".to_string()
                    }
                };
                return Err(Diagnostic::new(format!("unknown command `{word}`"), t.span)
                    .with_label("expected a command")
                    .with_hint(hint));
            }
        };
        Ok(Command {
            kind,
            span: Span::new(t.span.start, self.pos),
        })
    }

    fn projections(&mut self) -> Result<Vec<Projection>, Diagnostic> {
        let mut items = vec![self.projection()?];
        while self.eat_punct(",")?.is_some() {
            items.push(self.projection()?);
        }
        Ok(items)
    }

    fn projection(&mut self) -> Result<Projection, Diagnostic> {
        let expr = self.expr()?;
        let text = expr.span.slice(self.src).to_string();
        let alias = if self.eat_word("as")?.is_some() {
            Some(self.name("a name after `as`")?)
        } else {
            None
        };
        Ok(Projection { expr, alias, text })
    }

    fn name(&mut self, what: &str) -> Result<Name, Diagnostic> {
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

    fn stats(&mut self) -> Result<Stats, Diagnostic> {
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
        let next = self.peek(false)?;
        if is_word(&next.tok, "offset") {
            return Err(
                Diagnostic::new("`stats ... offset` is not supported yet", next.span)
                    .with_label("not supported yet")
                    .with_hint("remove `offset` and use --start/--end to choose the time range"),
            );
        }
        Ok(Stats {
            aggregates,
            group_by,
        })
    }

    fn sort_keys(&mut self) -> Result<Vec<SortKey>, Diagnostic> {
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

    fn enter(&mut self, span: Span) -> Result<(), Diagnostic> {
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
    fn expr(&mut self) -> Result<Expr, Diagnostic> {
        let mut left = self.and_expr()?;
        while self.eat_word("or")?.is_some() {
            let right = self.and_expr()?;
            left = binary(BinaryOp::Or, left, right);
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Expr, Diagnostic> {
        let mut left = self.not_expr()?;
        while self.eat_word("and")?.is_some() {
            let right = self.not_expr()?;
            left = binary(BinaryOp::And, left, right);
        }
        Ok(left)
    }

    fn not_expr(&mut self) -> Result<Expr, Diagnostic> {
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

    fn comparison(&mut self) -> Result<Expr, Diagnostic> {
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
            if open.tok != Tok::Punct("[") {
                return Err(self
                    .expected("a list in `[...]`", &open)
                    .with_hint("write e.g. `level in [\"ERROR\", \"WARN\"]`"));
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

    fn match_pattern(&mut self) -> Result<Expr, Diagnostic> {
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

    fn additive(&mut self) -> Result<Expr, Diagnostic> {
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

    fn multiplicative(&mut self) -> Result<Expr, Diagnostic> {
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

    fn power(&mut self) -> Result<Expr, Diagnostic> {
        let base = self.unary()?;
        if self.eat_punct("^")?.is_some() {
            self.enter(base.span)?;
            let exponent = self.power()?;
            self.depth -= 1;
            return Ok(binary(BinaryOp::Pow, base, exponent));
        }
        Ok(base)
    }

    fn unary(&mut self) -> Result<Expr, Diagnostic> {
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

    fn primary(&mut self) -> Result<Expr, Diagnostic> {
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
        self.reject_access()?;
        Ok(Expr { kind, span })
    }

    /// Map and list access (`x[0]`, `jsonParse(x).y`) belong to a later version.
    fn reject_access(&self) -> Result<(), Diagnostic> {
        let at = crate::lexer::skip_trivia(self.src, self.pos);
        let rest = &self.src[at..];
        if rest.starts_with('[') || (rest.starts_with('.') && !rest.starts_with("..")) {
            return Err(Diagnostic::new(
                "map and list access (`x[0]`, `f(x).key`) is not supported yet",
                Span::new(at, at + 1),
            )
            .with_label("not supported yet")
            .with_hint("flattened JSON fields are reached with dots, e.g. `users.1.action`"));
        }
        Ok(())
    }

    fn call(&mut self, name: String, name_span: Span) -> Result<Expr, Diagnostic> {
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
        self.reject_access()?;
        Ok(Expr {
            kind: ExprKind::Call {
                name,
                name_span,
                args,
            },
            span: Span::new(name_span.start, self.pos),
        })
    }
}

fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    let span = left.span.to(right.span);
    Expr {
        kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
        span,
    }
}

fn like(expr: Expr, pattern: Expr, negated: bool) -> Expr {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn one_expr(src: &str) -> Expr {
        let q = parse(&format!("filter {src}")).unwrap();
        match &q.commands[0].kind {
            CommandKind::Filter(e) => e.clone(),
            other => panic!("not a filter: {other:?}"),
        }
    }

    #[test]
    fn precedence() {
        let e = one_expr("a + b * c = 7 and not x or y");
        let ExprKind::Binary(BinaryOp::Or, left, _) = e.kind else {
            panic!()
        };
        let ExprKind::Binary(BinaryOp::And, cmp, not) = left.kind else {
            panic!()
        };
        assert!(matches!(not.kind, ExprKind::Unary(UnaryOp::Not, _)));
        let ExprKind::Binary(BinaryOp::Eq, sum, _) = cmp.kind else {
            panic!()
        };
        let ExprKind::Binary(BinaryOp::Add, _, product) = sum.kind else {
            panic!()
        };
        assert!(matches!(
            product.kind,
            ExprKind::Binary(BinaryOp::Mul, _, _)
        ));
    }

    #[test]
    fn regex_versus_division() {
        let e = one_expr("a / 2 > 1 and msg like /x\\/y/");
        let ExprKind::Binary(BinaryOp::And, l, r) = e.kind else {
            panic!()
        };
        assert!(matches!(l.kind, ExprKind::Binary(BinaryOp::Gt, _, _)));
        let ExprKind::Like {
            pattern,
            negated: false,
            ..
        } = r.kind
        else {
            panic!()
        };
        assert_eq!(pattern.kind, ExprKind::Regex("x/y".into()));
    }

    #[test]
    fn not_like_and_not_in() {
        assert!(matches!(
            one_expr("x not like 'a'").kind,
            ExprKind::Like { negated: true, .. }
        ));
        assert!(matches!(
            one_expr("x NOT IN [1, 'b']").kind,
            ExprKind::In { negated: true, .. }
        ));
    }

    #[test]
    fn errors_have_hints() {
        let src = "stats count() by";
        let err = parse(src).unwrap_err();
        assert_eq!(err.message, "expected a group key after `by`");
        assert!(err.hint.unwrap().contains("by service"));
        let err = parse("fitler x = 1").unwrap_err();
        assert_eq!(err.hint.as_deref(), Some("did you mean `filter`?"));
        let err = parse("parse @message 'a * b' as x").unwrap_err();
        assert!(err.message.contains("not supported yet"));
        assert!(parse("").is_err());
        assert!(parse("fields a |").is_err());
        assert!(parse(&"(".repeat(10_000)).is_err());
    }
}
