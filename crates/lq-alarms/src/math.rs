//! The metric math language: its syntax tree and parser (`(m1 / m2) * 100`, `IF(m1 > 5, m1, 0)`).
//!
//! Numbers, metric names, `+ - * /`, comparisons (`> >= < <= == !=`, giving 1 or 0), `AND`, `OR`,
//! `NOT`, parentheses and function calls written in capitals as CloudWatch writes them. The same
//! syntax carries composite alarms: `ALARM(a) AND NOT ALARM("checkout-errors")` (names with a
//! hyphen quoted).

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A number.
    Number(f64),
    /// A quoted name (`"checkout-errors"`), as composite alarms name other alarms.
    Text(String),
    /// A metric by name (`m1`); `at` is its 0-based byte offset.
    Metric {
        /// The name.
        name: String,
        /// Where it is written.
        at: usize,
    },
    /// A function call; `at` is the name's byte offset.
    Call {
        /// The function, in capitals.
        name: String,
        /// Its arguments.
        args: Vec<Expr>,
        /// Where it is written.
        at: usize,
    },
    /// `-x` or `NOT x`.
    Unary(UnaryOp, Box<Expr>),
    /// `a op b`.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
}

/// A prefix operator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UnaryOp {
    /// `-x`
    Negate,
    /// `NOT x`
    Not,
}

/// An infix operator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BinaryOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `AND`
    And,
    /// `OR`
    Or,
}

/// A parse error at a byte offset of the text.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    /// 0-based byte offset.
    pub at: usize,
    /// What is wrong.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(f64),
    Word(String),
    Text(String),
    Op(&'static str),
    Open,
    Close,
    Comma,
}

fn lex(text: &str) -> Result<Vec<(Token, usize)>, ParseError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            while i < bytes.len()
                && (bytes[i].is_ascii_digit()
                    || bytes[i] == b'.'
                    || bytes[i] == b'e'
                    || bytes[i] == b'E'
                    || ((bytes[i] == b'-' || bytes[i] == b'+')
                        && matches!(bytes[i - 1], b'e' | b'E')))
            {
                i += 1;
            }
            let n: f64 = text[start..i].parse().map_err(|_| ParseError {
                at: start,
                message: format!("`{}` is not a number", &text[start..i]),
            })?;
            out.push((Token::Number(n), start));
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.push((Token::Word(text[start..i].to_string()), start));
            continue;
        }
        if c == b'"' || c == b'\'' {
            let Some(len) = text[i + 1..].find(c as char) else {
                return Err(ParseError {
                    at: start,
                    message: "the quoted name is not closed".into(),
                });
            };
            out.push((Token::Text(text[i + 1..i + 1 + len].to_string()), start));
            i += len + 2;
            continue;
        }
        let two = text.get(i..i + 2).unwrap_or("");
        let op: Option<&'static str> = match two {
            ">=" => Some(">="),
            "<=" => Some("<="),
            "==" => Some("=="),
            "!=" => Some("!="),
            _ => None,
        };
        if let Some(op) = op {
            out.push((Token::Op(op), start));
            i += 2;
            continue;
        }
        let token = match c {
            b'+' => Token::Op("+"),
            b'-' => Token::Op("-"),
            b'*' => Token::Op("*"),
            b'/' => Token::Op("/"),
            b'>' => Token::Op(">"),
            b'<' => Token::Op("<"),
            b'=' => Token::Op("=="),
            b'(' => Token::Open,
            b')' => Token::Close,
            b',' => Token::Comma,
            _ => {
                let ch = text[i..].chars().next().unwrap_or('?');
                return Err(ParseError {
                    at: i,
                    message: format!("unexpected `{ch}`"),
                });
            }
        };
        out.push((token, start));
        i += 1;
    }
    Ok(out)
}

/// Parses a metric math expression.
///
/// ```
/// use lq_alarms::math::{parse, Expr, BinaryOp};
/// let e = parse("(m1 / m2) * 100").unwrap();
/// assert!(matches!(e, Expr::Binary(BinaryOp::Mul, _, _)));
/// assert_eq!(parse("m1 +").unwrap_err().at, 4);
/// ```
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let tokens = lex(text)?;
    let mut p = Parser {
        tokens,
        pos: 0,
        end: text.len(),
        depth: 0,
    };
    let e = p.expr(0)?;
    if let Some((t, at)) = p.tokens.get(p.pos) {
        return Err(ParseError {
            at: *at,
            message: format!("unexpected {} after a complete expression", describe(t)),
        });
    }
    Ok(e)
}

