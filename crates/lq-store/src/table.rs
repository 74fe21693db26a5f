//! The table a query reads from a store: the files of the chosen groups and hours, one Parquet
//! scan per group and file schema, each projected to the columns the query names (typed columns
//! back to the text a scan would give, other fields read from `@message`), all under one view.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::catalog::view::ViewTable;
use datafusion::common::{Column, ScalarValue};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, cast, lit};
use lq_source::LogSource;

use crate::files::{self, DataFile, Footer};
use crate::message_udf::MessageFields;
use crate::{Location, StoreError};

/// A store table for one query, with what it reads.
#[derive(Debug)]
pub struct StoreTable {
    /// The table: exactly the requested columns, typed as a log scan types them.
    pub provider: Arc<dyn TableProvider>,
    /// Files read (after pruning by group and hour).
    pub files: usize,
    /// Bytes of those files.
    pub bytes: u64,
    /// Records in those files.
    pub records: u64,
}

/// The table of `columns` (query field names) over the given groups (all when `None`) and time
/// range (epoch ms; hours outside it are not read).
pub async fn table(
    location: &Location,
    columns: &[String],
    groups: Option<&[String]>,
    range: (Option<i64>, Option<i64>),
) -> Result<StoreTable, StoreError> {
    let listed = files::list(location, groups, range).await?;
    let read = files::visible(files::footers(location, listed).await?);
    let bytes = read.iter().map(|(f, _)| f.size).sum();
    let records = read.iter().map(|(_, footer)| footer.rows).sum();
    let file_count = read.len();
    // One scan per group and schema: a group is a literal `@log`, a schema one projection.
    let mut sets: BTreeMap<(String, String), Vec<(DataFile, Footer)>> = BTreeMap::new();
    for (file, footer) in read {
        let key = footer
            .schema
            .fields()
            .iter()
            .map(|f| format!("{}:{}", f.name(), f.data_type()))
            .collect::<Vec<_>>()
            .join(",");
        sets.entry((file.group.clone(), key))
            .or_default()
            .push((file, footer));
    }
    let mut plan: Option<LogicalPlanBuilder> = None;
    for ((group, _), set) in sets {
        let schema = set[0].1.schema.clone();
        let scan = scan(location, &set, schema.clone())?;
        let projected = scan.project(projection(columns, &schema, &group))?;
        plan = Some(match plan {
            None => projected,
            Some(p) => p.union(projected.build()?)?,
        });
    }
    let plan: LogicalPlan = match plan {
        Some(p) => p.build()?,
        None => LogicalPlanBuilder::empty(false)
            .project(columns.iter().map(|c| {
                lit(ScalarValue::try_from(&LogSource::column_type(c)).unwrap_or(ScalarValue::Null))
                    .alias(c)
            }))?
            .build()?,
    };
    Ok(StoreTable {
        provider: Arc::new(ViewTable::new(plan, None)),
        files: file_count,
        bytes,
        records,
    })
}

/// A Parquet scan of files that share a schema.
fn scan(
    location: &Location,
    set: &[(DataFile, Footer)],
    schema: SchemaRef,
) -> Result<LogicalPlanBuilder, StoreError> {
    let urls = set
        .iter()
        .map(|(f, _)| ListingTableUrl::parse(location.url_of(&f.path)))
        .collect::<Result<Vec<_>, _>>()?;
    let options =
        ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let config = ListingTableConfig::new_with_multi_paths(urls)
        .with_listing_options(options)
        .with_schema(schema);
    let table = ListingTable::try_new(config)?;
    Ok(LogicalPlanBuilder::scan(
        "store",
        provider_as_source(Arc::new(table)),
        None,
    )?)
}

fn column(name: &str) -> Expr {
    Expr::Column(Column::new_unqualified(name))
}

/// Each requested column from a file of `schema` in `group`, as the type a log scan gives it.
fn projection(columns: &[String], schema: &SchemaRef, group: &str) -> Vec<Expr> {
    let from_message: Vec<String> = columns
        .iter()
        .filter(|c| c.as_str() != "@log" && schema.field_with_name(c).is_err())
        .filter(|c| !matches!(c.as_str(), "@timestamp" | "@message" | "@logStream"))
        .filter(|c| c.as_str() != lq_fields::ROW_ORDER_COLUMN)
        .cloned()
        .collect();
    let message_fields = (!from_message.is_empty())
        .then(|| MessageFields::udf(from_message.clone()).call(vec![column("@message")]));
    columns
        .iter()
        .map(|c| {
            let want = LogSource::column_type(c);
            let expr = if c == "@log" {
                lit(group.to_string())
            } else if let Ok(field) = schema.field_with_name(c) {
                if field.data_type() == &want {
                    column(c)
                } else {
                    cast(column(c), want.clone())
                }
            } else if let (Some(fields), true) =
                (&message_fields, from_message.iter().any(|m| m == c))
            {
                datafusion::functions::core::get_field().call(vec![fields.clone(), lit(c.as_str())])
            } else {
                lit(ScalarValue::try_from(&want).unwrap_or(ScalarValue::Null))
            };
            expr.alias(c)
        })
        .collect()
}
