//! A recursive-descent parser over the tokens of [`crate::lexer`], producing [`crate::ast`] nodes:
//! the query and its pipeline here, the [`commands`] (one list of names, one function each), their
//! [`arguments`], the [`source`] command, and [`expr`]essions.

mod arguments;
mod commands;
mod expr;
mod source;
#[cfg(test)]
mod tests;

pub use commands::{PLANNED_COMMANDS, supported_commands};

use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::lexer::{Tok, Token, next_token};

/// Words that end an expression and so cannot be bare field names.
const RESERVED: &[&str] = &["and", "or", "not", "like", "in", "as", "by", "asc", "desc"];

/// Deepest nesting of parentheses, negations and calls accepted; deeper queries get an error
/// instead of exhausting the stack.
const MAX_DEPTH: usize = 128;

/// Most commands in one query (Logs Insights caps a query at 10,000 characters; a pipeline this long
/// is a mistake, and every command is a plan node).
const MAX_COMMANDS: usize = 500;

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
        self.query_until(false)
    }

    /// Commands up to the end of the text, or up to a `)` when `nested`.
    // Deep nesting grows the stack on demand instead of overflowing it.
    #[recursive::recursive]
    fn query_until(&mut self, nested: bool) -> Result<Query, Diagnostic> {
        let first = self.peek(false)?;
        if first.tok == Tok::Eof || (nested && first.tok == Tok::Punct(")")) {
            return Err(Diagnostic::new(
                if nested {
                    "the sub-query is empty"
                } else {
                    "the query is empty"
                },
                first.span,
            )
            .with_hint("start with a command, e.g. `fields @timestamp, @message | limit 20`"));
        }
        let mut commands: Vec<Command> = Vec::new();
        loop {
            let command = self.command()?;
            if commands.len() == MAX_COMMANDS {
                return Err(Diagnostic::new(
                    format!("a query may have at most {MAX_COMMANDS} commands"),
                    command.span,
                )
                .with_hint("split the work into several queries"));
            }
            if matches!(command.kind, CommandKind::Source(_)) && !commands.is_empty() {
                return Err(
                    Diagnostic::new("`SOURCE` must be the first command", command.span)
                        .with_hint("move `SOURCE ...` to the start of the query"),
                );
            }
            commands.push(command);
            let t = self.peek(false)?;
            match t.tok {
                Tok::Eof if !nested => break,
                Tok::Punct(")") if nested => break,
                Tok::Punct("|") => {
                    self.pos = t.span.end;
                    let next = self.peek(false)?;
                    if next.tok == Tok::Eof || (nested && next.tok == Tok::Punct(")")) {
                        return Err(self.expected("a command after `|`", &next).with_hint(
                            "remove the trailing `|` or add a command such as `limit 10`",
                        ));
                    }
                }
                _ => {
                    let what = if nested {
                        "`|` or `)`"
                    } else {
                        "`|` or the end of the query"
                    };
                    return Err(self.expected(what, &t).with_hint(
                        "separate items with `,` and commands with `|`; put field names with special characters in backticks",
                    ));
                }
            }
        }
        Ok(Query { commands })
    }
}
