//! Fields of log messages already split into records (a store's `@message` column), read exactly
//! as a scan of the original lines reads them.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, StringArray};
use datafusion::arrow::compute::concat;
use datafusion::arrow::datatypes::{Field, Schema};

use crate::formats::RECORD_SEPARATOR;
use crate::layout::Layout;
use crate::mapping::Bytes;
use crate::open::OpenInput;
use crate::scan::range::RangeJob;
use crate::{LogSource, ScanStats, SourceError};

/// The given columns (field names as a query writes them; see [`LogSource::table`]) of each
/// message, one array per column with one row per message. A null message has null fields.
///
/// ```
/// use lq_source::datafusion::arrow::array::{Array, StringArray};
/// let messages = StringArray::from(vec![r#"{"a":{"b":7}}"#, "plain text", r#"{"a":{"b":"x"}}"#]);
/// let fields = lq_source::message_fields(&messages, &["a.b".to_string()]).unwrap();
/// let column = fields[0].as_any().downcast_ref::<StringArray>().unwrap();
/// assert_eq!(column.iter().collect::<Vec<_>>(), [Some("7"), None, Some("x")]);
/// ```
pub fn message_fields(
    messages: &StringArray,
    columns: &[String],
) -> Result<Vec<ArrayRef>, SourceError> {
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|c| Field::new(c, LogSource::column_type(c), true))
            .collect::<Vec<_>>(),
    ));
    let layout = Arc::new(Layout::new(columns, None));
    // Records are joined with the record separator, as multi-line records are; one that holds the
    // separator itself (or is blank, so a scan would skip it) is read on its own.
    let joinable = |m: &str| !m.as_bytes().contains(&RECORD_SEPARATOR) && !m.trim().is_empty();
    let mut parts: Vec<Vec<ArrayRef>> = Vec::new();
    let run =
        |parts: &mut Vec<Vec<ArrayRef>>, text: Vec<u8>, rows: usize| -> Result<(), SourceError> {
            let len = text.len();
            let job = RangeJob {
                input: Arc::new(OpenInput {
                    index: 0,
                    display: "@message".to_string(),
                    log: String::new(),
                    stream: String::new(),
                    bytes: Bytes::Owned(Arc::new(text)),
                    separator: RECORD_SEPARATOR,
                    times: None,
                    streamed: None,
                }),
                start: 0,
                end: len,
                schema: schema.clone(),
                layout: layout.clone(),
                stats: Arc::new(ScanStats::default()),
                batch_size: rows.max(1),
                prefilter: None,
                offset_base: 0,
                line_base: 0,
                chunk_of_stream: false,
            };
            let mut got = 0;
            job.run(None, &mut |batch| {
                got += batch.num_rows();
                parts.push(batch.columns().to_vec());
                true
            })
            .map_err(SourceError::from)?;
            if got != rows {
                return Err(SourceError::MessageRecords {
                    got,
                    expected: rows,
                });
            }
            Ok(())
        };
    let mut joined = Vec::new();
    let mut pending = 0;
    for i in 0..messages.len() {
        let message = messages.is_valid(i).then(|| messages.value(i));
        match message {
            Some(m) if joinable(m) => {
                joined.extend_from_slice(m.as_bytes());
                joined.push(RECORD_SEPARATOR);
                pending += 1;
            }
            other => {
                if pending > 0 {
                    run(&mut parts, std::mem::take(&mut joined), pending)?;
                    pending = 0;
                }
                match other {
                    Some(m) if !m.trim().is_empty() => run(&mut parts, m.as_bytes().to_vec(), 1)?,
                    _ => parts.push(
                        schema
                            .fields()
                            .iter()
                            .map(|f| datafusion::arrow::array::new_null_array(f.data_type(), 1))
                            .collect(),
                    ),
                }
            }
        }
    }
    if pending > 0 {
        run(&mut parts, joined, pending)?;
    }
    (0..columns.len())
        .map(|c| {
            let arrays: Vec<&dyn Array> = parts.iter().map(|p| p[c].as_ref()).collect();
            if arrays.is_empty() {
                return Ok(datafusion::arrow::array::new_empty_array(
                    schema.field(c).data_type(),
                ));
            }
            concat(&arrays).map_err(|e| SourceError::DataFusion(e.into()))
        })
        .collect()
}
