//! Lookup tables for `lookup` and `cidrlookup`: CSV files with a header row.
//!
//! A table named `NAME` in a query is the file given by `--lookup NAME=FILE`, else `NAME.csv` in the
//! current directory; a quoted name is a path. Tables load once, on first use. Keys compare as
//! text (numbers in their canonical text form); when several rows match, the first row in file
//! order wins. For `cidrlookup`, the most specific (longest-prefix) range wins.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use datafusion::arrow::array::{Array as _, ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::udf::texts_of;

/// The file a table name stands for when no `--lookup` option names it.
pub fn default_path(name: &str) -> PathBuf {
    let p = Path::new(name);
    if p.extension().is_some() || name.contains('/') {
        p.to_path_buf()
    } else {
        PathBuf::from(format!("{name}.csv"))
    }
}

/// Key values → the first row holding them.
type KeyIndex = HashMap<Vec<String>, usize>;

/// The contents of a loaded table.
#[derive(Debug)]
pub struct TableData {
    /// Column names from the header row.
    pub columns: Vec<String>,
    /// Rows, each with one value per column.
    pub rows: Vec<Vec<String>>,
}

/// A lookup table, loaded on first use.
#[derive(Debug)]
pub struct LookupTable {
    /// The name used in the query.
    pub name: String,
    /// The CSV file.
    pub path: PathBuf,
    data: OnceLock<std::result::Result<TableData, String>>,
    /// Key columns → (key values → first row index).
    indexes: std::sync::Mutex<HashMap<Vec<String>, Arc<KeyIndex>>>,
}

impl LookupTable {
    /// A table backed by `path`.
    pub fn new(name: &str, path: PathBuf) -> Self {
        LookupTable {
            name: name.to_string(),
            path,
            data: OnceLock::new(),
            indexes: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// Reads the table (once); the error says which file and what went wrong.
    pub fn load(&self) -> std::result::Result<&TableData, String> {
        self.data
            .get_or_init(|| {
                read_csv(&self.path).map_err(|e| {
                    format!(
                        "lookup table `{}` ({}): {e}",
                        self.name,
                        self.path.display()
                    )
                })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    fn column(&self, data: &TableData, name: &str) -> Result<usize> {
        data.columns.iter().position(|c| c == name).ok_or_else(|| {
            DataFusionError::Execution(format!(
                "lookup table `{}` has no column `{name}` (columns: {})",
                self.name,
                data.columns.join(", ")
            ))
        })
    }

    fn index(&self, keys: &[String]) -> Result<Arc<KeyIndex>> {
        let data = self.load().map_err(DataFusionError::Execution)?;
        let mut cache = self
            .indexes
            .lock()
            .map_err(|_| DataFusionError::Execution("lookup index poisoned".into()))?;
        if let Some(i) = cache.get(keys) {
            return Ok(i.clone());
        }
        let cols: Vec<usize> = keys
            .iter()
            .map(|k| self.column(data, k))
            .collect::<Result<_>>()?;
        let mut index = HashMap::new();
        for (i, row) in data.rows.iter().enumerate() {
            let key: Vec<String> = cols.iter().map(|&c| canonical(&row[c])).collect();
            index.entry(key).or_insert(i);
        }
        let index = Arc::new(index);
        cache.insert(keys.to_vec(), index.clone());
        Ok(index)
    }
}

/// Numbers compare by value (`1.0` matches `1`); other text exactly.
fn canonical(s: &str) -> String {
    match crate::udf::parse_number(s) {
        Some(n)
            if !s.trim().is_empty()
                && !s.trim().eq_ignore_ascii_case("true")
                && !s.trim().eq_ignore_ascii_case("false") =>
        {
            crate::udf::format_number(n)
        }
        _ => s.to_string(),
    }
}

fn read_csv(path: &Path) -> std::result::Result<TableData, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| e.to_string())?;
    let columns: Vec<String> = reader
        .headers()
        .map_err(|e| e.to_string())?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("line {}: {e}", i + 2))?;
        rows.push(
            (0..columns.len())
                .map(|c| record.get(c).unwrap_or("").to_string())
                .collect(),
        );
    }
    Ok(TableData { columns, rows })
}

/// `lq_lookup(key, ...)`: the `output` column of the first row whose key columns equal the
/// arguments (or, for CIDR tables, whose range holds the address), null when none does.
#[derive(Debug)]
pub struct LookupFn {
    table: Arc<LookupTable>,
    keys: Vec<String>,
    output: String,
    cidr: bool,
    signature: Signature,
}

impl PartialEq for LookupFn {
    fn eq(&self, other: &Self) -> bool {
        self.table.name == other.table.name
            && self.keys == other.keys
            && self.output == other.output
            && self.cidr == other.cidr
    }
}

impl Eq for LookupFn {}

impl std::hash::Hash for LookupFn {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.table.name.hash(state);
        self.keys.hash(state);
        self.output.hash(state);
    }
}

impl LookupFn {
    /// A lookup of `output` by `keys` in `table`.
    pub fn udf(
        table: Arc<LookupTable>,
        keys: Vec<String>,
        output: String,
        cidr: bool,
    ) -> Arc<ScalarUDF> {
        Arc::new(ScalarUDF::new_from_impl(LookupFn {
            table,
            keys,
            output,
            cidr,
            signature: Signature::variadic_any(Volatility::Immutable),
        }))
    }
}

impl ScalarUDFImpl for LookupFn {
    fn name(&self) -> &str {
        if self.cidr {
            "lq_cidrlookup"
        } else {
            "lq_lookup"
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let texts: Vec<_> = arrays.iter().map(texts_of).collect::<Result<_>>()?;
        let data = self.table.load().map_err(DataFusionError::Execution)?;
        let out_col = self.table.column(data, &self.output)?;
        let rows = args.number_rows;
        let mut b = StringBuilder::with_capacity(rows, rows * 8);
        if self.cidr {
            let cidr_col = self.table.column(data, &self.keys[0])?;
            let ranges: Vec<(IpAddr, u32, usize)> = data
                .rows
                .iter()
                .enumerate()
                .filter_map(|(i, r)| crate::rowfn::parse_cidr(&r[cidr_col]).map(|(a, n)| (a, n, i)))
                .collect();
            for i in 0..rows {
                let ip = texts[0]
                    .is_valid(i)
                    .then(|| texts[0].value(i).trim().parse::<IpAddr>().ok())
                    .flatten();
                let best = ip.and_then(|ip| {
                    ranges
                        .iter()
                        .filter(|(net, bits, _)| crate::rowfn::in_subnet(ip, *net, *bits))
                        .max_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)))
                });
                b.append_option(best.map(|(_, _, row)| data.rows[*row][out_col].as_str()));
            }
        } else {
            let index = self.table.index(&self.keys)?;
            let mut key = Vec::with_capacity(texts.len());
            for i in 0..rows {
                key.clear();
                let mut missing = false;
                for t in &texts {
                    if t.is_valid(i) {
                        key.push(canonical(t.value(i)));
                    } else {
                        missing = true;
                    }
                }
                let found = if missing { None } else { index.get(&key) };
                b.append_option(found.map(|&row| data.rows[row][out_col].as_str()));
            }
        }
        Ok(ColumnarValue::Array(Arc::new(b.finish()) as ArrayRef))
    }
}
