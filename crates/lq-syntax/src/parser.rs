//! A recursive-descent parser over the tokens of [`crate::lexer`], producing [`crate::ast`] nodes.

use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::lexer::{Tok, Token, next_token};
use crate::span::Span;

/// The commands this version of lq runs (lower case; `filterIndex`, `countFrequent` and `SOURCE`
/// are matched without regard to case).
pub const SUPPORTED_COMMANDS: &[&str] = &[
    "fields",
    "display",
    "filter",
    "where",
    "filterIndex",
    "stats",
    "sort",
    "limit",
    "head",
    "parse",
    "json",
    "dedup",
    "unmask",
    "unnest",
    "expand",
    "pattern",
    "anomaly",
    "diff",
    "logcompare",
    "relevantfields",
    "lookup",
    "cidrlookup",
    "join",
    "addtotals",
    "accum",
    "autoregress",
    "filldown",
    "fillmissing",
    "outlier",
    "sessionize",
    "countFrequent",
    "count_frequent",
    "estimate",
    "SOURCE",
    "appendcols",
];

/// Logs Insights commands that lq recognises but does not run yet.
pub const PLANNED_COMMANDS: &[&str] = &["tail"];

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

    fn command(&mut self) -> Result<Command, Diagnostic> {
        let t = self.bump(false)?;
        let Tok::Word(word) = &t.tok else {
            return Err(self.expected("a command", &t).with_hint(
                "commands are fields, display, filter, stats, sort, limit, parse, dedup, ...",
            ));
        };
        let lower = word.to_lowercase();
        let kind = match lower.as_str() {
            "fields" => CommandKind::Fields(self.projections()?),
            "display" => CommandKind::Display(self.projections()?),
            "filter" | "where" => CommandKind::Filter(self.expr()?),
            "filterindex" => self.filter_index()?,
            "stats" => CommandKind::Stats(self.stats()?),
            "sort" => {
                self.eat_word("by")?;
                CommandKind::Sort(self.sort_keys()?)
            }
            "limit" | "head" => {
                let any = lower == "limit" && self.eat_word("any")?.is_some();
                CommandKind::Limit {
                    rows: self.whole_number("a whole number of rows", "write e.g. `limit 20`")?,
                    any,
                }
            }
            "parse" => CommandKind::Parse(self.parse_cmd()?),
            "json" => self.json_cmd()?,
            "dedup" => CommandKind::Dedup(self.names(",")?),
            "unmask" => {
                let next = self.peek(false)?;
                if matches!(next.tok, Tok::Eof | Tok::Punct("|")) {
                    CommandKind::Unmask(None)
                } else {
                    CommandKind::Unmask(Some(self.name("a field to unmask")?))
                }
            }
            "unnest" => {
                let expr = self.expr()?;
                self.expect_word("into", "write e.g. `unnest js.items into item`")?;
                let into = self.name("a name after `into`")?;
                CommandKind::Unnest { expr, into }
            }
            "expand" => CommandKind::Expand(self.name("a field holding a JSON array")?),
            "pattern" => CommandKind::Pattern(self.expr()?),
            "anomaly" => CommandKind::Anomaly,
            "diff" => {
                let next = self.peek(false)?;
                let baseline = match &next.tok {
                    Tok::Word(w) if w.eq_ignore_ascii_case("previousDay") => DiffBaseline::Day,
                    Tok::Word(w) if w.eq_ignore_ascii_case("previousWeek") => DiffBaseline::Week,
                    Tok::Word(w) if w.eq_ignore_ascii_case("previousMonth") => DiffBaseline::Month,
                    Tok::Eof | Tok::Punct("|") => DiffBaseline::Previous,
                    _ => {
                        return Err(self
                            .expected("`previousDay`, `previousWeek`, `previousMonth` or `|`", &next)
                            .with_hint("write `diff` to compare with the range just before, or e.g. `diff previousDay`"));
                    }
                };
                if baseline != DiffBaseline::Previous {
                    self.pos = next.span.end;
                }
                CommandKind::Diff(baseline)
            }
            "logcompare" => {
                self.expect_word("timeshift", "write e.g. `logcompare timeshift 7d`")?;
                CommandKind::Logcompare(self.duration("a time period such as 7d")?)
            }
            "relevantfields" => {
                let mut fields = Vec::new();
                if self.peek_word("where")?.is_none() {
                    fields = self.names(",")?;
                }
                self.expect_word("where", "write e.g. `relevantfields where duration > 500`")?;
                CommandKind::RelevantFields {
                    fields,
                    condition: self.expr()?,
                }
            }
            "lookup" => CommandKind::Lookup(self.lookup()?),
            "cidrlookup" => CommandKind::CidrLookup(self.cidrlookup()?),
            "join" => CommandKind::Join(self.join()?),
            "appendcols" => {
                let options = self.options()?;
                let query = self.parenthesised_query(
                    "write e.g. `appendcols (SOURCE 'other' | stats count(*) as n)`",
                )?;
                CommandKind::AppendCols {
                    options,
                    query: Box::new(query),
                }
            }
            "addtotals" => {
                let options = self.options()?;
                let next = self.peek(false)?;
                let fields = if matches!(next.tok, Tok::Eof | Tok::Punct("|")) {
                    Vec::new()
                } else {
                    self.names(",")?
                };
                CommandKind::AddTotals { options, fields }
            }
            "accum" => {
                let field = self.name("the field to sum")?;
                let alias = self.alias()?;
                CommandKind::Accum { field, alias }
            }
            "autoregress" => {
                let field = self.name("a field")?;
                let alias = self.alias()?;
                let mut from = 1;
                let mut to = 1;
                for option in self.options()? {
                    match (option.key.name.as_str(), &option.value) {
                        ("p", OptionValue::Number(Number::Int(n))) if *n >= 1 => {
                            from = *n as u64;
                            to = *n as u64;
                        }
                        ("p", OptionValue::Range(a, b)) if *a >= 1 && a <= b => {
                            from = *a;
                            to = *b;
                        }
                        _ => {
                            return Err(Diagnostic::new(
                                format!(
                                    "unexpected option `{}` for `autoregress`",
                                    option.key.name
                                ),
                                option.key.span.to(option.value_span),
                            )
                            .with_hint(
                                "write `p=1` for the previous row or `p=1-4` for the four before",
                            ));
                        }
                    }
                }
                CommandKind::Autoregress {
                    field,
                    alias,
                    from,
                    to,
                }
            }
            "filldown" => {
                let mut names = Vec::new();
                while !matches!(self.peek(false)?.tok, Tok::Eof | Tok::Punct("|")) {
                    names.push(self.wildcard_name()?);
                    self.eat_punct(",")?;
                }
                CommandKind::Filldown(names)
            }
            "fillmissing" => {
                let mut fills = Vec::new();
                if self.eat_word("with")?.is_some() {
                    loop {
                        let value = self.unary()?;
                        self.expect_word("for", "write e.g. `fillmissing with 0 for count`")?;
                        fills.push((value, self.name("a field after `for`")?));
                        if self.eat_punct(",")?.is_none() {
                            break;
                        }
                        self.eat_word("with")?;
                    }
                }
                CommandKind::Fillmissing(fills)
            }
            "outlier" => {
                let options = self.options()?;
                let mut fields = Vec::new();
                while !matches!(self.peek(false)?.tok, Tok::Eof | Tok::Punct("|")) {
                    fields.push(self.name("a numeric field")?);
                    self.eat_punct(",")?;
                }
                if fields.is_empty() {
                    let t = self.peek(false)?;
                    return Err(self
                        .expected("a field", &t)
                        .with_hint("write e.g. `outlier latency`"));
                }
                CommandKind::Outlier { options, fields }
            }
            "sessionize" => {
                let fields = self.names(",")?;
                let maxspan = if self.eat_word("maxspan")?.is_some() {
                    Some(self.duration("a time period such as 30m")?)
                } else {
                    None
                };
                let alias = self.alias()?;
                CommandKind::Sessionize {
                    fields,
                    maxspan,
                    alias,
                }
            }
            "countfrequent" | "count_frequent" => CommandKind::CountFrequent(self.names(",")?),
            "estimate" => CommandKind::Estimate,
            "source" => CommandKind::Source(self.source()?),
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
                    .with_hint("see the README's list of commands; `limit` keeps the first rows"));
                }
                let mut all: Vec<&str> = SUPPORTED_COMMANDS.to_vec();
                all.extend_from_slice(PLANNED_COMMANDS);
                let hint = match nearest(word, &all) {
                    Some(c) => format!("did you mean `{c}`?"),
                    None => "commands are fields, display, filter, stats, sort, limit, parse, dedup, ...".to_string(),
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

    fn peek_word(&self, word: &str) -> Result<Option<Token>, Diagnostic> {
        let t = self.peek(false)?;
        Ok(is_word(&t.tok, word).then_some(t))
    }

    fn expect_word(&mut self, word: &str, hint: &str) -> Result<Token, Diagnostic> {
        let t = self.peek(false)?;
        if is_word(&t.tok, word) {
            self.pos = t.span.end;
            return Ok(t);
        }
        Err(self.expected(&format!("`{word}`"), &t).with_hint(hint))
    }

    fn expect_punct(&mut self, p: &str, hint: &str) -> Result<Token, Diagnostic> {
        match self.eat_punct(p)? {
            Some(t) => Ok(t),
            None => {
                let t = self.peek(false)?;
                Err(self.expected(&format!("`{p}`"), &t).with_hint(hint))
            }
        }
    }

    fn whole_number(&mut self, what: &str, hint: &str) -> Result<u64, Diagnostic> {
        let n = self.bump(true)?;
        match n.tok {
            Tok::Num(Number::Int(i)) if i >= 0 => Ok(i as u64),
            _ => Err(self.expected(what, &n).with_hint(hint)),
        }
    }

    fn duration(&mut self, what: &str) -> Result<Duration, Diagnostic> {
        let t = self.bump(true)?;
        match t.tok {
            Tok::Dur(d) => Ok(d),
            _ => Err(self
                .expected(what, &t)
                .with_hint("time periods are written like 30s, 5m, 1h, 1d")),
        }
    }

    fn alias(&mut self) -> Result<Option<Name>, Diagnostic> {
        if self.eat_word("as")?.is_some() {
            Ok(Some(self.name("a name after `as`")?))
        } else {
            Ok(None)
        }
    }

    /// Names separated by `sep` (`,`).
    fn names(&mut self, sep: &str) -> Result<Vec<Name>, Diagnostic> {
        let mut names = vec![self.name("a field name")?];
        while self.eat_punct(sep)?.is_some() {
            names.push(self.name("a field name")?);
        }
        Ok(names)
    }

    /// A field name, or a prefix followed by `*` (`cpu*`).
    fn wildcard_name(&mut self) -> Result<Name, Diagnostic> {
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
    fn options(&mut self) -> Result<Vec<CommandOption>, Diagnostic> {
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

    fn filter_index(&mut self) -> Result<CommandKind, Diagnostic> {
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

    fn parse_cmd(&mut self) -> Result<Parse, Diagnostic> {
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
    fn parse_field(&mut self) -> Result<Expr, Diagnostic> {
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

    fn json_cmd(&mut self) -> Result<CommandKind, Diagnostic> {
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

    fn renamed_list(&mut self) -> Result<Vec<Renamed>, Diagnostic> {
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

    fn table_name(&mut self) -> Result<Name, Diagnostic> {
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

    fn output_keyword(&mut self) -> Result<bool, Diagnostic> {
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

    fn lookup(&mut self) -> Result<Lookup, Diagnostic> {
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

    fn cidrlookup(&mut self) -> Result<CidrLookup, Diagnostic> {
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

    fn join(&mut self) -> Result<Join, Diagnostic> {
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

    fn parenthesised_query(&mut self, hint: &str) -> Result<Query, Diagnostic> {
        self.expect_punct("(", hint)?;
        self.enter(Span::new(self.pos, self.pos))?;
        let q = self.query_until(true)?;
        self.depth -= 1;
        self.expect_punct(")", "close the sub-query with `)`")?;
        Ok(q)
    }

    fn string_list(&mut self) -> Result<Vec<String>, Diagnostic> {
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

    fn source(&mut self) -> Result<Source, Diagnostic> {
        let hint = "write e.g. `SOURCE logGroups(namePrefix: ['app'])` or `SOURCE 'logs/app'`";
        let mut source = Source {
            selectors: Vec::new(),
            start: None,
            end: None,
        };
        loop {
            let t = self.peek(false)?;
            let word = match &t.tok {
                Tok::Word(w) => w.clone(),
                Tok::Str(s) | Tok::Field(s) if source.selectors.is_empty() => {
                    self.pos = t.span.end;
                    source.selectors.push(SourceSelector::Name(s.clone()));
                    break;
                }
                _ => break,
            };
            let after = next_token(self.src, t.span.end, false)?;
            if after.tok != Tok::Punct("(") {
                if source.selectors.is_empty() {
                    self.pos = t.span.end;
                    source.selectors.push(SourceSelector::Name(word));
                }
                break;
            }
            self.pos = after.span.end;
            let selector = match word.to_lowercase().as_str() {
                "loggroups" => {
                    let mut name_prefix = Vec::new();
                    let mut accounts = Vec::new();
                    let mut class = Vec::new();
                    while self.eat_punct(")")?.is_none() {
                        let key = self.name("`namePrefix`, `accountIdentifier` or `class`")?;
                        self.expect_punct(":", hint)?;
                        let values = self.string_list()?;
                        match key.name.to_lowercase().as_str() {
                            "nameprefix" => name_prefix = values,
                            "accountidentifier" | "accountidentifiers" => accounts = values,
                            "class" => class = values,
                            _ => {
                                return Err(Diagnostic::new(
                                    format!("unknown `logGroups` argument `{}`", key.name),
                                    key.span,
                                )
                                .with_hint(
                                    "arguments are namePrefix, accountIdentifier and class",
                                ));
                            }
                        }
                        self.eat_punct(",")?;
                    }
                    SourceSelector::LogGroups {
                        name_prefix,
                        accounts,
                        class,
                    }
                }
                "datasource" => {
                    let names = self.string_list()?;
                    self.expect_punct(")", hint)?;
                    SourceSelector::DataSource(names)
                }
                "loggrouptags" => {
                    let mut filters = Vec::new();
                    self.expect_punct("[", hint)?;
                    while self.eat_punct("]")?.is_none() {
                        self.expect_punct(
                            "{",
                            "write tag filters like {\"key\":\"team\", \"values\":[\"a\"]}",
                        )?;
                        let mut key = String::new();
                        let mut values = Vec::new();
                        while self.eat_punct("}")?.is_none() {
                            let k = self.bump(true)?;
                            self.expect_punct(":", hint)?;
                            match k.tok {
                                Tok::Str(k) if k == "key" => {
                                    let v = self.bump(true)?;
                                    match v.tok {
                                        Tok::Str(v) => key = v,
                                        _ => return Err(self.expected("a quoted tag key", &v)),
                                    }
                                }
                                Tok::Str(k) if k == "values" => values = self.string_list()?,
                                _ => return Err(self.expected("\"key\" or \"values\"", &k)),
                            }
                            self.eat_punct(",")?;
                        }
                        filters.push((key, values));
                        self.eat_punct(",")?;
                    }
                    self.expect_punct(")", hint)?;
                    SourceSelector::LogGroupTags(filters)
                }
                _ => {
                    return Err(Diagnostic::new(
                        format!("unknown SOURCE selector `{word}`"),
                        t.span,
                    )
                    .with_hint(hint));
                }
            };
            source.selectors.push(selector);
        }
        if source.selectors.is_empty() {
            let t = self.peek(false)?;
            return Err(self.expected("a log group selection", &t).with_hint(hint));
        }
        for option in self.options()? {
            let value = match &option.value {
                OptionValue::Word(w) if w.eq_ignore_ascii_case("now") => RelativeTime::Now,
                OptionValue::Duration(d) => RelativeTime::Ago(*d),
                _ => {
                    return Err(Diagnostic::new(
                        "expected `now` or a period such as -1d",
                        option.value_span,
                    ));
                }
            };
            match option.key.name.to_lowercase().as_str() {
                "start" => source.start = Some(value),
                "end" => source.end = Some(value),
                _ => {
                    return Err(Diagnostic::new(
                        format!("unknown SOURCE option `{}`", option.key.name),
                        option.key.span,
                    )
                    .with_hint("SOURCE takes start= and end="));
                }
            }
        }
        Ok(source)
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
    // Deep nesting grows the stack on demand instead of overflowing it.
    #[recursive::recursive]
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

    // Deep nesting grows the stack on demand instead of overflowing it.
    #[recursive::recursive]
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

    // Deep nesting grows the stack on demand instead of overflowing it.
    #[recursive::recursive]
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

    // Deep nesting grows the stack on demand instead of overflowing it.
    #[recursive::recursive]
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
        self.postfix(Expr { kind, span })
    }

    /// `.key`, `` .`key` `` and `[index]` after a value.
    fn postfix(&mut self, mut expr: Expr) -> Result<Expr, Diagnostic> {
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
        let err = parse("tail 5").unwrap_err();
        assert!(err.message.contains("not supported yet"));
        let err = parse("parse @message 'a * b * c' as x").unwrap_err();
        assert!(err.message.contains("2 `*` but 1 name"));
        assert!(parse("").is_err());
        assert!(parse("fields a |").is_err());
        assert!(parse(&"(".repeat(10_000)).is_err());
    }
}
