//! `--output FILE`: the result written to a file, its format chosen by the extension — Parquet
//! and Arrow IPC keep column types; CSV, JSON, NDJSON and Markdown are the text formats.

use std::path::Path;
use std::sync::Arc;

use lq::QueryResult;
use lq::datafusion::arrow::array::RecordBatch;
use lq::datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::args::Format;

/// What a file name's extension asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Parquet,
    /// Arrow IPC file format (`.arrow`, `.feather`, `.ipc`).
    ArrowFile,
    /// Arrow IPC stream format (`.arrows`).
    ArrowStream,
    Text(Format),
}

impl FileFormat {
    /// The format for a path, or a message naming the extensions lq knows.
    pub fn of(path: &Path) -> Result<Self, String> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        Ok(match ext.as_str() {
            "parquet" | "pq" => FileFormat::Parquet,
            "arrow" | "feather" | "ipc" => FileFormat::ArrowFile,
            "arrows" => FileFormat::ArrowStream,
            "csv" => FileFormat::Text(Format::Csv),
            "json" => FileFormat::Text(Format::Json),
            "ndjson" | "jsonl" => FileFormat::Text(Format::Ndjson),
            "md" | "markdown" => FileFormat::Text(Format::Markdown),
            "txt" => FileFormat::Text(Format::Table),
            _ => {
                return Err(format!(
                    "cannot tell the output format of {} from its extension; use .parquet, .arrow, .arrows, .csv, .json, .ndjson, .md or .txt",
                    path.display()
                ));
            }
        })
    }
}

/// The result's batches with the output column names (as the table shows them). A result with
/// no rows has text columns.
fn named(result: &QueryResult) -> Result<(SchemaRef, Vec<RecordBatch>), String> {
    let fields: Vec<Field> = match result.batches.first() {
        Some(b) => b
            .schema()
            .fields()
            .iter()
            .zip(&result.columns)
            .map(|(f, name)| Field::new(name, f.data_type().clone(), true))
            .collect(),
        None => result
            .columns
            .iter()
            .map(|name| Field::new(name, DataType::Utf8, true))
            .collect(),
    };
    let schema = Arc::new(Schema::new(fields));
    let batches = result
        .batches
        .iter()
        .map(|b| RecordBatch::try_new(schema.clone(), b.columns().to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("cannot name the output columns: {e}"))?;
    Ok((schema, batches))
}

/// Writes the result to `path` in `format`.
pub fn write(result: &QueryResult, path: &Path, format: FileFormat) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", path.display());
    let file = std::fs::File::create(path).map_err(|e| fail(&e))?;
    let mut out = std::io::BufWriter::new(file);
    match format {
        FileFormat::Parquet => {
            let (schema, batches) = named(result)?;
            let props = parquet::file::properties::WriterProperties::builder()
                .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
                .build();
            let mut writer = parquet::arrow::ArrowWriter::try_new(out, schema, Some(props))
                .map_err(|e| fail(&e))?;
            for b in &batches {
                writer.write(b).map_err(|e| fail(&e))?;
            }
            writer.close().map_err(|e| fail(&e))?;
        }
        FileFormat::ArrowFile => {
            let (schema, batches) = named(result)?;
            let mut writer =
                arrow_ipc::writer::FileWriter::try_new(out, &schema).map_err(|e| fail(&e))?;
            for b in &batches {
                writer.write(b).map_err(|e| fail(&e))?;
            }
            writer.finish().map_err(|e| fail(&e))?;
        }
        FileFormat::ArrowStream => {
            let (schema, batches) = named(result)?;
            let mut writer =
                arrow_ipc::writer::StreamWriter::try_new(out, &schema).map_err(|e| fail(&e))?;
            for b in &batches {
                writer.write(b).map_err(|e| fail(&e))?;
            }
            writer.finish().map_err(|e| fail(&e))?;
        }
        FileFormat::Text(text) => {
            let style = crate::render::TableStyle {
                width: None,
                color: false,
            };
            crate::render::render_to(result, text, &style, &mut out).map_err(|e| fail(&e))?;
            std::io::Write::flush(&mut out).map_err(|e| fail(&e))?;
        }
    }
    Ok(())
}
