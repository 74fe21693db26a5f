//! The `SOURCE` command: log groups by name, prefix or account, and its time range.

use super::Parser;
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::lexer::{Tok, next_token};

impl Parser<'_> {
    pub(crate) fn source(&mut self) -> Result<Source, Diagnostic> {
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
}
