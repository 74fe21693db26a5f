//! `pct(x, p)` and `median(x)`: the exact percentile, interpolated linearly between the closest
//! ranks (R-7, NumPy's "linear", DuckDB's `quantile_cont`).
//!
//! DataFusion's `percentile_cont` computes the same thing; this one does less work around the
//! values it has to keep: a partial state hands its large groups' vectors over as buffers of a
//! binary view array (no copy, and repartitioning moves views), merged groups are sized once, and
//! the rank above the selected one is the smallest value above it instead of a second selection
//! over the whole group. It also interpolates exactly instead of with a weight rounded to six
//! digits.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::builder::make_view;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BinaryViewArray, BooleanArray, ByteView, Float64Array, PrimitiveArray,
};
use datafusion::arrow::buffer::{Buffer, ScalarBuffer};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, ColumnarValue, EmitTo, Expr, GroupsAccumulator,
    Signature, Volatility,
};

/// The aggregate `lq_pct(number, fraction)`: the exact `fraction` quantile (0 to 1, a literal) of
/// the non-null numbers.
pub static LQ_PCT: LazyLock<Arc<AggregateUDF>> =
    LazyLock::new(|| Arc::new(AggregateUDF::from(Percentile::new())));

/// `lq_pct(value, fraction)` as an expression: `fraction` 0.99 for `pct(value, 99)`.
pub fn percentile(value: Expr, fraction: f64) -> Expr {
    LQ_PCT.call(vec![value, datafusion::prelude::lit(fraction)])
}

/// The quantile `fraction` of `values` by linear interpolation between the closest ranks; `None`
/// when there are no values. Reorders `values`.
///
/// ```
/// use lq_plan::percentile::quantile;
/// assert_eq!(quantile(&mut [4.0, 1.0, 3.0, 2.0], 0.5), Some(2.5));
/// assert_eq!(quantile(&mut [10.0, 20.0], 0.99), Some(19.9));
/// assert_eq!(quantile(&mut [], 0.5), None);
/// ```
pub fn quantile(values: &mut [f64], fraction: f64) -> Option<f64> {
    let last = values.len().checked_sub(1)?;
    let rank = fraction.clamp(0.0, 1.0) * last as f64;
    let lower = (rank.floor() as usize).min(last);
    let (_, low, above) = values.select_nth_unstable_by(lower, f64::total_cmp);
    let low = *low;
    let weight = rank - lower as f64;
    if weight > 0.0
        && let Some(high) = above.iter().copied().min_by(f64::total_cmp)
    {
        return Some(low + (high - low) * weight);
    }
    Some(low)
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Percentile {
    signature: Signature,
}

impl Percentile {
    fn new() -> Self {
        Percentile {
            signature: Signature::exact(
                vec![DataType::Float64, DataType::Float64],
                Volatility::Immutable,
            ),
        }
    }
}

/// The fraction argument, which lowering always writes as a Float64 literal.
fn fraction(args: &AccumulatorArgs) -> Result<f64> {
    let empty = RecordBatch::new_empty(Arc::new(Schema::empty()));
    let value = match args.exprs.get(1).map(|e| e.evaluate(&empty)) {
        Some(Ok(ColumnarValue::Scalar(v))) => Some(v),
        _ => None,
    };
    match value {
        Some(ScalarValue::Float64(Some(f))) if (0.0..=1.0).contains(&f) => Ok(f),
        other => plan_err!("lq_pct needs a fraction from 0 to 1 as a literal, got {other:?}"),
    }
}

impl AggregateUDFImpl for Percentile {
    fn name(&self) -> &str {
        "lq_pct"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format_state_name(args.name, "values"),
            DataType::BinaryView,
            true,
        ))])
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(PercentileAccumulator {
            values: Vec::new(),
            fraction: fraction(&args)?,
        }))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(PercentileGroups {
            groups: Vec::new(),
            fraction: fraction(&args)?,
        }))
    }
}

