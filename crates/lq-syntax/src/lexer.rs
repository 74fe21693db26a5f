//! Tokens of the query language. The parser pulls tokens one at a time and tells the lexer whether an
//! operand is expected, which decides between `/` as division and `/` as the start of a regex literal.

use nom::{
    IResult, Parser,
    bytes::complete::{take_while, take_while1},
    character::complete::{char, digit1, one_of},
    combinator::{opt, recognize},
    sequence::pair,
};

use crate::ast::{Duration, Number, TimeUnit};
use crate::diagnostic::Diagnostic;
use crate::span::Span;

/// A token kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A plain identifier: a keyword, function name or simple field name.
    Word(String),
    /// A field name that is not a plain identifier: `@x`, `a.b.0.c`, `` `foo-bar` ``.
    Field(String),
    /// A string literal, unescaped.
    Str(String),
    /// A number literal.
    Num(Number),
    /// A period literal such as `5m`.
    Dur(Duration),
    /// A regex literal, the pattern between the slashes.
    Regex(String),
    /// An operator or punctuation mark.
    Punct(&'static str),
    /// End of the query.
    Eof,
}

impl Tok {
    /// How the token is described in "expected ..., found ..." messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Word(w) => format!("`{w}`"),
            Tok::Field(f) => format!("field `{f}`"),
            Tok::Str(_) => "a string".to_string(),
            Tok::Num(_) => "a number".to_string(),
            Tok::Dur(_) => "a time period".to_string(),
            Tok::Regex(_) => "a regular expression".to_string(),
            Tok::Punct(p) => format!("`{p}`"),
            Tok::Eof => "the end of the query".to_string(),
        }
    }
}

/// A token and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// What was read.
    pub tok: Tok,
    /// Where.
    pub span: Span,
}

const PUNCTS: &[&str] = &[
    "==", "!=", "<=", ">=", "=~", "|", ",", "(", ")", "[", "]", "+", "-", "*", "/", "%", "^", "=",
    "<", ">", "!", ":", "{", "}",
];

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn identifier(input: &str) -> IResult<&str, &str> {
    recognize(pair(take_while1(is_ident_start), take_while(is_ident_char))).parse(input)
}

fn number_text(input: &str) -> IResult<&str, &str> {
    recognize((
        digit1,
        opt(pair(char('.'), digit1)),
        opt((one_of("eE"), opt(one_of("+-")), digit1)),
    ))
    .parse(input)
}

/// Skips whitespace and `#` comments; returns the offset of the next token.
pub fn skip_trivia(src: &str, mut pos: usize) -> usize {
    loop {
        let rest = &src[pos..];
        let trimmed = rest.trim_start();
        pos += rest.len() - trimmed.len();
        if trimmed.starts_with('#') {
            pos += trimmed.find('\n').unwrap_or(trimmed.len());
        } else {
            return pos;
        }
    }
}

/// Reads the token at `pos` (after trivia). `operand_expected` makes `/` start a regex literal.
pub fn next_token(src: &str, pos: usize, operand_expected: bool) -> Result<Token, Diagnostic> {
    let start = skip_trivia(src, pos);
    let rest = &src[start..];
    let Some(c) = rest.chars().next() else {
        return Ok(Token {
            tok: Tok::Eof,
            span: Span::new(start, start),
        });
    };
    let token = |tok, len: usize| {
        Ok(Token {
            tok,
            span: Span::new(start, start + len),
        })
    };
    match c {
        '"' | '\'' => {
            let (text, len) = string_literal(rest, c).ok_or_else(|| {
                Diagnostic::new("unterminated string", Span::new(start, start + 1))
                    .with_label("this quote is never closed")
                    .with_hint(format!("add a closing {c}"))
            })?;
            token(Tok::Str(text), len)
        }
        '/' if operand_expected => {
            let (pattern, len) = regex_literal(rest).ok_or_else(|| {
                Diagnostic::new(
                    "unterminated regular expression",
                    Span::new(start, start + 1),
                )
                .with_label("this `/` starts a regular expression that is never closed")
                .with_hint("close it with `/`; write a slash inside it as `\\/`")
            })?;
            token(Tok::Regex(pattern), len)
        }
        '`' => field_name(src, start),
        '@' => field_name(src, start),
        c if c.is_ascii_digit() => number_or_duration(src, start),
        c if is_ident_start(c) => field_name(src, start),
        _ => {
            for p in PUNCTS {
                if rest.starts_with(p) {
                    return token(Tok::Punct(p), p.len());
                }
            }
            Err(Diagnostic::new(
                format!("unexpected character `{}`", c.escape_debug()),
                Span::new(start, start + c.len_utf8()),
            )
            .with_label("not part of the query language")
            .with_hint("put field names with special characters in backticks, e.g. `my-field`"))
        }
    }
}

