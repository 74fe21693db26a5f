//! The syntax tree of a Logs Insights query. Every node carries the byte span it was parsed from.

use crate::span::Span;

/// A whole query: commands separated by `|`.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The commands in pipeline order.
    pub commands: Vec<Command>,
}

/// One pipeline stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    /// What the command does.
    pub kind: CommandKind,
    /// Where the command stands in the query text, from its keyword to its last token.
    pub span: Span,
}

/// The commands the parser understands.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandKind {
    /// `fields expr [as name], ...`: compute fields for later commands and the output.
    Fields(Vec<Projection>),
    /// `display expr [as name], ...`: choose the output columns (the last `display` wins).
    Display(Vec<Projection>),
    /// `filter expr` / `where expr`: keep records for which the predicate holds.
    Filter(Expr),
    /// `stats agg, ... [by key, ...]`: aggregate.
    Stats(Stats),
    /// `sort key [asc|desc], ...`.
    Sort(Vec<SortKey>),
    /// `limit n` (also `head n`).
    Limit(u64),
}

impl CommandKind {
    /// The command's keyword as written in the language reference.
    pub fn keyword(&self) -> &'static str {
        match self {
            CommandKind::Fields(_) => "fields",
            CommandKind::Display(_) => "display",
            CommandKind::Filter(_) => "filter",
            CommandKind::Stats(_) => "stats",
            CommandKind::Sort(_) => "sort",
            CommandKind::Limit(_) => "limit",
        }
    }
}

/// An expression with an optional `as` alias, as in `fields` and `display`.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// The value.
    pub expr: Expr,
    /// The `as` name, if given.
    pub alias: Option<Name>,
    /// The expression exactly as written in the query; it names the column when there is no alias.
    pub text: String,
}

impl Projection {
    /// The output name: the alias, else a bare field's own name, else the expression text.
    pub fn output_name(&self) -> String {
        if let Some(alias) = &self.alias {
            return alias.name.clone();
        }
        if let ExprKind::Field(name) = &self.expr.kind {
            return name.clone();
        }
        self.text.clone()
    }
}

/// A field name as it appears in the query (after removing backticks), with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Name {
    /// The field name, e.g. `request.status`, `@timestamp`, `foo-bar`.
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// The `stats` command.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// Aggregate expressions (each may combine several aggregate calls).
    pub aggregates: Vec<Projection>,
    /// Group keys after `by`.
    pub group_by: Vec<Projection>,
}

/// One `sort` key.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    /// The value sorted on.
    pub expr: Expr,
    /// `asc`, `desc`, or neither (the default direction is decided by the planner).
    pub direction: Option<SortDirection>,
    /// The key exactly as written, used to find a column of the same name.
    pub text: String,
}

/// `asc` or `desc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortDirection {
    /// Smallest first.
    Ascending,
    /// Largest first.
    Descending,
}

/// An expression node.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What kind of expression.
    pub kind: ExprKind,
    /// The bytes of the query it was parsed from.
    pub span: Span,
}

/// Expression kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A field reference: `status`, `request.status`, `@timestamp`, `` `foo-bar` ``.
    Field(String),
    /// A string literal (quotes removed, escapes resolved).
    String(String),
    /// A number literal.
    Number(Number),
    /// A time period literal such as `5m`.
    Duration(Duration),
    /// A regular expression literal `/.../` (the pattern between the slashes, `\/` resolved).
    Regex(String),
    /// `true` or `false`.
    Bool(bool),
    /// `[a, b, ...]`.
    List(Vec<Expr>),
    /// `*`, only as the argument of `count(*)`.
    Star,
    /// `-x`, `!x`, `not x`.
    Unary(UnaryOp, Box<Expr>),
    /// `a op b`.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `a like "text"`, `a like /re/`, `a =~ /re/`, `a not like ...`.
    Like {
        /// The value searched.
        expr: Box<Expr>,
        /// A string (substring test) or regex (search).
        pattern: Box<Expr>,
        /// `not like`.
        negated: bool,
    },
    /// `a in [..]`, `a not in [..]`.
    In {
        /// The value looked up.
        expr: Box<Expr>,
        /// The list elements.
        list: Vec<Expr>,
        /// `not in`.
        negated: bool,
    },
    /// `name(args...)`.
    Call {
        /// The function name as written.
        name: String,
        /// Where the name was written.
        name_span: Span,
        /// Arguments.
        args: Vec<Expr>,
    },
}

