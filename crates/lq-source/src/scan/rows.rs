//! Building a range's Arrow columns row by row from the values found on each line.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, RecordBatch, StringBuilder, TimestampMillisecondBuilder, UInt64Builder,
};

use crate::layout::ColumnSource;
use crate::scan::field_value::FieldValue;
use crate::scan::range::RangeJob;
use crate::{lambda, timestamp};

pub(crate) enum Builder {
    Time(TimestampMillisecondBuilder),
    Text(StringBuilder),
    Row(UInt64Builder),
}

impl RangeJob {
    pub(crate) fn new_builders(&self) -> Vec<Builder> {
        self.layout
            .columns
            .iter()
            .map(|c| match c {
                ColumnSource::Timestamp => {
                    Builder::Time(TimestampMillisecondBuilder::with_capacity(self.batch_size))
                }
                ColumnSource::RowOrder => {
                    Builder::Row(UInt64Builder::with_capacity(self.batch_size))
                }
                _ => Builder::Text(StringBuilder::with_capacity(
                    self.batch_size,
                    self.batch_size * 16,
                )),
            })
            .collect()
    }

    pub(crate) fn append_row(
        &self,
        builders: &mut [Builder],
        data: &[u8],
        line: &[u8],
        offset: usize,
        values: &[FieldValue],
        (event_time, text_time): (Option<i64>, Option<i64>),
    ) {
        for (source, builder) in self.layout.columns.iter().zip(builders.iter_mut()) {
            match (source, builder) {
                (ColumnSource::Timestamp, Builder::Time(b)) => {
                    let ts = event_time.or_else(|| {
                        self.layout
                            .timestamp_slots
                            .iter()
                            .find_map(|&slot| values.get(slot).and_then(|v| v.text(data)))
                            .and_then(timestamp::parse_timestamp_text)
                            .or(text_time)
                    });
                    b.append_option(ts);
                }
                (ColumnSource::RowOrder, Builder::Row(b)) => {
                    b.append_value((self.input.index << 40) | (self.offset_base + offset) as u64);
                }
                (ColumnSource::Message, Builder::Text(b)) => {
                    b.append_value(String::from_utf8_lossy(line))
                }
                (ColumnSource::Log, Builder::Text(b)) => b.append_value(&self.input.log),
                (ColumnSource::LogStream, Builder::Text(b)) => b.append_value(&self.input.stream),
                (ColumnSource::Lambda(f), Builder::Text(b)) => b.append_option(
                    std::str::from_utf8(line)
                        .ok()
                        .and_then(|l| lambda::lambda_field(l, *f)),
                ),
                (ColumnSource::Ptr, Builder::Text(b)) => b.append_value(format!(
                    "{}:{}",
                    self.input.display,
                    self.offset_base + offset
                )),
                (ColumnSource::Json(slot), Builder::Text(b)) => {
                    b.append_option(values.get(*slot).and_then(|v| v.text(data)))
                }
                (_, Builder::Text(b)) => b.append_null(),
                (_, Builder::Time(b)) => b.append_null(),
                (_, Builder::Row(b)) => b.append_null(),
            }
        }
    }

    pub(crate) fn finish(
        &self,
        builders: &mut [Builder],
        rows: usize,
    ) -> datafusion::error::Result<RecordBatch> {
        let columns: Vec<ArrayRef> = builders
            .iter_mut()
            .map(|b| match b {
                Builder::Time(b) => Arc::new(b.finish()) as ArrayRef,
                Builder::Text(b) => Arc::new(b.finish()) as ArrayRef,
                Builder::Row(b) => Arc::new(b.finish()) as ArrayRef,
            })
            .collect();
        let options =
            datafusion::arrow::array::RecordBatchOptions::new().with_row_count(Some(rows));
        Ok(RecordBatch::try_new_with_options(
            self.schema.clone(),
            columns,
            &options,
        )?)
    }
}
