//! Lowering of the commands beyond fields/filter/stats/sort/limit.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::functions::core::expr_fn::get_field;
use datafusion::logical_expr::{Expr, lit};
use lq_syntax::Diagnostic;
use lq_syntax::Span;
use lq_syntax::ast::*;

use lq_fields::ROW_ORDER_COLUMN;

use super::scope::{AggContext, Scope};
use super::steps::Step;
use super::walk::Lowering;
use crate::regexes::compile_regex;
use crate::table_ops;
use crate::table_ops::pattern::Shift;
use crate::types::{Kind, Typed, column, to_bool, to_text};

impl Lowering {
    pub(super) fn diff_shift(&self, kind: &CommandKind, span: Span) -> Result<Shift, Diagnostic> {
        Ok(match kind {
            CommandKind::Diff(DiffBaseline::Previous) => Shift::Previous,
            CommandKind::Diff(DiffBaseline::Day) => Shift::Millis(86_400_000),
            CommandKind::Diff(DiffBaseline::Week) => Shift::Millis(7 * 86_400_000),
            CommandKind::Diff(DiffBaseline::Month) => Shift::Months(1),
            CommandKind::Logcompare(d) => match d.unit {
                TimeUnit::Month => Shift::Months(d.amount as i64),
                TimeUnit::Quarter => Shift::Months(3 * d.amount as i64),
                TimeUnit::Year => Shift::Months(12 * d.amount as i64),
                _ => Shift::Millis(crate::durations::duration_millis(d, span)?),
            },
            _ => Shift::Previous,
        })
    }