/// A group with at least this many bytes of values hands its vector over to the state without a
/// copy; smaller groups are copied into a shared buffer (one buffer per small group would cost an
/// allocation each, and 200,000 groups would mean 200,000 buffers in every slice of the state).
const OWN_BUFFER_BYTES: usize = 64 << 10;

/// The values of each group as one row of packed f64s (native byte order: states never leave the
/// process), in a binary view array. A large group's vector becomes the buffer its view points
/// at, so emitting the state copies no values, and repartitioning it (`take`, then coalescing)
/// moves views rather than the values: with a packed binary array, the values of Q4 of the
/// benchmark were copied three times between the scan and the final aggregation.
fn packed(groups: Vec<Vec<f64>>) -> Result<ArrayRef> {
    packed_sharing_up_to(groups, u32::MAX as usize)
}

/// [`packed`], with shared buffers of at most `shared_bytes` (a view's offset is a `u32`).
fn packed_sharing_up_to(groups: Vec<Vec<f64>>, shared_bytes: usize) -> Result<ArrayRef> {
    let mut views = Vec::with_capacity(groups.len());
    let mut buffers: Vec<Buffer> = Vec::new();
    // The shared buffer being filled, and its index in `buffers` (a placeholder until full).
    let mut shared: Vec<f64> = Vec::new();
    let mut shared_index = None;
    for values in groups {
        let bytes = values.len() * size_of::<f64>();
        let Ok(length) = u32::try_from(bytes) else {
            return exec_err!(
                "lq_pct: one group holds {} values in one partition, more than the {} a state \
                 can carry; give the query more partitions (--partitions) or a finer `by`",
                values.len(),
                u32::MAX as usize / size_of::<f64>()
            );
        };
        if bytes <= 12 {
            views.push(make_view(&ne_bytes(&values), 0, 0));
        } else if bytes >= OWN_BUFFER_BYTES {
            let buffer = exact_buffer(values);
            views.push(make_view(
                &buffer.as_slice()[..bytes],
                buffers.len() as u32,
                0,
            ));
            buffers.push(buffer);
        } else {
            let end = (shared.len() + values.len()) * size_of::<f64>();
            let index = match shared_index {
                Some(index) if end <= shared_bytes => index,
                _ => {
                    if let Some(full) = shared_index {
                        buffers[full as usize] = exact_buffer(std::mem::take(&mut shared));
                    }
                    buffers.push(Buffer::from_vec(Vec::<u8>::new()));
                    let index = (buffers.len() - 1) as u32;
                    shared_index = Some(index);
                    index
                }
            };
            let offset = shared.len() * size_of::<f64>();
            let prefix = ne_bytes(&values[..1]);
            shared.extend_from_slice(&values);
            views.push(make_view_of_length(&prefix, length, index, offset as u32));
        }
    }
    if let Some(index) = shared_index {
        buffers[index as usize] = exact_buffer(shared);
    }
    Ok(Arc::new(BinaryViewArray::try_new(
        ScalarBuffer::from(views),
        buffers,
        None,
    )?))
}

/// A buffer of `values` without spare capacity: repartitioning copies the values of a state whose
/// buffers are more than twice the bytes its rows use (arrow's coalescer "garbage collects" sparse
/// view arrays, by capacity). Shrinking a large allocation does not move it.
fn exact_buffer(mut values: Vec<f64>) -> Buffer {
    values.shrink_to_fit();
    Buffer::from_vec(values)
}

/// The bytes of a few values.
fn ne_bytes(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_ne_bytes()).collect()
}

/// A view of `length` (> 12) bytes at `offset` of buffer `index`, whose first bytes are `prefix`.
fn make_view_of_length(prefix: &[u8], length: u32, index: u32, offset: u32) -> u128 {
    let mut head = [0u8; 4];
    head.copy_from_slice(&prefix[..4]);
    ByteView {
        length,
        prefix: u32::from_le_bytes(head),
        buffer_index: index,
        offset,
    }
    .as_u128()
}

