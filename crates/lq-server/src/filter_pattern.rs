//! CloudWatch filter patterns (FilterLogEvents): terms (`ERROR`, `"two words"`, `-excluded`,
//! `?either ?or`), JSON patterns (`{ $.level = "ERROR" && $.latency > 500 }`), space-delimited
//! patterns (`[ip, user, ..., status = 5*, size > 1000]`) and regular expressions (`%regex%`).

use regex::Regex;
use serde_json::Value;

/// A parsed filter pattern.
#[derive(Debug, Clone)]
pub enum FilterPattern {
    /// Matches every event (an empty pattern).
    All,
    /// Terms.
    Terms {
        /// All must occur.
        all: Vec<String>,
        /// At least one must occur, if any.
        any: Vec<String>,
        /// None may occur.
        none: Vec<String>,
    },
    /// A condition on the fields of a JSON event.
    Json(Expr),
    /// Conditions on the space-separated fields of an event.
    Space(Vec<SpaceField>),
    /// A regular expression found in the event.
    Regex(Regex),
}

/// A condition of a JSON pattern.
#[derive(Debug, Clone)]
pub enum Expr {
    /// Both.
    And(Box<Expr>, Box<Expr>),
    /// Either.
    Or(Box<Expr>, Box<Expr>),
    /// A selector compared with a value.
    Compare(Vec<Step>, Op, Literal),
    /// `IS NULL`.
    IsNull(Vec<Step>),
    /// `NOT EXISTS`.
    NotExists(Vec<Step>),
    /// `IS TRUE` / `IS FALSE`.
    IsBool(Vec<Step>, bool),
}

/// One step of a selector: `.name` or `[index]`.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// An object key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// A value in a pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A number.
    Number(f64),
    /// Text (`*` matches any text).
    Text(String),
    /// `null`.
    Null,
}

/// One field of a space-delimited pattern.
#[derive(Debug, Clone)]
pub enum SpaceField {
    /// `...`: any number of fields.
    Ellipsis,
    /// A named field with conditions: any of the alternatives (`||`), each all of its
    /// comparisons (`&&`).
    Field(Vec<Vec<(Op, Literal)>>),
}

/// A pattern that does not parse, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid filter pattern: {0}")]
pub struct PatternError(pub String);

impl FilterPattern {
    /// Parses a pattern.
    pub fn parse(text: &str) -> Result<FilterPattern, PatternError> {
        let t = text.trim();
        if t.is_empty() || t == "\"\"" {
            return Ok(FilterPattern::All);
        }
        if t.starts_with('{') {
            let inner = t
                .strip_suffix('}')
                .ok_or_else(|| PatternError("a JSON pattern ends with }".into()))?;
            let mut p = Parser::new(&inner[1..]);
            let expr = p.or()?;
            p.end()?;
            return Ok(FilterPattern::Json(expr));
        }
        if t.starts_with('[') {
            let inner = t
                .strip_suffix(']')
                .ok_or_else(|| PatternError("a space-delimited pattern ends with ]".into()))?;
            return space_pattern(&inner[1..]).map(FilterPattern::Space);
        }
        if t.len() >= 2 && t.starts_with('%') && t.ends_with('%') {
            return Regex::new(&t[1..t.len() - 1])
                .map(FilterPattern::Regex)
                .map_err(|e| PatternError(e.to_string()));
        }
        let (mut all, mut any, mut none) = (Vec::new(), Vec::new(), Vec::new());
        for word in words(t)? {
            if let Some(w) = word.strip_prefix('?') {
                any.push(unquote(w));
            } else if let Some(w) = word.strip_prefix('-').filter(|w| !w.is_empty()) {
                none.push(unquote(w));
            } else {
                all.push(unquote(&word));
            }
        }
        Ok(FilterPattern::Terms { all, any, none })
    }

    /// Whether `message` matches.
    pub fn matches(&self, message: &str) -> bool {
        match self {
            FilterPattern::All => true,
            FilterPattern::Terms { all, any, none } => {
                all.iter().all(|t| message.contains(t.as_str()))
                    && (any.is_empty() || any.iter().any(|t| message.contains(t.as_str())))
                    && !none.iter().any(|t| message.contains(t.as_str()))
            }
            FilterPattern::Json(expr) => serde_json::from_str::<Value>(message)
                .is_ok_and(|v| v.is_object() && eval(expr, &v)),
            FilterPattern::Space(fields) => space_matches(fields, &split_fields(message)),
            FilterPattern::Regex(re) => re.is_match(message),
        }
    }
}