fn describe(t: &Token) -> String {
    match t {
        Token::Number(n) => format!("number {n}"),
        Token::Word(w) => format!("`{w}`"),
        Token::Text(t) => format!("\"{t}\""),
        Token::Op(o) => format!("`{o}`"),
        Token::Open => "`(`".into(),
        Token::Close => "`)`".into(),
        Token::Comma => "`,`".into(),
    }
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    pos: usize,
    end: usize,
    depth: usize,
}

/// Deeper nesting than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 200;

fn binary(token: &Token) -> Option<(BinaryOp, u8)> {
    Some(match token {
        Token::Word(w) if w == "OR" => (BinaryOp::Or, 1),
        Token::Word(w) if w == "AND" => (BinaryOp::And, 2),
        Token::Op("==") => (BinaryOp::Eq, 3),
        Token::Op("!=") => (BinaryOp::Ne, 3),
        Token::Op(">") => (BinaryOp::Gt, 4),
        Token::Op(">=") => (BinaryOp::Ge, 4),
        Token::Op("<") => (BinaryOp::Lt, 4),
        Token::Op("<=") => (BinaryOp::Le, 4),
        Token::Op("+") => (BinaryOp::Add, 5),
        Token::Op("-") => (BinaryOp::Sub, 5),
        Token::Op("*") => (BinaryOp::Mul, 6),
        Token::Op("/") => (BinaryOp::Div, 6),
        _ => return None,
    })
}

impl Parser {
    fn here(&self) -> usize {
        self.tokens.get(self.pos).map_or(self.end, |t| t.1)
    }

    fn expr(&mut self, min: u8) -> Result<Expr, ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ParseError {
                at: self.here(),
                message: format!("nested more than {MAX_DEPTH} deep"),
            });
        }
        let mut left = self.prefix()?;
        while let Some((op, prec)) = self.tokens.get(self.pos).and_then(|t| binary(&t.0)) {
            if prec <= min {
                break;
            }
            self.pos += 1;
            let right = self.expr(prec)?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn prefix(&mut self) -> Result<Expr, ParseError> {
        let Some((token, at)) = self.tokens.get(self.pos).cloned() else {
            return Err(ParseError {
                at: self.end,
                message: "the expression ends where a value was expected".into(),
            });
        };
        self.pos += 1;
        match token {
            Token::Number(n) => Ok(Expr::Number(n)),
            Token::Text(t) => Ok(Expr::Text(t)),
            Token::Op("-") => Ok(Expr::Unary(UnaryOp::Negate, Box::new(self.expr(6)?))),
            Token::Word(w) if w == "NOT" => Ok(Expr::Unary(UnaryOp::Not, Box::new(self.expr(2)?))),
            Token::Open => {
                let e = self.expr(0)?;
                self.expect_close(at)?;
                Ok(e)
            }
            Token::Word(w) if matches!(self.tokens.get(self.pos), Some((Token::Open, _))) => {
                self.pos += 1;
                let mut args = Vec::new();
                if !matches!(self.tokens.get(self.pos), Some((Token::Close, _))) {
                    loop {
                        args.push(self.expr(0)?);
                        if matches!(self.tokens.get(self.pos), Some((Token::Comma, _))) {
                            self.pos += 1;
                        } else {
                            break;
                        }
                    }
                }
                self.expect_close(at)?;
                Ok(Expr::Call { name: w, args, at })
            }
            Token::Word(w) if w == "AND" || w == "OR" => Err(ParseError {
                at,
                message: format!("`{w}` needs a value before it"),
            }),
            Token::Word(w) => Ok(Expr::Metric { name: w, at }),
            other => Err(ParseError {
                at,
                message: format!(
                    "expected a number, a metric or a function, found {}",
                    describe(&other)
                ),
            }),
        }
    }

    fn expect_close(&mut self, open: usize) -> Result<(), ParseError> {
        match self.tokens.get(self.pos) {
            Some((Token::Close, _)) => {
                self.pos += 1;
                Ok(())
            }
            Some((t, at)) => Err(ParseError {
                at: *at,
                message: format!(
                    "expected `)` (to close the one at column {}), found {}",
                    open + 1,
                    describe(t)
                ),
            }),
            None => Err(ParseError {
                at: self.end,
                message: format!("`(` at column {} is not closed", open + 1),
            }),
        }
    }
}