/// Appends the values packed in `states`' `row` (see [`packed`]) to `into`.
fn unpack(into: &mut Vec<f64>, states: &BinaryViewArray, row: usize) {
    if states.is_valid(row) {
        let bytes = states.value(row);
        into.extend(
            bytes
                .chunks_exact(size_of::<f64>())
                .map(|b| f64::from_ne_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])),
        );
    }
}

/// The state column: the packed values (see [`packed`]).
fn states(values: &[ArrayRef]) -> Result<&BinaryViewArray> {
    match values.first().and_then(|v| v.as_binary_view_opt()) {
        Some(s) => Ok(s),
        None => exec_err!("lq_pct: its state is not packed values"),
    }
}

#[derive(Debug)]
struct PercentileAccumulator {
    values: Vec<f64>,
    fraction: f64,
}

impl Accumulator for PercentileAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let v = values[0].as_primitive::<Float64Type>();
        match v.nulls() {
            None => self.values.extend_from_slice(v.values()),
            Some(_) => self.values.extend(v.iter().flatten()),
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let states = self::states(states)?;
        for row in 0..states.len() {
            unpack(&mut self.values, states, row);
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let state = packed(vec![std::mem::take(&mut self.values)])?;
        Ok(vec![ScalarValue::try_from_array(&state, 0)?])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Float64(quantile(
            &mut self.values,
            self.fraction,
        )))
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.values.capacity() * size_of::<f64>()
    }
}

#[derive(Debug)]
struct PercentileGroups {
    groups: Vec<Vec<f64>>,
    fraction: f64,
}