/// Words of a terms pattern, quoted phrases kept whole (with their quotes).
fn words(text: &str) -> Result<Vec<String>, PatternError> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut word = String::new();
        let mut quoted = false;
        while let Some(&c) = chars.peek() {
            if c == '"' {
                quoted = !quoted;
            } else if c.is_whitespace() && !quoted {
                break;
            }
            word.push(c);
            chars.next();
        }
        if quoted {
            return Err(PatternError(format!("unclosed quote in {word}")));
        }
        out.push(word);
    }
    Ok(out)
}

fn unquote(word: &str) -> String {
    word.strip_prefix('"')
        .and_then(|w| w.strip_suffix('"'))
        .unwrap_or(word)
        .to_string()
}

/// Text matched with `*` as any text.
fn wildcard_eq(pattern: &str, text: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == text;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

fn compare(op: Op, value: Option<&Value>, literal: &Literal) -> bool {
    match literal {
        Literal::Number(n) => {
            let v = match value {
                Some(Value::Number(x)) => x.as_f64(),
                _ => None,
            };
            let Some(v) = v else {
                return op == Op::Ne && value.is_some();
            };
            match op {
                Op::Eq => v == *n,
                Op::Ne => v != *n,
                Op::Lt => v < *n,
                Op::Le => v <= *n,
                Op::Gt => v > *n,
                Op::Ge => v >= *n,
            }
        }
        Literal::Text(t) => {
            let text = match value {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                Some(Value::Bool(b)) => Some(b.to_string()),
                _ => None,
            };
            match (op, text) {
                (Op::Eq, Some(s)) => wildcard_eq(t, &s),
                (Op::Ne, Some(s)) => !wildcard_eq(t, &s),
                _ => false,
            }
        }
        Literal::Null => match op {
            Op::Eq => value == Some(&Value::Null),
            Op::Ne => value.is_some_and(|v| !v.is_null()),
            _ => false,
        },
    }
}

fn select<'v>(root: &'v Value, path: &[Step]) -> Option<&'v Value> {
    path.iter().try_fold(root, |v, step| match step {
        Step::Key(k) => v.get(k),
        Step::Index(i) => v.get(*i),
    })
}

fn eval(expr: &Expr, root: &Value) -> bool {
    match expr {
        Expr::And(a, b) => eval(a, root) && eval(b, root),
        Expr::Or(a, b) => eval(a, root) || eval(b, root),
        Expr::Compare(path, op, lit) => compare(*op, select(root, path), lit),
        Expr::IsNull(path) => select(root, path).is_some_and(Value::is_null),
        Expr::NotExists(path) => select(root, path).is_none(),
        Expr::IsBool(path, b) => select(root, path) == Some(&Value::Bool(*b)),
    }
}