/// `text` as a single-quoted string literal that reads back as `text` (for queries built by
/// programs, e.g. a server filtering on a stream name).
pub fn quote_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn string_literal(rest: &str, quote: char) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = rest.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        if c == quote {
            return Some((out, i + 1));
        }
        if c == '\\' {
            let (_, e) = chars.next()?;
            match e {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '\\' | '"' | '\'' => out.push(e),
                other => {
                    out.push('\\');
                    out.push(other);
                }
            }
        } else {
            out.push(c);
        }
    }
    None
}

fn regex_literal(rest: &str) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = rest.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '/' => return Some((out, i + 1)),
            '\\' => {
                let (_, e) = chars.next()?;
                if e != '/' {
                    out.push('\\');
                }
                out.push(e);
            }
            _ => out.push(c),
        }
    }
    None
}

fn backtick(src: &str, at: usize) -> Result<(String, usize), Diagnostic> {
    let rest = &src[at + 1..];
    match rest.find('`') {
        Some(end) => Ok((rest[..end].to_string(), at + 1 + end + 1)),
        None => Err(
            Diagnostic::new("unterminated backtick name", Span::new(at, at + 1))
                .with_label("this backtick is never closed")
                .with_hint("close the field name with `"),
        ),
    }
}

/// One name segment at `at`: an identifier, digits (after a dot) or a backtick-quoted name.
fn segment(
    src: &str,
    at: usize,
    allow_digits: bool,
) -> Result<Option<(String, usize)>, Diagnostic> {
    let rest = &src[at..];
    if rest.starts_with('`') {
        return backtick(src, at).map(Some);
    }
    if let Ok((after, id)) = identifier(rest) {
        return Ok(Some((id.to_string(), src.len() - after.len())));
    }
    if allow_digits {
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        if !digits.is_empty() {
            // `items.0instance` is not a name; keep digits-only segments whole.
            let end = at + digits.len();
            let tail = &src[end..];
            if let Ok((after, id)) = identifier(tail) {
                return Ok(Some((format!("{digits}{id}"), src.len() - after.len())));
            }
            return Ok(Some((digits, end)));
        }
    }
    Ok(None)
}

fn field_name(src: &str, start: usize) -> Result<Token, Diagnostic> {
    let mut pos = start;
    let mut name = String::new();
    let mut plain = true;
    while src[pos..].starts_with('@') {
        name.push('@');
        pos += 1;
        plain = false;
    }
    if src[pos..].starts_with('`') {
        plain = false;
    }
    match segment(src, pos, false)? {
        Some((seg, end)) => {
            name.push_str(&seg);
            pos = end;
        }
        None => {
            return Err(
                Diagnostic::new("expected a field name after `@`", Span::new(start, pos))
                    .with_hint("system fields look like @timestamp, @message, @logStream"),
            );
        }
    }
    while src[pos..].starts_with('.') {
        match segment(src, pos + 1, true)? {
            Some((seg, end)) => {
                name.push('.');
                name.push_str(&seg);
                pos = end;
                plain = false;
            }
            None => break,
        }
    }
    let tok = if plain {
        Tok::Word(name)
    } else {
        Tok::Field(name)
    };
    Ok(Token {
        tok,
        span: Span::new(start, pos),
    })
}

