//! Commands: the name that starts each one, and its arguments (projections, `stats`, sort keys,
//! `parse`, `lookup`, `join`, options).

use super::{Parser, nearest};
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::lexer::Tok;
use crate::span::Span;

/// How a command's arguments are parsed, once its name is read (the name is passed, as written).
type CommandParser = fn(&mut Parser<'_>, &str) -> Result<CommandKind, Diagnostic>;

/// The commands this version of lq runs, each with the function that parses it: the one list of
/// command names, matched without regard to case.
const COMMANDS: &[(&str, CommandParser)] = &[
    ("fields", |p, w| p.command_fields(w)),
    ("display", |p, w| p.command_display(w)),
    ("filter", |p, w| p.command_filter(w)),
    ("where", |p, w| p.command_filter(w)),
    ("filterIndex", |p, _| p.filter_index()),
    ("stats", |p, w| p.command_stats(w)),
    ("sort", |p, w| p.command_sort(w)),
    ("limit", |p, w| p.command_limit(w)),
    ("head", |p, w| p.command_limit(w)),
    ("parse", |p, w| p.command_parse(w)),
    ("json", |p, _| p.json_cmd()),
    ("dedup", |p, w| p.command_dedup(w)),
    ("unmask", |p, w| p.command_unmask(w)),
    ("unnest", |p, w| p.command_unnest(w)),
    ("expand", |p, w| p.command_expand(w)),
    ("pattern", |p, w| p.command_pattern(w)),
    ("anomaly", |p, w| p.command_anomaly(w)),
    ("diff", |p, w| p.command_diff(w)),
    ("logcompare", |p, w| p.command_logcompare(w)),
    ("relevantfields", |p, w| p.command_relevantfields(w)),
    ("lookup", |p, w| p.command_lookup(w)),
    ("cidrlookup", |p, w| p.command_cidrlookup(w)),
    ("join", |p, w| p.command_join(w)),
    ("addtotals", |p, w| p.command_addtotals(w)),
    ("accum", |p, w| p.command_accum(w)),
    ("autoregress", |p, w| p.command_autoregress(w)),
    ("filldown", |p, w| p.command_filldown(w)),
    ("fillmissing", |p, w| p.command_fillmissing(w)),
    ("outlier", |p, w| p.command_outlier(w)),
    ("sessionize", |p, w| p.command_sessionize(w)),
    ("countFrequent", |p, w| p.command_countfrequent(w)),
    ("count_frequent", |p, w| p.command_countfrequent(w)),
    ("estimate", |p, w| p.command_estimate(w)),
    ("SOURCE", |p, w| p.command_source(w)),
    ("appendcols", |p, w| p.command_appendcols(w)),
];

/// The names of the commands this version of lq runs (aliases such as `where` and `head` too).
pub fn supported_commands() -> impl Iterator<Item = &'static str> {
    COMMANDS.iter().map(|(name, _)| *name)
}

/// Logs Insights commands that lq recognises but does not run yet.
pub const PLANNED_COMMANDS: &[&str] = &["tail"];

