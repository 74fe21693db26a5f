//! Parquet files lq did not write (a file, a directory or a glob of them, hive-partitioned or not),
//! read natively: one Parquet scan per schema with only the referenced columns, filters applied
//! while decoding, nested struct fields reached with the dotted names of JSON fields.
//!
//! A column's value is its text (numbers and times as Arrow prints them), as a log field's is. A
//! query that needs what only a row-by-row reading gives (`@message`, `@ptr`, the input order of
//! records, a field inside a list or a whole struct as JSON) gets `None`, and is answered by
//! reading the rows as JSON lines.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{StringArray, TimestampMillisecondArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use datafusion::catalog::view::ViewTable;
use datafusion::common::{Column, Result as DfResult, ScalarValue, exec_err};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::{
    ColumnarValue, Expr, LogicalPlanBuilder, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, Volatility, lit,
};
use lq_source::LogSource;
use lq_source::timestamp::parse_timestamp_text;

use crate::{StoreError, StoreTable};

/// Whether a file is Parquet (by its first and last bytes).
pub fn is_parquet_file(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let mut head = [0u8; 4];
    let mut tail = [0u8; 4];
    f.read_exact(&mut head).is_ok()
        && f.seek(SeekFrom::End(-4)).is_ok()
        && f.read_exact(&mut tail).is_ok()
        && &head == b"PAR1"
        && &tail == b"PAR1"
}

/// A Parquet file with its columns and the `key=value` directories above it.
struct ParquetFile {
    path: PathBuf,
    schema: SchemaRef,
    hive: Vec<(String, String)>,
}

