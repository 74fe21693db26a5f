//! `datefloor`/`dateceil` and `bin`: rounding timestamps to fixed periods, weeks and calendar
//! months.

use std::sync::{Arc, LazyLock};

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use datafusion::arrow::array::{AsArray, TimestampMillisecondBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, TimeUnit, TimestampMillisecondType};
use datafusion::common::{DataFusionError, Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// Rounds timestamps down (`datefloor`) or up (`dateceil`) to a period: `(ts, amount, unit)` where unit
/// is `ms` (any fixed length in milliseconds, epoch-aligned), `w` (weeks aligned to Monday) or `mo`
/// (calendar months in UTC).
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct DateRound {
    pub(crate) ceil: bool,
    pub(crate) signature: Signature,
}

pub(crate) const WEEK_ORIGIN_MS: i64 = 4 * 86_400_000; // 1970-01-05, a Monday

pub(crate) fn months_floor(ms: i64, n: i64) -> Option<i64> {
    let dt = Utc.timestamp_millis_opt(ms).single()?;
    let months = i64::from(dt.year() - 1970) * 12 + i64::from(dt.month0());
    let floored = months.div_euclid(n) * n;
    month_start(floored)
}

pub(crate) fn month_start(months: i64) -> Option<i64> {
    let year = 1970 + months.div_euclid(12);
    let month = months.rem_euclid(12) as u32 + 1;
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, 1)?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

/// Rounds epoch milliseconds down (or up, with `ceil`) to a period: `unit` `ms` is a fixed length
/// in milliseconds (epoch-aligned), `w` weeks starting on Monday, `mo` calendar months in UTC.
pub fn round_millis(ms: i64, amount: i64, unit: &str, ceil: bool) -> Option<i64> {
    if amount <= 0 {
        return None;
    }
    let floor = match unit {
        "ms" => ms.div_euclid(amount) * amount,
        "w" => {
            let p = amount * 7 * 86_400_000;
            (ms - WEEK_ORIGIN_MS).div_euclid(p) * p + WEEK_ORIGIN_MS
        }
        "mo" => months_floor(ms, amount)?,
        _ => return None,
    };
    if !ceil || floor == ms {
        return Some(floor);
    }
    match unit {
        "ms" => Some(floor + amount),
        "w" => Some(floor + amount * 7 * 86_400_000),
        _ => {
            let dt = Utc.timestamp_millis_opt(floor).single()?;
            let months = i64::from(dt.year() - 1970) * 12 + i64::from(dt.month0());
            month_start(months + amount)
        }
    }
}

/// Shifts epoch milliseconds by whole calendar months (UTC), clamping the day to the month's end.
pub fn add_months(ms: i64, months: i64) -> Option<i64> {
    let dt = Utc.timestamp_millis_opt(ms).single()?;
    let total = i64::from(dt.year()) * 12 + i64::from(dt.month0()) + months;
    let year = i32::try_from(total.div_euclid(12)).ok()?;
    let month = u32::try_from(total.rem_euclid(12)).ok()? + 1;
    let mut day = dt.day();
    loop {
        if let Some(date) = NaiveDate::from_ymd_opt(year, month, day) {
            let naive = date.and_time(dt.time());
            return Some(Utc.from_utc_datetime(&naive).timestamp_millis());
        }
        day = day.checked_sub(1).filter(|d| *d > 0)?;
    }
}

impl ScalarUDFImpl for DateRound {
    fn name(&self) -> &str {
        if self.ceil {
            "lq_dateceil"
        } else {
            "lq_datefloor"
        }
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Timestamp(TimeUnit::Millisecond, None))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (amount, unit) = match (&args.args[1], &args.args[2]) {
            (
                ColumnarValue::Scalar(ScalarValue::Int64(Some(a))),
                ColumnarValue::Scalar(ScalarValue::Utf8(Some(u))),
            ) => (*a, u.clone()),
            _ => return exec_err!("{}: the period must be a constant", self.name()),
        };
        let ts = args.args[0].to_array(args.number_rows)?;
        let ts = cast(&ts, &DataType::Timestamp(TimeUnit::Millisecond, None))
            .map_err(|e| DataFusionError::Execution(format!("{}: {e}", self.name())))?;
        let ts = ts.as_primitive::<TimestampMillisecondType>();
        let mut out = TimestampMillisecondBuilder::with_capacity(ts.len());
        for v in ts.iter() {
            out.append_option(v.and_then(|ms| round_millis(ms, amount, &unit, self.ceil)));
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// `lq_datefloor(ts, amount, unit)`.
pub static LQ_DATEFLOOR: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
    Arc::new(ScalarUDF::new_from_impl(DateRound {
        ceil: false,
        signature: Signature::any(3, Volatility::Immutable),
    }))
});
/// `lq_dateceil(ts, amount, unit)`.
pub static LQ_DATECEIL: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
    Arc::new(ScalarUDF::new_from_impl(DateRound {
        ceil: true,
        signature: Signature::any(3, Volatility::Immutable),
    }))
});