    /// `parse`: one struct-valued helper column, then one column per extracted field.
    pub(super) fn parse(&mut self, p: &Parse) -> Result<Vec<String>, Diagnostic> {
        let source = match &p.field {
            Some(e) => self.expr(e, &mut AggContext::None)?,
            None => self.name_ref("@message", Span::default())?,
        };
        let text = to_text(source);
        let helper = self.fresh("parse");
        let (udf, names, multi): (_, Vec<String>, bool) = match &p.spec {
            ParseSpec::Glob { pattern, names } => {
                let re = crate::extract::glob_to_regex(pattern);
                let regex = compile_regex(&re, names.first().map_or(Span::default(), |n| n.span))?;
                let outputs = names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n.name.clone(), i + 1))
                    .collect();
                (
                    crate::extract::ParseFn::glob_udf(pattern, regex, outputs),
                    names.iter().map(|n| n.name.clone()).collect(),
                    false,
                )
            }
            ParseSpec::Regex {
                pattern,
                names,
                multi,
            } => {
                let span = names.first().map_or(Span::default(), |n| n.span);
                let regex = compile_regex(pattern, span)?;
                let outputs: Vec<(String, usize)> = if names.is_empty() {
                    regex
                        .capture_names()
                        .enumerate()
                        .filter_map(|(i, n)| n.map(|n| (n.to_string(), i)))
                        .collect()
                } else {
                    let groups = regex.captures_len() - 1;
                    if names.len() > groups {
                        return Err(Diagnostic::new(
                            format!(
                                "the regular expression has {groups} group(s) but {} name(s) follow `as`",
                                names.len()
                            ),
                            span,
                        )
                        .with_hint("add a group `( )` for each name, or remove names"));
                    }
                    names
                        .iter()
                        .enumerate()
                        .map(|(i, n)| (n.name.clone(), i + 1))
                        .collect()
                };
                if outputs.is_empty() {
                    return Err(Diagnostic::new(
                        "the regular expression names no fields",
                        Span::default(),
                    )
                    .with_hint(
                        "use named groups like `(?<user>\\w+)`, or name the groups with `as`",
                    ));
                }
                let names = outputs.iter().map(|(n, _)| n.clone()).collect();
                (
                    crate::extract::ParseFn::udf(regex, outputs, *multi),
                    names,
                    *multi,
                )
            }
            ParseSpec::Logfmt(name) => {
                let e = crate::extract::json::LOGFMT.call(vec![text]);
                self.steps.push(Step::Extend(vec![(name.name.clone(), e)]));
                self.scope.defined.insert(name.name.clone(), Kind::Json);
                return Ok(vec![name.name.clone()]);
            }
            ParseSpec::Csv(names) => {
                let udf =
                    crate::extract::CsvFn::udf(names.iter().map(|n| n.name.clone()).collect());
                (udf, names.iter().map(|n| n.name.clone()).collect(), false)
            }
        };
        self.steps
            .push(Step::Extend(vec![(helper.clone(), udf.call(vec![text]))]));
        if multi {
            self.steps.push(Step::Unnest {
                column: helper.clone(),
                keep_empty: true,
            });
        }
        let items = names
            .iter()
            .map(|n| (n.clone(), get_field(column(&helper), n.as_str())))
            .collect();
        self.steps.push(Step::Extend(items));
        self.steps.push(Step::Drop(vec![helper]));
        for n in &names {
            self.scope.defined.insert(n.clone(), Kind::Text);
        }
        Ok(names)
    }

    /// One row per element of the JSON list `json`, the element in `into`.
    pub(super) fn unnest_into(&mut self, json: Expr, into: &str) -> Result<(), Diagnostic> {
        let items = crate::extract::json::JSON_ITEMS.call(vec![json]);
        self.steps
            .push(Step::Extend(vec![(into.to_string(), items)]));
        self.steps.push(Step::Unnest {
            column: into.to_string(),
            keep_empty: false,
        });
        self.scope.defined.insert(into.to_string(), Kind::Json);
        Ok(())
    }

    /// Replaces the scope by a result table of `columns`.
    fn result_table(&mut self, columns: &[(&str, Kind)]) {
        self.scope = Scope {
            defined: columns.iter().map(|(n, k)| (n.to_string(), *k)).collect(),
            open: false,
            group_keys: Vec::new(),
            joined: None,
            bin: None,
        };
        self.stats_outputs = columns.iter().map(|(n, _)| n.to_string()).collect();
        self.ordered = true;
    }

    /// Clustering depends on the order messages arrive in: read them in input order.
    fn input_order(&mut self) {
        if self.scope.open && !self.ordered {
            let row = self.source_field(ROW_ORDER_COLUMN).expr;
            self.steps.push(Step::Sort(vec![row.sort(true, false)]));
            self.ordered = true;
        }
    }

    pub(super) fn pattern(
        &mut self,
        e: &lq_syntax::ast::Expr,
        anomaly: bool,
    ) -> Result<(), Diagnostic> {
        self.input_order();
        let t = self.expr(e, &mut AggContext::None)?;
        let text_col = self.fresh("pattern_text");
        let time = self.timestamp(e.span)?;
        let time_col = self.fresh("pattern_time");
        self.steps.push(Step::Extend(vec![
            (text_col.clone(), to_text(t)),
            (time_col.clone(), time.expr),
        ]));
        let op = crate::table_ops::pattern::PatternOp {
            text: text_col,
            time: time_col,
            anomaly,
        };
        self.steps.push(Step::Op(Arc::new(op)));
        let cols = if anomaly {
            crate::table_ops::pattern::ANOMALY_COLUMNS.as_slice()
        } else {
            crate::table_ops::pattern::PATTERN_COLUMNS.as_slice()
        };
        self.result_table(cols);
        Ok(())
    }

    pub(super) fn diff(&mut self, kind: &CommandKind, span: Span) -> Result<(), Diagnostic> {
        self.input_order();
        let message = self.name_ref("@message", span)?;
        let time = self.timestamp(span)?;
        let text_col = self.fresh("diff_text");
        let time_col = self.fresh("diff_time");
        self.steps.push(Step::Extend(vec![
            (text_col.clone(), to_text(message)),
            (time_col.clone(), time.expr),
        ]));
        let shift = self.diff_shift(kind, span)?;
        let op = crate::table_ops::pattern::DiffOp {
            text: text_col,
            time: time_col,
            shift,
            range: (self.options.start_ms, self.options.end_ms),
        };
        self.steps.push(Step::Op(Arc::new(op)));
        self.result_table(crate::table_ops::pattern::DIFF_COLUMNS.as_slice());
        Ok(())
    }

    pub(super) fn relevant_fields(
        &mut self,
        fields: &[Name],
        condition: &lq_syntax::ast::Expr,
    ) -> Result<(), Diagnostic> {
        let cond = to_bool(self.expr(condition, &mut AggContext::None)?);
        let cond_col = self.fresh("condition");
        self.steps
            .push(Step::Extend(vec![(cond_col.clone(), cond)]));
        for f in fields {
            self.name_ref(&f.name, f.span)?;
        }
        let message = if fields.is_empty() {
            self.name_ref("@message", Span::default())?;
            "@message".to_string()
        } else {
            String::new()
        };
        self.steps
            .push(Step::Op(Arc::new(table_ops::RelevantFields {
                columns: fields.iter().map(|f| f.name.clone()).collect(),
                message,
                condition: cond_col,
            })));
        let cols: Vec<(&str, Kind)> = table_ops::RELEVANT_FIELDS_COLUMNS
            .iter()
            .zip([
                Kind::Text,
                Kind::Number,
                Kind::Text,
                Kind::Number,
                Kind::Number,
            ])
            .map(|(n, k)| (*n, k))
            .collect();
        self.result_table(&cols);
        self.scope.group_keys.clear();
        Ok(())
    }

    fn lookup_table(&mut self, table: &Name) -> Arc<crate::lookup::LookupTable> {
        if let Some(t) = self.lookups.iter().find(|t| t.name == table.name) {
            return t.clone();
        }
        let path = self
            .options
            .lookup_tables
            .iter()
            .find(|(n, _)| *n == table.name)
            .map(|(_, p)| p.clone())
            .unwrap_or_else(|| crate::lookup::default_path(&table.name));
        let t = Arc::new(crate::lookup::LookupTable::new(&table.name, path));
        self.lookups.push(t.clone());
        t
    }

    pub(super) fn lookup(&mut self, l: &Lookup) -> Result<Vec<String>, Diagnostic> {
        let table = self.lookup_table(&l.table);
        let mut keys = Vec::new();
        let mut key_columns = Vec::new();
        for m in &l.matches {
            let t = self.name_ref(m.target(), m.alias.as_ref().unwrap_or(&m.name).span)?;
            keys.push(to_text(t));
            key_columns.push(m.name.name.clone());
        }
        self.lookup_outputs(&table, key_columns, keys, &l.outputs, l.new_only, false)
    }

    /// One column per `OUTPUT` entry, each the table's value for the keys.
    fn lookup_outputs(
        &mut self,
        table: &Arc<crate::lookup::LookupTable>,
        key_columns: Vec<String>,
        keys: Vec<Expr>,
        outputs: &[Renamed],
        new_only: bool,
        cidr: bool,
    ) -> Result<Vec<String>, Diagnostic> {
        let mut items = Vec::new();
        let mut added = Vec::new();
        for out in outputs {
            let target = out.target().to_string();
            let udf = crate::lookup::LookupFn::udf(
                table.clone(),
                key_columns.clone(),
                out.name.name.clone(),
                cidr,
            );
            let found = udf.call(keys.clone());
            let value = self.output_value(&target, found, new_only)?;
            items.push((target.clone(), value));
            added.push(target);
        }
        self.steps.push(Step::Extend(items));
        for n in &added {
            self.scope.defined.insert(n.clone(), Kind::Text);
        }
        Ok(added)
    }

    /// `OUTPUT` overwrites (null when no row matches); `OUTPUTNEW` fills only missing values.
    fn output_value(
        &mut self,
        target: &str,
        found: Expr,
        new_only: bool,
    ) -> Result<Expr, Diagnostic> {
        if !new_only {
            return Ok(found);
        }
        let existing = if self.scope.open || self.scope.defined.contains_key(target) {
            Some(to_text(self.name_ref(target, Span::default())?))
        } else {
            None
        };
        Ok(match existing {
            Some(e) => datafusion::functions::expr_fn::coalesce(vec![e, found]),
            None => found,
        })
    }

    pub(super) fn cidr_lookup(&mut self, l: &CidrLookup) -> Result<Vec<String>, Diagnostic> {
        let table = self.lookup_table(&l.table);
        let ip = to_text(self.name_ref(&l.ip_field.name, l.ip_field.span)?);
        let cidr_column = l
            .cidr_column
            .as_ref()
            .map_or("cidr".to_string(), |c| c.name.clone());
        self.lookup_outputs(
            &table,
            vec![cidr_column],
            vec![ip],
            &l.outputs,
            l.new_only,
            true,
        )
    }

    pub(super) fn join(&mut self, j: &Join, span: Span) -> Result<(), Diagnostic> {
        let mut left_alias = None;
        let mut right_alias = None;
        let mut left_outer = false;
        for o in &j.options {
            match (o.key.name.to_lowercase().as_str(), &o.value) {
                ("type", OptionValue::Word(w)) if w.eq_ignore_ascii_case("inner") => {
                    left_outer = false
                }
                ("type", OptionValue::Word(w)) if w.eq_ignore_ascii_case("left") => {
                    left_outer = true
                }
                ("left", OptionValue::Word(w)) => left_alias = Some(w.clone()),
                ("right", OptionValue::Word(w)) => right_alias = Some(w.clone()),
                _ => {
                    return Err(Diagnostic::new(
                        format!("unexpected `join` option `{}`", o.key.name),
                        o.key.span.to(o.value_span),
                    )
                    .with_hint("options are type=inner|left, left=ALIAS and right=ALIAS"));
                }
            }
        }
        let (Some(left), Some(right)) = (left_alias, right_alias) else {
            return Err(Diagnostic::new("`join` needs `left=ALIAS` and `right=ALIAS`", span)
                .with_hint("write e.g. `join type=inner left=a right=b where a.id = b.id (SOURCE 'other')`"));
        };
        let key_of = |n: &Name, alias: &str| -> Result<String, Diagnostic> {
            n.name
                .strip_prefix(&format!("{alias}."))
                .map(str::to_string)
                .ok_or_else(|| {
                    Diagnostic::new(format!("expected `{alias}.field`"), n.span).with_hint(
                        "the condition compares a field of each side: `left.x = right.y`",
                    )
                })
        };
        let (lk, rk) = match (key_of(&j.left_key, &left), key_of(&j.right_key, &right)) {
            (Ok(a), Ok(b)) => (a, b),
            _ => (key_of(&j.right_key, &left)?, key_of(&j.left_key, &right)?),
        };
        // The left key column must exist in the left rows.
        let left_key = self.name_ref(&lk, j.left_key.span)?;
        let left_key_col = self.fresh("left_key");
        self.steps.push(Step::Extend(vec![(
            left_key_col.clone(),
            to_text(left_key),
        )]));
        let side = self.side_query(&j.right, &rk)?;
        // Defined names move under the left alias.
        let defined: HashMap<String, Kind> = self
            .scope
            .defined
            .drain()
            .map(|(n, k)| (format!("{left}.{n}"), k))
            .collect();
        self.steps.push(Step::Join {
            side,
            left_alias: left.clone(),
            right_alias: right.clone(),
            left_key: left_key_col,
            right_key: rk,
            left_outer,
        });
        self.scope = Scope {
            defined,
            open: false,
            group_keys: Vec::new(),
            joined: Some((left, right, side)),
            bin: None,
        };
        self.ordered = false;
        Ok(())
    }

    /// Lowers a sub-query (join right side or `in (...)`), which must provide `key`.
    fn side_query(&mut self, query: &Query, key: &str) -> Result<usize, Diagnostic> {
        let mut options = self.options.clone();
        options.default_limit = None;
        let mut side = Lowering::new(options);
        side.walk(query, false)?;
        if side.scope.open {
            // Every column of the sub-query's logs stays available (a join names them later).
            side.steps.pop();
            if !side.scope.defined.contains_key(key) {
                side.source.insert(key.to_string());
            }
        } else if !side.output.iter().any(|c| c == key) {
            return Err(Diagnostic::new(
                format!("the sub-query does not output `{key}`"),
                Span::default(),
            )
            .with_hint(format!(
                "add `{key}` to the sub-query's `fields` or `stats ... by`"
            )));
        }
        self.sides.push(side);
        Ok(self.sides.len() - 1)
    }

    /// `x in (query)`: rows whose `x` is among the sub-query's `x` values.
    pub(super) fn in_query(
        &mut self,
        expr: &lq_syntax::ast::Expr,
        query: &Query,
        negated: bool,
    ) -> Result<Typed, Diagnostic> {
        let ExprKind::Field(name) = &expr.kind else {
            return Err(
                Diagnostic::new("only a field can be looked up in a sub-query", expr.span)
                    .with_hint(
                        "write e.g. `filter requestId in (SOURCE 'other' | fields requestId)`",
                    ),
            );
        };
        let key = to_text(self.name_ref(name, expr.span)?);
        let side = self.side_query(query, name)?;
        self.steps.push(Step::SemiJoin {
            key,
            side,
            side_key: name.clone(),
            anti: negated,
        });
        Ok(Typed::new(lit(true), Kind::Bool))
    }

    pub(super) fn appendcols(
        &mut self,
        options: &[CommandOption],
        query: &Query,
        span: Span,
    ) -> Result<Vec<String>, Diagnostic> {
        let mut override_existing = false;
        let mut max = 10_000u64;
        for o in options {
            match (o.key.name.to_lowercase().as_str(), &o.value) {
                ("override", OptionValue::Bool(b)) => override_existing = *b,
                ("max", OptionValue::Number(Number::Int(n))) if (1..=100_000).contains(n) => {
                    max = *n as u64
                }
                _ => {
                    return Err(Diagnostic::new(
                        format!("unexpected `appendcols` option `{}`", o.key.name),
                        o.key.span.to(o.value_span),
                    )
                    .with_hint("options are override=true|false and max=N (1 to 100000)"));
                }
            }
        }
        if query.commands.iter().any(|c| {
            matches!(
                c.kind,
                CommandKind::AppendCols { .. } | CommandKind::Join(_)
            )
        }) {
            return Err(Diagnostic::new(
                "the sub-query of `appendcols` cannot contain `appendcols` or `join`",
                span,
            ));
        }
        self.ensure_default_order()?;
        let mut options = self.options.clone();
        options.default_limit = Some(max);
        let mut side = Lowering::new(options);
        side.walk(query, true)?;
        let mut added = Vec::new();
        for name in side.output.clone() {
            let kind = side
                .scope
                .defined
                .get(&name)
                .copied()
                .unwrap_or(if name == "@timestamp" {
                    Kind::Time
                } else {
                    Kind::Text
                });
            let kind = if kind == Kind::Json { Kind::Text } else { kind };
            if override_existing || !self.scope.defined.contains_key(&name) {
                self.scope.defined.insert(name.clone(), kind);
            }
            added.push(name);
        }
        self.sides.push(side);
        let side = self.sides.len() - 1;
        self.steps.push(Step::OpWithSide(
            Arc::new(table_ops::AppendCols { override_existing }),
            side,
        ));
        Ok(added)
    }

    pub(super) fn addtotals(
        &mut self,
        options: &[CommandOption],
        fields: &[Name],
        current: Vec<String>,
    ) -> Result<Vec<String>, Diagnostic> {
        let mut row = true;
        let mut col = false;
        let mut field_name = "Total".to_string();
        for o in options {
            match (o.key.name.to_lowercase().as_str(), &o.value) {
                ("row", OptionValue::Bool(b)) => row = *b,
                ("col", OptionValue::Bool(b)) => col = *b,
                ("fieldname", OptionValue::Word(w)) => field_name = w.clone(),
                _ => {
                    return Err(Diagnostic::new(
                        format!("unexpected `addtotals` option `{}`", o.key.name),
                        o.key.span.to(o.value_span),
                    )
                    .with_hint("options are row=true|false, col=true|false and fieldname=NAME"));
                }
            }
        }
        let columns: Vec<String> = if fields.is_empty() {
            current
                .into_iter()
                .filter(|c| c != &field_name && c != "@timestamp")
                .collect()
        } else {
            fields.iter().map(|f| f.name.clone()).collect()
        };
        for c in &columns {
            self.name_ref(c, Span::default())?;
        }
        self.steps.push(Step::Op(Arc::new(table_ops::AddTotals {
            columns,
            row,
            col,
            field_name: field_name.clone(),
        })));
        if row {
            self.scope.defined.insert(field_name.clone(), Kind::Number);
            return Ok(vec![field_name]);
        }
        Ok(Vec::new())
    }

    pub(super) fn fillmissing(
        &mut self,
        fills: &[(lq_syntax::ast::Expr, Name)],
        span: Span,
    ) -> Result<(), Diagnostic> {
        let Some((bin, amount, unit)) = self.scope.bin.clone() else {
            return Err(Diagnostic::new(
                "`fillmissing` needs a `stats ... by bin(...)` before it",
                span,
            )
            .with_hint("write e.g. `stats count(*) as n by bin(1m) | fillmissing with 0 for n`"));
        };
        let mut values = Vec::new();
        for (value, name) in fills {
            self.name_ref(&name.name, name.span)?;
            let text = match &value.kind {
                ExprKind::Number(n) => crate::udf::format_number(n.as_f64()),
                ExprKind::String(s) => s.clone(),
                ExprKind::Bool(b) => if *b { "1" } else { "0" }.to_string(),
                _ => {
                    return Err(Diagnostic::new("expected a number or a string", value.span)
                        .with_hint("write e.g. `fillmissing with 0 for count`"));
                }
            };
            values.push((name.name.clone(), text));
        }
        let keys = self
            .scope
            .group_keys
            .iter()
            .map(|(n, _)| n.clone())
            .filter(|n| *n != bin)
            .collect();
        self.steps.push(Step::Op(Arc::new(table_ops::Fillmissing {
            bin,
            amount,
            unit,
            keys,
            fills: values,
            range: (self.options.start_ms, self.options.end_ms),
        })));
        self.ordered = true;
        Ok(())
    }

    pub(super) fn outlier(
        &mut self,
        options: &[CommandOption],
        fields: &[Name],
    ) -> Result<(), Diagnostic> {
        let mut remove = false;
        let mut param = 2.5;
        let mut use_lower = false;
        let mut mark = false;
        for o in options {
            match (o.key.name.to_lowercase().as_str(), &o.value) {
                ("action", OptionValue::Word(w)) if w.eq_ignore_ascii_case("remove") => {
                    remove = true
                }
                ("action", OptionValue::Word(w)) if w.eq_ignore_ascii_case("transform") => {
                    remove = false
                }
                ("param", OptionValue::Number(n)) if n.as_f64() >= 0.0 => param = n.as_f64(),
                ("uselower", OptionValue::Bool(b)) => use_lower = *b,
                ("mark", OptionValue::Bool(b)) => mark = *b,
                _ => {
                    return Err(Diagnostic::new(
                        format!("unexpected `outlier` option `{}`", o.key.name),
                        o.key.span.to(o.value_span),
                    )
                    .with_hint("options are action=remove|transform, param=N, uselower=true|false, mark=true|false"));
                }
            }
        }
        for f in fields {
            self.name_ref(&f.name, f.span)?;
            if !remove {
                self.scope.defined.insert(f.name.clone(), Kind::Number);
            }
        }
        if mark {
            self.scope
                .defined
                .insert(table_ops::OUTLIER_MARK.to_string(), Kind::Bool);
        }
        self.steps.push(Step::Op(Arc::new(table_ops::Outlier {
            columns: fields.iter().map(|f| f.name.clone()).collect(),
            remove,
            param,
            use_lower,
            mark,
        })));
        Ok(())
    }
}