/// A small recursive-descent parser over a pattern's text.
struct Parser<'a> {
    rest: &'a str,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser { rest: text }
    }

    fn skip(&mut self) {
        self.rest = self.rest.trim_start();
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip();
        if self.rest.starts_with(token) {
            self.rest = &self.rest[token.len()..];
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, word: &str) -> bool {
        self.skip();
        let n = word.len();
        if self.rest.len() >= n
            && self.rest[..n].eq_ignore_ascii_case(word)
            && !self.rest[n..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
        {
            self.rest = &self.rest[n..];
            true
        } else {
            false
        }
    }

    /// Passes the field name repeated before each condition of a space-delimited field.
    fn skip_name(&mut self) {
        self.skip();
        self.rest = &self.rest[name_len(self.rest)..];
    }

    fn end(&mut self) -> Result<(), PatternError> {
        self.skip();
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(PatternError(format!("unexpected text: {}", self.rest)))
        }
    }

    fn or(&mut self) -> Result<Expr, PatternError> {
        let mut left = self.and()?;
        while self.eat("||") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, PatternError> {
        let mut left = self.unary()?;
        while self.eat("&&") {
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, PatternError> {
        if self.eat("(") {
            let e = self.or()?;
            if !self.eat(")") {
                return Err(PatternError("a ( is not closed".into()));
            }
            return Ok(e);
        }
        let path = self.selector()?;
        if self.eat_word("IS") {
            if self.eat_word("NULL") {
                return Ok(Expr::IsNull(path));
            }
            if self.eat_word("TRUE") {
                return Ok(Expr::IsBool(path, true));
            }
            if self.eat_word("FALSE") {
                return Ok(Expr::IsBool(path, false));
            }
            return Err(PatternError("IS takes NULL, TRUE or FALSE".into()));
        }
        if self.eat_word("NOT") {
            if self.eat_word("EXISTS") {
                return Ok(Expr::NotExists(path));
            }
            return Err(PatternError("NOT takes EXISTS".into()));
        }
        let op = self.op()?;
        let literal = self.literal()?;
        if matches!(literal, Literal::Text(_)) && !matches!(op, Op::Eq | Op::Ne) {
            return Err(PatternError("text is compared with = or != only".into()));
        }
        Ok(Expr::Compare(path, op, literal))
    }

    fn selector(&mut self) -> Result<Vec<Step>, PatternError> {
        if !self.eat("$") {
            return Err(PatternError(format!(
                "a JSON selector starts with $: {}",
                self.rest
            )));
        }
        let mut path = Vec::new();
        loop {
            if self.rest.starts_with('.') {
                self.rest = &self.rest[1..];
                let end = self
                    .rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '@'))
                    .unwrap_or(self.rest.len());
                if end == 0 {
                    return Err(PatternError("a . is followed by a key".into()));
                }
                path.push(Step::Key(self.rest[..end].to_string()));
                self.rest = &self.rest[end..];
            } else if self.rest.starts_with('[') {
                let close = self
                    .rest
                    .find(']')
                    .ok_or_else(|| PatternError("a [ is not closed".into()))?;
                let index = self.rest[1..close]
                    .trim()
                    .parse()
                    .map_err(|_| PatternError("an index is a number".into()))?;
                path.push(Step::Index(index));
                self.rest = &self.rest[close + 1..];
            } else {
                return Ok(path);
            }
        }
    }

    fn op(&mut self) -> Result<Op, PatternError> {
        for (token, op) in [
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("=", Op::Eq),
            ("<", Op::Lt),
            (">", Op::Gt),
        ] {
            if self.eat(token) {
                return Ok(op);
            }
        }
        Err(PatternError(format!(
            "expected a comparison at: {}",
            self.rest
        )))
    }

    fn literal(&mut self) -> Result<Literal, PatternError> {
        self.skip();
        if let Some(rest) = self.rest.strip_prefix('"') {
            let end = rest
                .find('"')
                .ok_or_else(|| PatternError("a quote is not closed".into()))?;
            self.rest = &rest[end + 1..];
            return Ok(Literal::Text(rest[..end].to_string()));
        }
        let end = self
            .rest
            .find(|c: char| c.is_whitespace() || c == ')' || c == '&' || c == '|' || c == ',')
            .unwrap_or(self.rest.len());
        let word = &self.rest[..end];
        if word.is_empty() {
            return Err(PatternError("a comparison needs a value".into()));
        }
        self.rest = &self.rest[end..];
        if word.eq_ignore_ascii_case("null") {
            return Ok(Literal::Null);
        }
        Ok(match word.parse::<f64>() {
            Ok(n) => Literal::Number(n),
            Err(_) => Literal::Text(word.to_string()),
        })
    }
}

/// The length of the field name `text` starts with.
fn name_len(text: &str) -> usize {
    text.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(text.len())
}

fn space_pattern(text: &str) -> Result<Vec<SpaceField>, PatternError> {
    let mut fields = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        if part == "..." {
            fields.push(SpaceField::Ellipsis);
            continue;
        }
        if part.is_empty() {
            return Err(PatternError("an empty field in [...]".into()));
        }
        let name_end = name_len(part);
        if name_end == 0 {
            return Err(PatternError(format!("a field needs a name: {part}")));
        }
        let mut p = Parser::new(&part[name_end..]);
        let mut alternatives = Vec::new();
        p.skip();
        if !p.rest.is_empty() {
            loop {
                let mut all = Vec::new();
                loop {
                    let op = p.op()?;
                    all.push((op, p.literal()?));
                    if p.eat("&&") {
                        p.skip_name();
                        continue;
                    }
                    break;
                }
                alternatives.push(all);
                if p.eat("||") {
                    p.skip_name();
                    continue;
                }
                break;
            }
            p.end()?;
        }
        fields.push(SpaceField::Field(alternatives));
    }
    Ok(fields)
}

/// The fields of a message: runs of non-spaces, with `"..."` and `[...]` each one field (their
/// brackets and quotes removed).
fn split_fields(message: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = message.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b' ' || bytes[i] == b'\t' {
            i += 1;
            continue;
        }
        let close = match bytes[i] {
            b'"' => Some(b'"'),
            b'[' => Some(b']'),
            _ => None,
        };
        if let Some(close) = close
            && let Some(end) = message[i + 1..].find(close as char)
        {
            out.push(&message[i + 1..i + 1 + end]);
            i += end + 2;
            continue;
        }
        let end = message[i..]
            .find([' ', '\t'])
            .map(|e| i + e)
            .unwrap_or(bytes.len());
        out.push(&message[i..end]);
        i = end;
    }
    out
}

