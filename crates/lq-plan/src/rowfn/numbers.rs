//! Number functions: `round`, `haversine`, conversions to numbers and `isNumeric`.

use super::{Out, Val, num};
use crate::udf::parse_number;

/// `round(a [, digits])`, halves away from zero.
pub fn round(args: &[Val]) -> Out {
    let Some(a) = num(args, 0) else {
        return Out::Null;
    };
    let digits = if args.len() > 1 {
        num(args, 1)
    } else {
        Some(0.0)
    };
    let Some(d) = digits else {
        return Out::Null;
    };
    let scale = 10f64.powi(d.trunc().clamp(-300.0, 300.0) as i32);
    Some((a * scale).round() / scale).into()
}

/// `haversine(lat1, lon1, lat2, lon2)`: great-circle distance in kilometres.
pub fn haversine(args: &[Val]) -> Out {
    let (Some(lat1), Some(lon1), Some(lat2), Some(lon2)) =
        (num(args, 0), num(args, 1), num(args, 2), num(args, 3))
    else {
        return Out::Null;
    };
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    Some(2.0 * 6371.0 * a.sqrt().asin()).into()
}

/// `toNumber(x)`, `toDouble(x)`.
pub fn to_number(args: &[Val]) -> Out {
    num(args, 0).into()
}

/// `toInt(x)`: truncated to a 32-bit integer (null outside its range).
pub fn to_int(args: &[Val]) -> Out {
    num(args, 0)
        .map(f64::trunc)
        .filter(|n| *n >= i32::MIN as f64 && *n <= i32::MAX as f64)
        .into()
}

/// `toLong(x)`: truncated to a 64-bit integer.
pub fn to_long(args: &[Val]) -> Out {
    num(args, 0)
        .map(f64::trunc)
        .filter(|n| n.abs() < 9.3e18)
        .into()
}

/// `isNumeric(x)`.
pub fn is_numeric(args: &[Val]) -> Out {
    Out::Bool(match &args[0] {
        Val::Num(_) => true,
        Val::Text(s) => {
            !s.trim().is_empty()
                && parse_number(s).is_some()
                && !s.trim().eq_ignore_ascii_case("true")
                && !s.trim().eq_ignore_ascii_case("false")
        }
        _ => false,
    })
}