/// Every metric name the expression refers to, with its offset, in order of appearance.
pub fn metric_names(e: &Expr) -> Vec<(&str, usize)> {
    let mut out = Vec::new();
    fn walk<'a>(e: &'a Expr, out: &mut Vec<(&'a str, usize)>) {
        match e {
            Expr::Number(_) | Expr::Text(_) => {}
            Expr::Metric { name, at } => out.push((name, *at)),
            Expr::Call { args, .. } => args.iter().for_each(|a| walk(a, out)),
            Expr::Unary(_, x) => walk(x, out),
            Expr::Binary(_, a, b) => {
                walk(a, out);
                walk(b, out);
            }
        }
    }
    walk(e, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(name: &str, at: usize) -> Expr {
        Expr::Metric {
            name: name.into(),
            at,
        }
    }

    #[test]
    fn precedence_and_grouping() {
        assert_eq!(
            parse("m1 + m2 * 2").unwrap(),
            Expr::Binary(
                BinaryOp::Add,
                Box::new(m("m1", 0)),
                Box::new(Expr::Binary(
                    BinaryOp::Mul,
                    Box::new(m("m2", 5)),
                    Box::new(Expr::Number(2.0))
                ))
            )
        );
        assert_eq!(
            parse("(m1 - m2) - 1").unwrap(),
            Expr::Binary(
                BinaryOp::Sub,
                Box::new(Expr::Binary(
                    BinaryOp::Sub,
                    Box::new(m("m1", 1)),
                    Box::new(m("m2", 6))
                )),
                Box::new(Expr::Number(1.0))
            )
        );
        assert_eq!(
            parse("a > 1 AND NOT b < 2 OR c == 3").unwrap(),
            Expr::Binary(
                BinaryOp::Or,
                Box::new(Expr::Binary(
                    BinaryOp::And,
                    Box::new(Expr::Binary(
                        BinaryOp::Gt,
                        Box::new(m("a", 0)),
                        Box::new(Expr::Number(1.0))
                    )),
                    Box::new(Expr::Unary(
                        UnaryOp::Not,
                        Box::new(Expr::Binary(
                            BinaryOp::Lt,
                            Box::new(m("b", 14)),
                            Box::new(Expr::Number(2.0))
                        ))
                    ))
                )),
                Box::new(Expr::Binary(
                    BinaryOp::Eq,
                    Box::new(m("c", 23)),
                    Box::new(Expr::Number(3.0))
                ))
            )
        );
    }

    #[test]
    fn calls_and_quoted_names() {
        assert_eq!(
            parse("ALARM(\"checkout-errors\")").unwrap(),
            Expr::Call {
                name: "ALARM".into(),
                args: vec![Expr::Text("checkout-errors".into())],
                at: 0
            }
        );
        assert_eq!(
            parse("SUM(METRICS())").unwrap(),
            Expr::Call {
                name: "SUM".into(),
                args: vec![Expr::Call {
                    name: "METRICS".into(),
                    args: vec![],
                    at: 4
                }],
                at: 0
            }
        );
        assert_eq!(
            parse("m1-1").unwrap(),
            Expr::Binary(
                BinaryOp::Sub,
                Box::new(m("m1", 0)),
                Box::new(Expr::Number(1.0))
            )
        );
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = parse("(m1 / m2 * 100").unwrap_err();
        assert_eq!(
            (e.at, e.message.as_str()),
            (14, "`(` at column 1 is not closed")
        );
        assert_eq!(parse("m1 $ m2").unwrap_err().at, 3);
        assert_eq!(parse("m1 m2").unwrap_err().at, 3);
        assert_eq!(parse("FILL(m1, )").unwrap_err().at, 9);
        assert_eq!(
            parse(&"(".repeat(500)).unwrap_err().message,
            "nested more than 200 deep"
        );
    }
}
