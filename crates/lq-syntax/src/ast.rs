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
    /// `filterIndex field = value` / `filterIndex field in [...]`: a filter that may use an index.
    FilterIndex(Expr),
    /// `stats agg, ... [by key, ...] [offset period]`: aggregate.
    Stats(Stats),
    /// `sort key [asc|desc], ...`.
    Sort(Vec<SortKey>),
    /// `limit n`, `limit any n` (also `head n`).
    Limit {
        /// Rows kept.
        rows: u64,
        /// `limit any`: any `n` rows will do.
        any: bool,
    },
    /// `parse [field] ...`: extract fields from text.
    Parse(Parse),
    /// `json field=f "path" as name`: extract a key of a JSON field.
    Json {
        /// The field holding JSON.
        field: Name,
        /// The dotted key path inside it.
        path: String,
        /// The new field's name.
        alias: Name,
    },
    /// `dedup field, ...`: keep the first row of each distinct combination.
    Dedup(Vec<Name>),
    /// `unmask [field]`: accepted; lq does no masking.
    Unmask(Option<Name>),
    /// `unnest expr into name`: one row per element of a list.
    Unnest {
        /// The list.
        expr: Expr,
        /// Where each element goes.
        into: Name,
    },
    /// `expand field`: one row per element of the JSON array in `field`, under the same name.
    Expand(Name),
    /// `pattern expr`: cluster values into patterns.
    Pattern(Expr),
    /// `anomaly`: flag unusual patterns (after `pattern`).
    Anomaly,
    /// `diff [previousDay|previousWeek|previousMonth]`: patterns against an earlier range.
    Diff(DiffBaseline),
    /// `logcompare timeshift period`.
    Logcompare(Duration),
    /// `relevantfields [field, ...] where condition`.
    RelevantFields {
        /// Fields to rank (all when empty).
        fields: Vec<Name>,
        /// The condition that splits records.
        condition: Expr,
    },
    /// `lookup table col [as field], ... OUTPUT|OUTPUTNEW col [as field], ...`.
    Lookup(Lookup),
    /// `cidrlookup table ipfield [as column] OUTPUT|OUTPUTNEW col [as field], ...`.
    CidrLookup(CidrLookup),
    /// `join [options] where a.x = b.y ( query )`.
    Join(Join),
    /// `appendcols [options] ( query )`.
    AppendCols {
        /// `override=`, `max=`.
        options: Vec<CommandOption>,
        /// The sub-query.
        query: Box<Query>,
    },
    /// `addtotals [options] [field, ...]`.
    AddTotals {
        /// `fieldname=`, `row=`, `col=`.
        options: Vec<CommandOption>,
        /// Fields summed (all numeric fields when empty).
        fields: Vec<Name>,
    },
    /// `accum field [as name]`: running sum.
    Accum {
        /// The summed field.
        field: Name,
        /// Output name (the field itself when absent).
        alias: Option<Name>,
    },
    /// `autoregress field [as name] [p=n | p=n-m]`: values of earlier rows.
    Autoregress {
        /// The field.
        field: Name,
        /// Base of the output names (the field's name when absent).
        alias: Option<Name>,
        /// First lag.
        from: u64,
        /// Last lag.
        to: u64,
    },
    /// `filldown [field or wildcard ...]`.
    Filldown(Vec<Name>),
    /// `fillmissing [with value for field, ...]`.
    Fillmissing(Vec<(Expr, Name)>),
    /// `outlier [options] field ...`.
    Outlier {
        /// `action=`, `param=`, `uselower=`, `mark=`.
        options: Vec<CommandOption>,
        /// The fields checked.
        fields: Vec<Name>,
    },
    /// `sessionize field, ... [maxspan period] [as name]`.
    Sessionize {
        /// The identity fields.
        fields: Vec<Name>,
        /// Largest gap between two records of the same group of activity.
        maxspan: Option<Duration>,
        /// Output field name.
        alias: Option<Name>,
    },
    /// `countFrequent field, ...`.
    CountFrequent(Vec<Name>),
    /// `estimate`: report the bytes the query would scan.
    Estimate,
    /// `SOURCE ...`: which logs the query reads.
    Source(Source),
}

impl CommandKind {
    /// The command's keyword as written in the language reference.
    pub fn keyword(&self) -> &'static str {
        match self {
            CommandKind::Fields(_) => "fields",
            CommandKind::Display(_) => "display",
            CommandKind::Filter(_) => "filter",
            CommandKind::FilterIndex(_) => "filterIndex",
            CommandKind::Stats(_) => "stats",
            CommandKind::Sort(_) => "sort",
            CommandKind::Limit { .. } => "limit",
            CommandKind::Parse(_) => "parse",
            CommandKind::Json { .. } => "json",
            CommandKind::Dedup(_) => "dedup",
            CommandKind::Unmask(_) => "unmask",
            CommandKind::Unnest { .. } => "unnest",
            CommandKind::Expand(_) => "expand",
            CommandKind::Pattern(_) => "pattern",
            CommandKind::Anomaly => "anomaly",
            CommandKind::Diff(_) => "diff",
            CommandKind::Logcompare(_) => "logcompare",
            CommandKind::RelevantFields { .. } => "relevantfields",
            CommandKind::Lookup(_) => "lookup",
            CommandKind::CidrLookup(_) => "cidrlookup",
            CommandKind::Join(_) => "join",
            CommandKind::AppendCols { .. } => "appendcols",
            CommandKind::AddTotals { .. } => "addtotals",
            CommandKind::Accum { .. } => "accum",
            CommandKind::Autoregress { .. } => "autoregress",
            CommandKind::Filldown(_) => "filldown",
            CommandKind::Fillmissing(_) => "fillmissing",
            CommandKind::Outlier { .. } => "outlier",
            CommandKind::Sessionize { .. } => "sessionize",
            CommandKind::CountFrequent(_) => "countFrequent",
            CommandKind::Estimate => "estimate",
            CommandKind::Source(_) => "SOURCE",
        }
    }
}