fn number_or_duration(src: &str, start: usize) -> Result<Token, Diagnostic> {
    let rest = &src[start..];
    let (after, text) = number_text(rest)
        .map_err(|_| Diagnostic::new("invalid number", Span::new(start, start + 1)))?;
    let mut end = start + text.len();
    let is_int = text.bytes().all(|b| b.is_ascii_digit());
    if after.starts_with(is_ident_start) {
        let word: String = after.chars().take_while(|c| is_ident_char(*c)).collect();
        let unit = TimeUnit::SPELLINGS
            .iter()
            .find(|(spelling, _)| word.eq_ignore_ascii_case(spelling))
            .map(|(_, unit)| *unit);
        let span = Span::new(start, end + word.len());
        return match (unit, is_int) {
            (Some(unit), true) => {
                let amount = text.parse::<u64>().map_err(|_| {
                    Diagnostic::new("time period is too large", span)
                })?;
                end += word.len();
                Ok(Token {
                    tok: Tok::Dur(Duration { amount, unit }),
                    span: Span::new(start, end),
                })
            }
            (Some(_), false) => Err(Diagnostic::new(
                "a time period needs a whole number",
                span,
            )
            .with_hint("write e.g. 90s instead of 1.5m")),
            (None, _) => Err(Diagnostic::new(format!("`{text}{word}` is not a number or a time period"), span)
                .with_label("unknown unit")
                .with_hint("time periods are written like 100ms, 30s, 5m, 1h, 1d, 1w, 1mo, 1q, 1y; put a space after a number that is followed by a name")),
        };
    }
    let number = if is_int {
        match text.parse::<i64>() {
            Ok(i) => Number::Int(i),
            Err(_) => Number::Float(text.parse::<f64>().unwrap_or(f64::INFINITY)),
        }
    } else {
        match text.parse::<f64>() {
            Ok(f) => Number::Float(f),
            Err(_) => {
                return Err(Diagnostic::new("invalid number", Span::new(start, end)));
            }
        }
    };
    Ok(Token {
        tok: Tok::Num(number),
        span: Span::new(start, end),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        let mut pos = 0;
        let mut out = Vec::new();
        loop {
            let t = next_token(src, pos, true).unwrap();
            pos = t.span.end;
            if t.tok == Tok::Eof {
                return out;
            }
            out.push(t.tok);
        }
    }

    #[test]
    fn quoted_strings_read_back_as_written() {
        for text in [
            "plain",
            "it's",
            "a\\b",
            "line\nbreak\ttab\r",
            "\\'",
            "\"double\"",
            "",
        ] {
            let quoted = quote_string(text);
            assert_eq!(toks(&quoted), [Tok::Str(text.to_string())], "{quoted}");
        }
    }

    #[test]
    fn fields_and_units() {
        assert_eq!(
            toks("@timestamp request.headers.x_id items.0.id `foo-bar` @`aws.tag.x`"),
            vec![
                Tok::Field("@timestamp".into()),
                Tok::Field("request.headers.x_id".into()),
                Tok::Field("items.0.id".into()),
                Tok::Field("foo-bar".into()),
                Tok::Field("@aws.tag.x".into()),
            ]
        );
        assert_eq!(
            toks("5m 5mo 100ms 2hrs 1.5"),
            vec![
                Tok::Dur(Duration {
                    amount: 5,
                    unit: TimeUnit::Minute
                }),
                Tok::Dur(Duration {
                    amount: 5,
                    unit: TimeUnit::Month
                }),
                Tok::Dur(Duration {
                    amount: 100,
                    unit: TimeUnit::Millisecond
                }),
                Tok::Dur(Duration {
                    amount: 2,
                    unit: TimeUnit::Hour
                }),
                Tok::Num(Number::Float(1.5)),
            ]
        );
    }

    #[test]
    fn strings_regexes_and_comments() {
        assert_eq!(
            toks("'a\\'b' \"#x\\t\" /a\\/b\\d/ # comment\n|"),
            vec![
                Tok::Str("a'b".into()),
                Tok::Str("#x\t".into()),
                Tok::Regex("a/b\\d".into()),
                Tok::Punct("|"),
            ]
        );
    }

    #[test]
    fn errors_point_at_the_problem() {
        let err = next_token("  'abc", 0, true).unwrap_err();
        assert_eq!(err.span, Span::new(2, 3));
        assert!(next_token("5xyz", 0, true).is_err());
    }
}