impl GroupsAccumulator for PercentileGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        let v: &PrimitiveArray<Float64Type> = values[0].as_primitive();
        self.groups.resize_with(total_num_groups, Vec::new);
        let groups = &mut self.groups;
        if v.null_count() == 0 && opt_filter.is_none() {
            for (&g, &x) in group_indices.iter().zip(v.values().iter()) {
                groups[g].push(x);
            }
        } else {
            for (row, &g) in group_indices.iter().enumerate() {
                let kept = opt_filter.is_none_or(|f| f.is_valid(row) && f.value(row));
                if kept && v.is_valid(row) {
                    groups[g].push(v.value(row));
                }
            }
        }
        Ok(())
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        let states = self::states(values)?;
        self.groups.resize_with(total_num_groups, Vec::new);
        // Size each group once: extending by doubling copies a large group several times over.
        let mut incoming = vec![0usize; total_num_groups];
        for (row, &g) in group_indices.iter().enumerate() {
            if states.is_valid(row) {
                incoming[g] += states.value(row).len() / size_of::<f64>();
            }
        }
        for (group, n) in self.groups.iter_mut().zip(incoming) {
            group.reserve_exact(n);
        }
        for (row, &g) in group_indices.iter().enumerate() {
            unpack(&mut self.groups[g], states, row);
        }
        Ok(())
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        // Each row becomes the state of a group of its own: its value (inline in the view), or
        // no values.
        let v: &PrimitiveArray<Float64Type> = values[0].as_primitive();
        let views: Vec<u128> = (0..v.len())
            .map(|row| {
                let kept = opt_filter.is_none_or(|f| f.is_valid(row) && f.value(row));
                if kept && v.is_valid(row) {
                    make_view(&v.value(row).to_ne_bytes(), 0, 0)
                } else {
                    make_view(&[], 0, 0)
                }
            })
            .collect();
        Ok(vec![Arc::new(BinaryViewArray::try_new(
            ScalarBuffer::from(views),
            Vec::<Buffer>::new(),
            None,
        )?)])
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let fraction = self.fraction;
        let result: Float64Array = emit_to
            .take_needed(&mut self.groups)
            .iter_mut()
            .map(|values| quantile(values, fraction))
            .collect();
        Ok(Arc::new(result))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        Ok(vec![packed(emit_to.take_needed(&mut self.groups))?])
    }

    fn size(&self) -> usize {
        self.groups.capacity() * size_of::<Vec<f64>>()
            + self
                .groups
                .iter()
                .map(|g| g.capacity() * size_of::<f64>())
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NumPy's `percentile(..., method="linear")`, computed by sorting.
    fn by_sorting(values: &[f64], fraction: f64) -> f64 {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let rank = fraction * (sorted.len() - 1) as f64;
        let lower = rank.floor() as usize;
        let upper = rank.ceil() as usize;
        sorted[lower] + (sorted[upper] - sorted[lower]) * (rank - lower as f64)
    }

    #[test]
    fn quantile_matches_sorting_at_every_rank() {
        // 1000 values with repeats, in a scrambled order.
        let values: Vec<f64> = (0..1000u64)
            .map(|i| ((i * 7919) % 613) as f64 / 4.0)
            .collect();
        for p in [0.0, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0] {
            let mut v = values.clone();
            assert_eq!(quantile(&mut v, p), Some(by_sorting(&values, p)), "p = {p}");
        }
        assert_eq!(quantile(&mut [7.5], 0.99), Some(7.5));
    }

    #[test]
    fn packed_states_round_trip_through_inline_shared_and_own_buffers() -> Result<()> {
        let big: Vec<f64> = (0..10_000).map(|i| i as f64 * 0.5).collect();
        let groups = vec![
            vec![],
            vec![7.25],
            vec![1.0, 2.0, 3.0],
            big.clone(),
            vec![4.0, 5.0],
            vec![6.0, 7.0, 8.0, 9.0],
        ];
        // Shared buffers of at most 40 bytes: the small groups need two of them.
        for shared in [40, u32::MAX as usize] {
            let state = packed_sharing_up_to(groups.clone(), shared)?;
            let views = state.as_binary_view();
            let own = views.data_buffers().iter().filter(|b| b.len() == 80_000);
            assert_eq!(own.count(), 1, "the large group keeps its own buffer");
            let expected_buffers = if shared == 40 { 3 } else { 2 };
            assert_eq!(views.data_buffers().len(), expected_buffers);
            for (row, group) in groups.iter().enumerate() {
                let mut back = Vec::new();
                unpack(&mut back, views, row);
                assert_eq!(&back, group, "row {row}");
            }
        }
        Ok(())
    }

    #[test]
    fn groups_merge_their_partial_states() -> Result<()> {
        let values = |v: &[Option<f64>]| -> ArrayRef { Arc::new(Float64Array::from(v.to_vec())) };
        // Two partial accumulators over groups 0 and 1, then a final one merging their states.
        let mut first = PercentileGroups {
            groups: Vec::new(),
            fraction: 0.5,
        };
        first.update_batch(
            &[values(&[Some(1.0), Some(10.0), None, Some(3.0)])],
            &[0, 1, 0, 0],
            None,
            2,
        )?;
        let mut second = PercentileGroups {
            groups: Vec::new(),
            fraction: 0.5,
        };
        let filter = BooleanArray::from(vec![true, true, false]);
        second.update_batch(
            &[values(&[Some(2.0), Some(30.0), Some(99.0)])],
            &[0, 1, 1],
            Some(&filter),
            2,
        )?;
        let mut last = PercentileGroups {
            groups: Vec::new(),
            fraction: 0.5,
        };
        last.merge_batch(&first.state(EmitTo::All)?, &[0, 1], 2)?;
        last.merge_batch(&second.state(EmitTo::All)?, &[0, 1], 2)?;
        // A row skipped by partial aggregation arrives as a list of its own value.
        let single = last.convert_to_state(&[values(&[Some(5.0), None])], None)?;
        last.merge_batch(&single, &[0, 1], 2)?;
        let result = last.evaluate(EmitTo::All)?;
        // Group 0: 1, 3, 2, 5 -> 2.5; group 1: 10, 30 (99 filtered out, null skipped) -> 20.
        assert_eq!(
            result.as_primitive::<Float64Type>().values().to_vec(),
            vec![2.5, 20.0]
        );
        Ok(())
    }
}