/// The `parse` command.
#[derive(Debug, Clone, PartialEq)]
pub struct Parse {
    /// The field parsed (`@message` when absent).
    pub field: Option<Expr>,
    /// How it is parsed.
    pub spec: ParseSpec,
}

/// The forms of `parse`.
#[derive(Debug, Clone, PartialEq)]
pub enum ParseSpec {
    /// `"text * more *" as a, b`: each `*` captures.
    Glob {
        /// The pattern.
        pattern: String,
        /// One name per `*`.
        names: Vec<Name>,
    },
    /// `/re/ [as a, b] [multi]`: named groups (or groups by position with `as`).
    Regex {
        /// The pattern.
        pattern: String,
        /// Names for the groups by position (empty: use the groups' own names).
        names: Vec<Name>,
        /// One row per match.
        multi: bool,
    },
    /// `logfmt as name`: `key=value` pairs into a map.
    Logfmt(Name),
    /// `csv as a, b, ...`: comma-separated values by position.
    Csv(Vec<Name>),
}

/// Which earlier range `diff` compares with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffBaseline {
    /// The range of the same length just before.
    Previous,
    /// The same range a day earlier.
    Day,
    /// A week earlier.
    Week,
    /// A month earlier.
    Month,
}

/// The `lookup` command.
#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    /// The table: a name (`--lookup NAME=FILE`, else `NAME.csv`) or a quoted path.
    pub table: Name,
    /// Table column and event field pairs that must be equal.
    pub matches: Vec<Renamed>,
    /// `OUTPUTNEW` (fill only missing fields) rather than `OUTPUT`.
    pub new_only: bool,
    /// Table columns copied into the record, optionally renamed.
    pub outputs: Vec<Renamed>,
}

/// The `cidrlookup` command.
#[derive(Debug, Clone, PartialEq)]
pub struct CidrLookup {
    /// The table.
    pub table: Name,
    /// The event field holding an IP address.
    pub ip_field: Name,
    /// The table column holding CIDR ranges (`cidr` when absent).
    pub cidr_column: Option<Name>,
    /// `OUTPUTNEW` rather than `OUTPUT`.
    pub new_only: bool,
    /// Columns copied.
    pub outputs: Vec<Renamed>,
}

/// `name [as other]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Renamed {
    /// The name as in the table.
    pub name: Name,
    /// The name on the event side, if different.
    pub alias: Option<Name>,
}

impl Renamed {
    /// The event-side name.
    pub fn target(&self) -> &str {
        self.alias.as_ref().unwrap_or(&self.name).name.as_str()
    }
}

/// The `join` command.
#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    /// `type=inner|left`, `left=`, `right=`.
    pub options: Vec<CommandOption>,
    /// `LEFT.field` of the condition.
    pub left_key: Name,
    /// `RIGHT.field` of the condition.
    pub right_key: Name,
    /// The right side.
    pub right: Box<Query>,
}

/// A `key=value` option of a command.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandOption {
    /// The key, e.g. `type`.
    pub key: Name,
    /// The value.
    pub value: OptionValue,
    /// Where the value was written.
    pub value_span: Span,
}

/// Values of command options.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    /// A word such as `inner` or `remove`.
    Word(String),
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A time period.
    Duration(Duration),
    /// `n-m`.
    Range(u64, u64),
}

/// The `SOURCE` command.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// The selectors (all must hold).
    pub selectors: Vec<SourceSelector>,
    /// `start=` of the named form (a period back from now, or `now`).
    pub start: Option<RelativeTime>,
    /// `end=` of the named form.
    pub end: Option<RelativeTime>,
}

/// One `SOURCE` selector.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceSelector {
    /// `logGroups(namePrefix: [...], accountIdentifier: [...], class: [...])`.
    LogGroups {
        /// Prefixes of log group names (any matches).
        name_prefix: Vec<String>,
        /// Account ids (ignored locally).
        accounts: Vec<String>,
        /// Log classes (ignored locally).
        class: Vec<String>,
    },
    /// `dataSource(['name.type', ...])`.
    DataSource(Vec<String>),
    /// `logGroupTags([{"key": k, "values": [...]}, ...])`.
    LogGroupTags(Vec<(String, Vec<String>)>),
    /// A log group named directly: a directory, file or glob.
    Name(String),
}

/// `now` or a period before now, as in `start=-1d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelativeTime {
    /// The time the query starts.
    Now,
    /// That long before now.
    Ago(Duration),
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
    /// `offset period`: shift the time bins.
    pub offset: Option<Duration>,
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
    /// `base.key` or `base[index]` on a map or list value.
    Access {
        /// The map or list.
        base: Box<Expr>,
        /// What is taken from it.
        key: AccessKey,
    },
    /// `a in ( query )`, `a not in ( query )`: membership in a field of a sub-query's result.
    InQuery {
        /// The value looked up (a field of the same name must be in the sub-query's output).
        expr: Box<Expr>,
        /// The sub-query.
        query: Box<Query>,
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

/// A key of a map access or the index of a list access.
#[derive(Debug, Clone, PartialEq)]
pub enum AccessKey {
    /// `.name`.
    Name(String),
    /// `[index]`.
    Index(Box<Expr>),
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