/// A number literal, kept exact when integral.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An integer that fits in 64 bits.
    Int(i64),
    /// Anything else.
    Float(f64),
}

impl Number {
    /// The value as a float.
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-x`.
    Negate,
    /// `not x` or `!x`.
    Not,
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `^`
    Pow,
    /// `=` or `==`
    Eq,
    /// `!=`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
    /// `and`
    And,
    /// `or`
    Or,
}

impl BinaryOp {
    /// True for `=`, `!=`, `<`, `<=`, `>`, `>=`.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq
                | BinaryOp::NotEq
                | BinaryOp::Lt
                | BinaryOp::LtEq
                | BinaryOp::Gt
                | BinaryOp::GtEq
        )
    }
}

/// A time period: an amount of a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration {
    /// How many units, as written.
    pub amount: u64,
    /// The unit.
    pub unit: TimeUnit,
}

/// Units of time periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// `ms`
    Millisecond,
    /// `s`
    Second,
    /// `m`
    Minute,
    /// `h`
    Hour,
    /// `d`
    Day,
    /// `w`
    Week,
    /// `mo`
    Month,
    /// `q`
    Quarter,
    /// `y`
    Year,
}

impl TimeUnit {
    /// Every accepted spelling of a unit, longest first so that `ms` wins over `m`.
    pub const SPELLINGS: &'static [(&'static str, TimeUnit)] = &[
        ("milliseconds", TimeUnit::Millisecond),
        ("millisecond", TimeUnit::Millisecond),
        ("quarters", TimeUnit::Quarter),
        ("quarter", TimeUnit::Quarter),
        ("minutes", TimeUnit::Minute),
        ("seconds", TimeUnit::Second),
        ("minute", TimeUnit::Minute),
        ("months", TimeUnit::Month),
        ("second", TimeUnit::Second),
        ("month", TimeUnit::Month),
        ("hours", TimeUnit::Hour),
        ("weeks", TimeUnit::Week),
        ("years", TimeUnit::Year),
        ("msecs", TimeUnit::Millisecond),
        ("hour", TimeUnit::Hour),
        ("days", TimeUnit::Day),
        ("week", TimeUnit::Week),
        ("year", TimeUnit::Year),
        ("mins", TimeUnit::Minute),
        ("secs", TimeUnit::Second),
        ("msec", TimeUnit::Millisecond),
        ("qtrs", TimeUnit::Quarter),
        ("mons", TimeUnit::Month),
        ("day", TimeUnit::Day),
        ("min", TimeUnit::Minute),
        ("sec", TimeUnit::Second),
        ("hrs", TimeUnit::Hour),
        ("qtr", TimeUnit::Quarter),
        ("mon", TimeUnit::Month),
        ("yrs", TimeUnit::Year),
        ("ms", TimeUnit::Millisecond),
        ("hr", TimeUnit::Hour),
        ("mo", TimeUnit::Month),
        ("yr", TimeUnit::Year),
        ("s", TimeUnit::Second),
        ("m", TimeUnit::Minute),
        ("h", TimeUnit::Hour),
        ("d", TimeUnit::Day),
        ("w", TimeUnit::Week),
        ("q", TimeUnit::Quarter),
        ("y", TimeUnit::Year),
    ];

    /// Milliseconds in one unit, for the fixed-length units (`None` for month, quarter, year).
    pub fn fixed_millis(self) -> Option<u64> {
        Some(match self {
            TimeUnit::Millisecond => 1,
            TimeUnit::Second => 1_000,
            TimeUnit::Minute => 60_000,
            TimeUnit::Hour => 3_600_000,
            TimeUnit::Day => 86_400_000,
            TimeUnit::Week => 7 * 86_400_000,
            TimeUnit::Month | TimeUnit::Quarter | TimeUnit::Year => return None,
        })
    }
}