impl Parser<'_> {
    pub(crate) fn command(&mut self) -> Result<Command, Diagnostic> {
        let t = self.bump(false)?;
        let Tok::Word(word) = &t.tok else {
            return Err(self.expected("a command", &t).with_hint(
                "commands are fields, display, filter, stats, sort, limit, parse, dedup, ...",
            ));
        };
        let Some((_, parse)) = COMMANDS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(word))
        else {
            if let Some(name) = PLANNED_COMMANDS
                .iter()
                .find(|c| c.eq_ignore_ascii_case(word))
            {
                return Err(Diagnostic::new(
                    format!("the `{name}` command is not supported yet"),
                    t.span,
                )
                .with_label("not supported yet")
                .with_hint(
                    "see the list of commands in grammar/README.md; `limit` keeps the first rows",
                ));
            }
            let mut all: Vec<&str> = supported_commands().collect();
            all.extend_from_slice(PLANNED_COMMANDS);
            let hint = match nearest(word, &all) {
                Some(c) => format!("did you mean `{c}`?"),
                None => {
                    "commands are fields, display, filter, stats, sort, limit, parse, dedup, ..."
                        .to_string()
                }
            };
            return Err(Diagnostic::new(format!("unknown command `{word}`"), t.span)
                .with_label("expected a command")
                .with_hint(hint));
        };
        let kind = parse(self, word)?;
        Ok(Command {
            kind,
            span: Span::new(t.span.start, self.pos),
        })
    }

    /// `fields`.
    fn command_fields(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
        Ok(CommandKind::Fields(self.projections()?))
    }

    /// `display`.
    fn command_display(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
        Ok(CommandKind::Display(self.projections()?))
    }

    /// `filter` (also `where`).
    fn command_filter(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
        Ok(CommandKind::Filter(self.expr()?))
    }

    /// `stats`.
    fn command_stats(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
        Ok(CommandKind::Stats(self.stats()?))
    }

    /// `sort`.
    fn command_sort(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
        self.eat_word("by")?;
        Ok(CommandKind::Sort(self.sort_keys()?))
    }

    /// `limit` (also `head`).
    fn command_limit(&mut self, word: &str) -> Result<CommandKind, Diagnostic> {
        let any = word.eq_ignore_ascii_case("limit") && self.eat_word("any")?.is_some();
        Ok(CommandKind::Limit {
            rows: self.whole_number("a whole number of rows", "write e.g. `limit 20`")?,
            any,
        })
    }

    /// `parse`.
    fn command_parse(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
        Ok(CommandKind::Parse(self.parse_cmd()?))
    }

    /// `dedup`.
    fn command_dedup(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
        Ok(CommandKind::Dedup(self.names(",")?))
    }

    /// `unmask`.
    fn command_unmask(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
        let next = self.peek(false)?;
        Ok(if matches!(next.tok, Tok::Eof | Tok::Punct("|")) {
            CommandKind::Unmask(None)
        } else {
            CommandKind::Unmask(Some(self.name("a field to unmask")?))
        })
    }

    /// `unnest`.
    fn command_unnest(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
        let expr = self.expr()?;
        self.expect_word("into", "write e.g. `unnest js.items into item`")?;
        let into = self.name("a name after `into`")?;
        Ok(CommandKind::Unnest { expr, into })
    }

    /// `expand`.
    fn command_expand(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
        Ok(CommandKind::Expand(
            self.name("a field holding a JSON array")?,
        ))
    }

    /// `pattern`.
    fn command_pattern(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
        Ok(CommandKind::Pattern(self.expr()?))
    }

    /// `anomaly`.
    fn command_anomaly(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
        Ok(CommandKind::Anomaly)
    }

    /// `diff`.
    fn command_diff(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
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
        Ok(CommandKind::Diff(baseline))
    }

    /// `logcompare`.
    fn command_logcompare(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
        self.expect_word("timeshift", "write e.g. `logcompare timeshift 7d`")?;
        Ok(CommandKind::Logcompare(
            self.duration("a time period such as 7d")?,
        ))
    }

    /// `relevantfields`.
    fn command_relevantfields(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
        let mut fields = Vec::new();
        if self.peek_word("where")?.is_none() {
            fields = self.names(",")?;
        }
        self.expect_word("where", "write e.g. `relevantfields where duration > 500`")?;
        Ok(CommandKind::RelevantFields {
            fields,
            condition: self.expr()?,
        })
    }

    /// `lookup`.
    fn command_lookup(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
        Ok(CommandKind::Lookup(self.lookup()?))
    }

    /// `cidrlookup`.
    fn command_cidrlookup(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
        Ok(CommandKind::CidrLookup(self.cidrlookup()?))
    }

    /// `join`.
    fn command_join(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
        Ok(CommandKind::Join(self.join()?))
    }

    /// `appendcols`.
    fn command_appendcols(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
        let options = self.options()?;
        let query = self.parenthesised_query(
            "write e.g. `appendcols (SOURCE 'other' | stats count(*) as n)`",
        )?;
        Ok(CommandKind::AppendCols {
            options,
            query: Box::new(query),
        })
    }

    /// `addtotals`.
    fn command_addtotals(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
        let options = self.options()?;
        let next = self.peek(false)?;
        let fields = if matches!(next.tok, Tok::Eof | Tok::Punct("|")) {
            Vec::new()
        } else {
            self.names(",")?
        };
        Ok(CommandKind::AddTotals { options, fields })
    }

    /// `accum`.
    fn command_accum(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
        let field = self.name("the field to sum")?;
        let alias = self.alias()?;
        Ok(CommandKind::Accum { field, alias })
    }

    /// `autoregress`.
    fn command_autoregress(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
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
                        format!("unexpected option `{}` for `autoregress`", option.key.name),
                        option.key.span.to(option.value_span),
                    )
                    .with_hint("write `p=1` for the previous row or `p=1-4` for the four before"));
                }
            }
        }
        Ok(CommandKind::Autoregress {
            field,
            alias,
            from,
            to,
        })
    }

    /// `filldown`.
    fn command_filldown(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
        let mut names = Vec::new();
        while !matches!(self.peek(false)?.tok, Tok::Eof | Tok::Punct("|")) {
            names.push(self.wildcard_name()?);
            self.eat_punct(",")?;
        }
        Ok(CommandKind::Filldown(names))
    }

    /// `fillmissing`.
    fn command_fillmissing(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
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
        Ok(CommandKind::Fillmissing(fills))
    }

    /// `outlier`.
    fn command_outlier(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
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
        Ok(CommandKind::Outlier { options, fields })
    }

    /// `sessionize`.
    fn command_sessionize(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
        let fields = self.names(",")?;
        let maxspan = if self.eat_word("maxspan")?.is_some() {
            Some(self.duration("a time period such as 30m")?)
        } else {
            None
        };
        let alias = self.alias()?;
        Ok(CommandKind::Sessionize {
            fields,
            maxspan,
            alias,
        })
    }

    /// `countfrequent` (also `count_frequent`).
    fn command_countfrequent(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
        Ok(CommandKind::CountFrequent(self.names(",")?))
    }

    /// `estimate`.
    fn command_estimate(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
        Ok(CommandKind::Estimate)
    }

    /// `source`.
    fn command_source(&mut self, _word: &str) -> Result<CommandKind, Diagnostic> {
        Ok(CommandKind::Source(self.source()?))
    }
}