fn field_matches(alternatives: &[Vec<(Op, Literal)>], value: &str) -> bool {
    if alternatives.is_empty() {
        return true;
    }
    let as_json = match value.parse::<f64>() {
        Ok(n) => serde_json::Number::from_f64(n)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(value.to_string())),
        Err(_) => Value::String(value.to_string()),
    };
    alternatives.iter().any(|all| {
        all.iter().all(|(op, lit)| match lit {
            Literal::Text(t) => match op {
                Op::Eq => wildcard_eq(t, value),
                Op::Ne => !wildcard_eq(t, value),
                _ => false,
            },
            _ => compare(*op, Some(&as_json), lit),
        })
    })
}

fn space_matches(pattern: &[SpaceField], fields: &[&str]) -> bool {
    match pattern.split_first() {
        None => fields.is_empty(),
        Some((SpaceField::Ellipsis, rest)) => {
            (0..=fields.len()).any(|skip| space_matches(rest, &fields[skip..]))
        }
        Some((SpaceField::Field(alternatives), rest)) => match fields.split_first() {
            Some((value, more)) => field_matches(alternatives, value) && space_matches(rest, more),
            None => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, message: &str) -> bool {
        FilterPattern::parse(pattern).unwrap().matches(message)
    }

    #[test]
    fn terms_all_any_and_excluded() {
        assert!(m("", "anything"));
        assert!(m("ERROR", "an ERROR here"));
        assert!(!m("ERROR", "an error here"), "terms are case-sensitive");
        assert!(m("ERROR timeout", "ERROR: a timeout"));
        assert!(!m("ERROR timeout", "ERROR: refused"));
        assert!(m("\"checkout failed\"", "the checkout failed again"));
        assert!(!m("\"checkout failed\"", "failed checkout"));
        assert!(m("?ERROR ?WARN", "WARN disk"));
        assert!(!m("?ERROR ?WARN", "INFO disk"));
        assert!(m("ERROR -timeout", "ERROR refused"));
        assert!(!m("ERROR -timeout", "ERROR timeout"));
    }

    #[test]
    fn json_patterns_compare_fields() {
        let e = r#"{"level":"ERROR","latency":730,"user":{"id":"u-7"},"tags":["a","b"],"ok":false,"gone":null}"#;
        assert!(m(r#"{ $.level = "ERROR" }"#, e));
        assert!(m("{ $.level = ERROR }", e));
        assert!(m(r#"{ $.level = "ERR*" }"#, e));
        assert!(!m(r#"{ $.level = "INFO" }"#, e));
        assert!(m("{ $.latency > 500 }", e));
        assert!(!m("{ $.latency >= 731 }", e));
        assert!(m(r#"{ $.user.id = "u-7" && $.latency < 1000 }"#, e));
        assert!(m(
            r#"{ ($.level = "INFO" || $.latency = 730) && $.tags[1] = "b" }"#,
            e
        ));
        assert!(m("{ $.ok IS FALSE }", e));
        assert!(m("{ $.gone IS NULL }", e));
        assert!(m("{ $.missing NOT EXISTS }", e));
        assert!(!m("{ $.level NOT EXISTS }", e));
        assert!(!m(r#"{ $.level = "ERROR" }"#, "level=ERROR"), "not JSON");
        assert!(FilterPattern::parse("{ $.a = }").is_err());
        assert!(FilterPattern::parse("{ level = 1 }").is_err());
    }

    #[test]
    fn space_delimited_patterns_match_fields_in_order() {
        let line =
            r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 404 2326"#;
        assert_eq!(split_fields(line).len(), 7);
        assert!(m(
            "[ip, id, user, timestamp, request, status_code = 404, size]",
            line
        ));
        assert!(m(
            "[ip, id, user, timestamp, request, status_code = 4*, size > 1000]",
            line
        ));
        assert!(!m(
            "[ip, id, user, timestamp, request, status_code = 200, size]",
            line
        ));
        assert!(m(
            "[..., status_code = 404 || status_code = 500, size]",
            line
        ));
        assert!(m("[ip = 127.0.0.1, ...]", line));
        assert!(
            !m("[ip, user]", line),
            "without ... the field count must match"
        );
        assert!(m("[..., size >= 2000 && size < 3000]", line));
    }

    #[test]
    fn regular_expressions_between_percent_signs() {
        assert!(m("%time ?out%", "a timeout"));
        assert!(!m("%^ERROR%", "an ERROR"));
    }
}