/// A table of `columns` over Parquet `files`, or `None` when the query needs rows read one by one.
pub fn parquet_table(
    files: &[PathBuf],
    columns: &[String],
    timestamp_field: Option<&str>,
) -> Result<Option<StoreTable>, StoreError> {
    if columns
        .iter()
        .any(|c| matches!(c.as_str(), "@message" | "@ptr") || c == lq_fields::ROW_ORDER_COLUMN)
    {
        return Ok(None);
    }
    let per_file = columns.iter().any(|c| c == "@log" || c == "@logStream");
    let mut sets: BTreeMap<String, Vec<ParquetFile>> = BTreeMap::new();
    let mut bytes = 0;
    let mut records = 0;
    for path in files {
        let file = std::fs::File::open(path).map_err(|source| StoreError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let metadata = parquet::file::metadata::ParquetMetaDataReader::new()
            .parse_and_finish(&file)
            .map_err(StoreError::parquet(path.display()))?;
        let meta = metadata.file_metadata();
        let schema = Arc::new(
            parquet::arrow::parquet_to_arrow_schema(meta.schema_descr(), meta.key_value_metadata())
                .map_err(StoreError::parquet(path.display()))?,
        );
        let hive: Vec<(String, String)> = path
            .parent()
            .into_iter()
            .flat_map(|p| p.components())
            .filter_map(|c| {
                let text = c.as_os_str().to_string_lossy();
                let (k, v) = text.split_once('=')?;
                Some((k.to_string(), v.to_string()))
            })
            .collect();
        bytes += size;
        records += meta.num_rows().max(0) as u64;
        let mut key = schema
            .fields()
            .iter()
            .map(|f| format!("{}:{}", f.name(), f.data_type()))
            .collect::<Vec<_>>()
            .join(",");
        key.push_str(&format!("|{hive:?}"));
        if per_file {
            key.push_str(&format!("|{}", path.display()));
        }
        sets.entry(key).or_default().push(ParquetFile {
            path: path.clone(),
            schema,
            hive,
        });
    }
    let mut plan: Option<LogicalPlanBuilder> = None;
    for set in sets.values() {
        let first = &set[0];
        let Some(projection) = projection(
            columns,
            &first.schema,
            &first.hive,
            &first.path,
            timestamp_field,
        ) else {
            return Ok(None);
        };
        let urls = set
            .iter()
            .map(|f| {
                let absolute = std::path::absolute(&f.path).unwrap_or_else(|_| f.path.clone());
                ListingTableUrl::parse(format!("file://{}", absolute.display()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let options =
            ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension("");
        let config = ListingTableConfig::new_with_multi_paths(urls)
            .with_listing_options(options)
            .with_schema(first.schema.clone());
        let scan = LogicalPlanBuilder::scan(
            "parquet",
            provider_as_source(Arc::new(ListingTable::try_new(config)?)),
            None,
        )?
        .project(projection)?;
        plan = Some(match plan {
            None => scan,
            Some(p) => p.union(scan.build()?)?,
        });
    }
    let plan = match plan {
        Some(p) => p.build()?,
        None => return Ok(None),
    };
    Ok(Some(StoreTable {
        provider: Arc::new(ViewTable::new(plan, None)),
        files: files.len(),
        bytes,
        records,
    }))
}

fn column(name: &str) -> Expr {
    Expr::Column(Column::new_unqualified(name))
}

/// A dotted name resolved in `schema`: the column and struct fields to descend, and the type.
fn resolve(schema: &SchemaRef, name: &str) -> Option<(Expr, DataType)> {
    let parts: Vec<&str> = name.split('.').collect();
    for split in (1..=parts.len()).rev() {
        let top = parts[..split].join(".");
        let Ok(field) = schema.field_with_name(&top) else {
            continue;
        };
        let mut expr = column(&top);
        let mut ty = field.data_type().clone();
        for part in &parts[split..] {
            let DataType::Struct(fields) = &ty else {
                return None;
            };
            let child = fields.iter().find(|f| f.name() == part)?;
            expr = datafusion::functions::core::get_field().call(vec![expr, lit(*part)]);
            ty = child.data_type().clone();
        }
        return Some((expr, ty));
    }
    None
}

/// Each column as the type a log scan gives it; `None` when one can only be read row by row.
fn projection(
    columns: &[String],
    schema: &SchemaRef,
    hive: &[(String, String)],
    file: &Path,
    timestamp_field: Option<&str>,
) -> Option<Vec<Expr>> {
    let mut out = Vec::new();
    for c in columns {
        let want = LogSource::column_type(c);
        let expr = match c.as_str() {
            "@timestamp" => {
                let candidates: Vec<&str> = match timestamp_field {
                    Some(f) => vec![f],
                    None => lq_source::timestamp::DEFAULT_TIMESTAMP_FIELDS.to_vec(),
                };
                match candidates.iter().find_map(|f| resolve(schema, f)) {
                    Some((expr, DataType::Timestamp(..) | DataType::Date32 | DataType::Date64)) => {
                        datafusion::logical_expr::cast(
                            expr,
                            DataType::Timestamp(TimeUnit::Millisecond, None),
                        )
                    }
                    Some((_, DataType::Struct(_) | DataType::List(_) | DataType::Map(..))) => {
                        return None;
                    }
                    Some((expr, _)) => ParseTime::udf().call(vec![expr]),
                    None => lit(ScalarValue::TimestampMillisecond(None, None)),
                }
            }
            "@log" => lit(lq_source::log_names(file).0),
            "@logStream" => lit(lq_source::log_names(file).1),
            name if name.starts_with('@') && !name.starts_with("@@") => {
                lit(ScalarValue::Utf8(None))
            }
            name => {
                let name = name
                    .strip_prefix('@')
                    .filter(|n| n.starts_with('@'))
                    .unwrap_or(name);
                if let Some((_, v)) = hive.iter().find(|(k, _)| k == name) {
                    lit(v.clone())
                } else {
                    match resolve(schema, name) {
                        Some((
                            _,
                            DataType::Struct(_)
                            | DataType::List(_)
                            | DataType::LargeList(_)
                            | DataType::Map(..),
                        )) => return None,
                        Some((expr, DataType::Utf8)) => expr,
                        Some((expr, _)) => datafusion::logical_expr::cast(expr, want.clone()),
                        None if name.contains('.') && prefix_is_list(schema, name) => return None,
                        None => lit(ScalarValue::Utf8(None)),
                    }
                }
            }
        };
        out.push(expr.alias(c));
    }
    Some(out)
}

/// Whether some prefix of a dotted name is a list (`tags.0`), which only row-by-row reading reaches.
fn prefix_is_list(schema: &SchemaRef, name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    (1..parts.len()).any(|i| {
        resolve(schema, &parts[..i].join("."))
            .is_some_and(|(_, t)| matches!(t, DataType::List(_) | DataType::LargeList(_)))
    })
}

/// `lq_parse_time(text)`: a time written as text or a number, read as a log scan reads it.
#[derive(Debug, PartialEq, Eq, Hash)]
struct ParseTime {
    signature: Signature,
}

impl ParseTime {
    fn udf() -> Arc<ScalarUDF> {
        Arc::new(ScalarUDF::new_from_impl(ParseTime {
            signature: Signature::any(1, Volatility::Immutable),
        }))
    }
}

impl ScalarUDFImpl for ParseTime {
    fn name(&self) -> &str {
        "lq_parse_time"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Timestamp(TimeUnit::Millisecond, None))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let Some(values) = arrays.first() else {
            return exec_err!("lq_parse_time takes one argument");
        };
        let texts = cast(values, &DataType::Utf8)?;
        let Some(texts) = texts.as_any().downcast_ref::<StringArray>() else {
            return exec_err!("lq_parse_time: not text");
        };
        let times: TimestampMillisecondArray = texts
            .iter()
            .map(|t| t.and_then(parse_timestamp_text))
            .collect();
        Ok(ColumnarValue::Array(Arc::new(times)))
    }
}
