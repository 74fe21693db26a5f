//! What an operation is called with: the caller, and the JSON parameters read field by field with
//! the service's checks (group and stream names, limits, page tokens).

use serde_json::{Map, Value};

use crate::error::ApiError;

/// Who is calling: the region its signature names (for ARNs).
#[derive(Debug, Clone)]
pub struct Caller {
    /// The region of the signature's scope.
    pub region: String,
}

/// An operation's parameters: a JSON object, read field by field with type checks.
pub(crate) struct Params<'a>(&'a Map<String, Value>);

impl<'a> Params<'a> {
    pub(crate) fn new(body: &'a Value) -> Result<Self, ApiError> {
        body.as_object()
            .map(Params)
            .ok_or_else(|| ApiError::serialization("the request body must be a JSON object"))
    }

    fn wrong(name: &str, what: &str) -> ApiError {
        ApiError::serialization(format!("{name} must be {what}"))
    }

    pub(crate) fn str(&self, name: &str) -> Result<Option<&'a str>, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Self::wrong(name, "a string")),
        }
    }

    pub(crate) fn required_str(&self, name: &str) -> Result<&'a str, ApiError> {
        self.str(name)?.ok_or_else(|| {
            ApiError::invalid_parameter(format!("1 validation error detected: Value null at '{name}' failed to satisfy constraint: Member must not be null"))
        })
    }

    pub(crate) fn i64(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
                .map(Some)
                .ok_or_else(|| Self::wrong(name, "an integer")),
            Some(_) => Err(Self::wrong(name, "a number")),
        }
    }

    pub(crate) fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(Self::wrong(name, "true or false")),
        }
    }

    pub(crate) fn strings(&self, name: &str) -> Result<Option<Vec<String>>, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| Self::wrong(name, "a list of strings"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(Self::wrong(name, "a list of strings")),
        }
    }

    pub(crate) fn array(&self, name: &str) -> Result<Option<&'a Vec<Value>>, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(_) => Err(Self::wrong(name, "a list")),
        }
    }

    /// A limit in `1..=max`, `default` when absent.
    pub(crate) fn limit(&self, name: &str, default: i64, max: i64) -> Result<usize, ApiError> {
        match self.i64(name)? {
            None => Ok(default as usize),
            Some(n) if (1..=max).contains(&n) => Ok(n as usize),
            Some(n) => Err(ApiError::invalid_parameter(format!(
                "1 validation error detected: Value '{n}' at '{name}' failed to satisfy constraint: Member must have value between 1 and {max}"
            ))),
        }
    }

    /// Where a listing resumes: the position in `nextToken` (of this `kind`), or 0.
    pub(crate) fn page_start(&self, kind: &str) -> Result<usize, ApiError> {
        match self.str("nextToken")? {
            Some(t) => Ok(decode_token(kind, t)? as usize),
            None => Ok(0),
        }
    }

    /// The group an operation names: `logGroupName`, or `logGroupIdentifier` (a name or an ARN).
    pub(crate) fn group(&self) -> Result<String, ApiError> {
        if let Some(name) = self.str("logGroupName")? {
            return check_group_name(name).map(str::to_string);
        }
        match self.str("logGroupIdentifier")? {
            Some(id) => check_group_name(group_of_identifier(id)).map(str::to_string),
            None => Err(ApiError::invalid_parameter(
                "Either logGroupName or logGroupIdentifier must be given",
            )),
        }
    }
}

/// The group name of an identifier: a name, or an ARN `arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]`.
pub(crate) fn group_of_identifier(id: &str) -> &str {
    match id.split_once(":log-group:") {
        Some((_, rest)) => rest.strip_suffix(":*").unwrap_or(rest),
        None => id,
    }
}

/// A log group name as the service allows: 1-512 of letters, digits and `._-/#`.
pub(crate) fn check_group_name(name: &str) -> Result<&str, ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 512
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-/#".contains(&b));
    if ok {
        Ok(name)
    } else {
        Err(ApiError::invalid_parameter(format!(
            "1 validation error detected: Value '{name}' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+"
        )))
    }
}

/// A log stream name as the service allows: 1-512 characters, no `:` or `*`.
pub(crate) fn check_stream_name(name: &str) -> Result<&str, ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 512
        && !name.contains([':', '*'])
        && !name.chars().any(char::is_control);
    if ok {
        Ok(name)
    } else {
        Err(ApiError::invalid_parameter(format!(
            "1 validation error detected: Value '{name}' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*"
        )))
    }
}

/// The ARN of a group, as ARNs are written in `region`.
pub(crate) fn group_arn(region: &str, group: &str) -> String {
    format!("arn:aws:logs:{region}:000000000000:log-group:{group}")
}

/// A page token: an opaque, versioned position.
pub(crate) fn encode_token(kind: &str, position: u64) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("lq1/{kind}/{position}"))
}

/// Sets `nextToken` in `out` when a listing of `total` items goes on after `end`.
pub(crate) fn set_next_token(out: &mut Value, kind: &str, end: usize, total: usize) {
    if end < total {
        out["nextToken"] = Value::String(encode_token(kind, end as u64));
    }
}

/// A page token read back, for the same kind of request.
pub(crate) fn decode_token(kind: &str, token: &str) -> Result<u64, ApiError> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|t| {
            t.strip_prefix(&format!("lq1/{kind}/"))
                .and_then(|n| n.parse().ok())
        })
        .ok_or_else(|| ApiError::invalid_parameter("The specified nextToken is invalid."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_identifiers_are_checked_as_the_service_checks_them() {
        assert_eq!(
            group_of_identifier("arn:aws:logs:us-east-1:1:log-group:/aws/app:*"),
            "/aws/app"
        );
        assert_eq!(group_of_identifier("/aws/app"), "/aws/app");
        assert!(check_group_name("/aws/lambda/api_1.x#2").is_ok());
        assert!(
            check_group_name("../etc").is_ok(),
            "dots are allowed in names; paths are checked where used"
        );
        assert!(check_group_name("a b").is_err());
        assert!(check_group_name("").is_err());
        assert!(check_stream_name("2026/12/08/[$LATEST]abc").is_ok());
        assert!(check_stream_name("a:b").is_err());
        assert_eq!(decode_token("f", &encode_token("f", 42)).unwrap(), 42);
        assert!(decode_token("g", &encode_token("f", 42)).is_err());
    }
}
