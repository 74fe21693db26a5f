//! Name resolution: a name as a column defined earlier, a path inside a JSON value, a side of a
//! `join`, or a field of the log records.

use datafusion::logical_expr::Expr;
use lq_syntax::Diagnostic;
use lq_syntax::Span;

use super::scope::AggContext;
use super::walk::Lowering;
use crate::types::*;
use lq_fields::ROW_ORDER_COLUMN;

impl Lowering {
    pub(crate) fn source_field(&mut self, name: &str) -> Typed {
        self.source.insert(name.to_string());
        let kind = match name {
            "@timestamp" => Kind::Time,
            ROW_ORDER_COLUMN => Kind::Number,
            _ => Kind::Text,
        };
        Typed::new(column(name), kind)
    }

    pub(crate) fn name_ref(&mut self, name: &str, span: Span) -> Result<Typed, Diagnostic> {
        if let Some(kind) = self.scope.defined.get(name) {
            return Ok(Typed::new(column(name), *kind));
        }
        // A prefix that holds a JSON map: the rest is a path inside it.
        let parts: Vec<&str> = name.split('.').collect();
        for cut in (1..parts.len()).rev() {
            let prefix = parts[..cut].join(".");
            if self.scope.defined.get(&prefix) == Some(&Kind::Json) {
                let path = parts[cut..].iter().map(|p| p.to_string()).collect();
                return Ok(Typed::new(
                    crate::extract::json::JsonGet::udf(path).call(vec![column(&prefix)]),
                    Kind::Json,
                ));
            }
        }
        if let Some((left, right, side)) = self.scope.joined.clone() {
            if let Some(rest) = name.strip_prefix(&format!("{left}.")) {
                self.source_field(rest);
                return Ok(Typed::new(column(name), Kind::Text));
            }
            if let Some(rest) = name.strip_prefix(&format!("{right}.")) {
                self.sides[side].source.insert(rest.to_string());
                return Ok(Typed::new(column(name), Kind::Text));
            }
            return Err(Diagnostic::new(
                format!("after `join`, fields are named `{left}.field` or `{right}.field`"),
                span,
            )
            .with_hint(format!("write e.g. `{left}.{name}`")));
        }
        if self.scope.open {
            return Ok(self.source_field(name));
        }
        let mut known: Vec<&str> = self.scope.defined.keys().map(|s| s.as_str()).collect();
        known.sort();
        let hint = match lq_syntax::suggest(name, &known) {
            Some(n) => format!("did you mean `{n}`?"),
            None => format!(
                "after `stats` only its columns exist: {}",
                known
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        Err(
            Diagnostic::new(format!("`{name}` does not exist after `stats`"), span)
                .with_label("unknown field here")
                .with_hint(hint),
        )
    }

    pub(crate) fn field_in(
        &mut self,
        name: &str,
        span: Span,
        ctx: &mut AggContext<'_>,
    ) -> Result<Typed, Diagnostic> {
        match ctx {
            AggContext::None => self.name_ref(name, span),
            AggContext::Stats {
                groups, earlier, ..
            } => {
                if let Some(t) = earlier.get(name) {
                    return Ok(t.clone());
                }
                if let Some(kind) = groups.get(name) {
                    return Ok(Typed::new(column(name), *kind));
                }
                Err(Diagnostic::new(
                    format!("`{name}` must be inside an aggregate function or be a group key"),
                    span,
                )
                .with_hint(format!(
                    "write e.g. `max({name})`, or add `{name}` after `by`"
                )))
            }
        }
    }

    /// `@timestamp`, which `bin` and `earliest`/`latest` read implicitly.
    pub(crate) fn timestamp(&mut self, span: Span) -> Result<Typed, Diagnostic> {
        if !self.scope.open && !self.scope.defined.contains_key("@timestamp") {
            return Err(Diagnostic::new("`@timestamp` does not exist after `stats`", span)
                .with_hint("carry a time forward, e.g. `stats ... by bin(5m) as t`, then use `datefloor(t, 1h)`"));
        }
        self.name_ref("@timestamp", span)
    }

    /// The row-order column, for deterministic tie-breaking in `earliest`/`latest`.
    pub(crate) fn row_order(&mut self) -> Option<Expr> {
        self.scope
            .open
            .then(|| self.source_field(ROW_ORDER_COLUMN).expr)
    }
}
