//! Signature Version 4 checked on every request: the client's signature is computed again (by the
//! AWS crates' signer) over the headers it says it signed, the body and its date, with the secret of
//! its access key; old dates and signatures seen before are refused.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use axum::http::request::Parts;

use crate::credentials::Credentials;
use crate::error::ApiError;

/// How far a request's date may be from the server's clock (the service's 15 minutes).
pub const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// How long after a signature is first accepted the same signature is still taken.
pub const REPEAT_WINDOW: Duration = Duration::from_secs(2);

/// Checks signatures; remembers those it accepted for as long as their date is valid.
#[derive(Debug)]
pub struct Verifier {
    credentials: Credentials,
    /// Signature → (when first accepted, when its date expires).
    seen: Mutex<HashMap<String, (SystemTime, SystemTime)>>,
}

/// The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header.
#[derive(Debug, PartialEq, Eq)]
struct Authorization<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse_authorization(header: &str) -> Result<Authorization<'_>, ApiError> {
    let rest = header
        .strip_prefix("AWS4-HMAC-SHA256")
        .ok_or_else(|| {
            ApiError::incomplete_signature(
                "Authorization header requires the AWS4-HMAC-SHA256 algorithm",
            )
        })?
        .trim_start();
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let missing = |what: &str| {
        ApiError::incomplete_signature(format!(
            "Authorization header requires '{what}' parameter. Authorization={header}"
        ))
    };
    let credential = credential.ok_or_else(|| missing("Credential"))?;
    let signed = signed.ok_or_else(|| missing("SignedHeaders"))?;
    let signature = signature.ok_or_else(|| missing("Signature"))?;
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, "aws4_request"] = scope[..] else {
        return Err(ApiError::incomplete_signature(format!(
            "Credential must have the form KEY/DATE/REGION/SERVICE/aws4_request, not {credential}"
        )));
    };
    Ok(Authorization {
        access_key_id,
        date,
        region,
        service,
        signed_headers: signed.split(';').collect(),
        signature,
    })
}

fn parse_amz_date(text: &str) -> Option<SystemTime> {
    let t = chrono::NaiveDateTime::parse_from_str(text, "%Y%m%dT%H%M%SZ").ok()?;
    let secs = t.and_utc().timestamp();
    (secs >= 0).then(|| SystemTime::UNIX_EPOCH + Duration::from_secs(secs as u64))
}

fn amz_date(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t)
        .format("%Y%m%dT%H%M%SZ")
        .to_string()
}

impl Verifier {
    /// A verifier accepting the given key pairs.
    pub fn new(credentials: Credentials) -> Self {
        Verifier {
            credentials,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Checks the signature of a request with `body`, as of `now`; returns the region it was
    /// signed for.
    pub fn verify(&self, parts: &Parts, body: &[u8], now: SystemTime) -> Result<String, ApiError> {
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let Some(authorization) = header("authorization") else {
            return Err(ApiError::missing_token(
                "Request is missing Authentication Token",
            ));
        };
        let auth = parse_authorization(&authorization)?;
        let Some(secret) = self.credentials.secret(auth.access_key_id) else {
            return Err(ApiError::unrecognized_client(
                "The security token included in the request is invalid.",
            ));
        };
        let date_text = header("x-amz-date").ok_or_else(|| {
            ApiError::incomplete_signature("the request has no X-Amz-Date header")
        })?;
        let date = parse_amz_date(&date_text).ok_or_else(|| {
            ApiError::incomplete_signature(format!("X-Amz-Date {date_text:?} is not a date"))
        })?;
        if !date_text.starts_with(auth.date) {
            return Err(ApiError::invalid_signature(format!(
                "Date in Credential scope does not match YYYYMMDD from X-Amz-Date: {} != {}",
                auth.date,
                &date_text[..date_text.len().min(8)]
            )));
        }
        if date + MAX_SKEW < now {
            return Err(ApiError::invalid_signature(format!(
                "Signature expired: {date_text} is now earlier than {} ({} - 15 min.)",
                amz_date(now - MAX_SKEW),
                amz_date(now)
            )));
        }
        if date > now + MAX_SKEW {
            return Err(ApiError::invalid_signature(format!(
                "Signature not yet current: {date_text} is still later than {} ({} + 15 min.)",
                amz_date(now + MAX_SKEW),
                amz_date(now)
            )));
        }
        for required in ["host", "x-amz-date"] {
            if !auth.signed_headers.contains(&required) {
                return Err(ApiError::invalid_signature(format!(
                    "the {required} header must be signed"
                )));
            }
        }
        let mut signed: Vec<(&str, &str)> = Vec::new();
        for name in &auth.signed_headers {
            let values: Vec<&str> = parts
                .headers
                .get_all(*name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            if values.is_empty() {
                return Err(ApiError::invalid_signature(format!(
                    "the signed header {name} is not in the request"
                )));
            }
            signed.extend(values.into_iter().map(|v| (*name, v)));
        }
        let uri = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let request = SignableRequest::new(
            parts.method.as_str(),
            uri,
            signed.into_iter(),
            SignableBody::Bytes(body),
        )
        .map_err(|e| ApiError::incomplete_signature(format!("cannot read the request: {e}")))?;
        let mut settings = SigningSettings::default();
        // Sign exactly what the client signed.
        settings.excluded_headers = Some(Vec::new());
        let identity = aws_credential_types::Credentials::new(
            auth.access_key_id,
            secret,
            None,
            None,
            "lq-serve",
        )
        .into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(auth.region)
            .name(auth.service)
            .time(date)
            .settings(settings)
            .build()
            .map_err(|e| ApiError::incomplete_signature(e.to_string()))?
            .into();
        let expected = sign(request, &params)
            .map_err(|e| {
                ApiError::incomplete_signature(format!("cannot check the signature: {e}"))
            })?
            .signature()
            .to_string();
        if !constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
            return Err(ApiError::invalid_signature(
                "The request signature we calculated does not match the signature you provided. \
                 Check your AWS Secret Access Key and signing method.",
            ));
        }
        self.remember(auth.signature, date, now)?;
        Ok(auth.region.to_string())
    }

    /// Refuses a signature first accepted more than [`REPEAT_WINDOW`] ago: a replayed request.
    /// Within the window a repeat is taken, since a client that sends the same request twice in
    /// one second (polling for a query's results) signs it the same way, its date having
    /// whole-second precision.
    fn remember(&self, signature: &str, date: SystemTime, now: SystemTime) -> Result<(), ApiError> {
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.len() > 4096 {
            seen.retain(|_, (_, expires)| *expires >= now);
        }
        match seen.get(signature) {
            Some((first, expires))
                if *expires >= now
                    && now.duration_since(*first).unwrap_or_default() > REPEAT_WINDOW =>
            {
                Err(ApiError::invalid_signature(
                    "this signature was already used: a replayed request is refused (sign every request anew)",
                ))
            }
            Some(_) => Ok(()),
            None => {
                seen.insert(signature.to_string(), (now, date + MAX_SKEW));
                Ok(())
            }
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_authorization_header_is_read_into_its_parts() {
        let auth = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKID/20261208/us-east-1/logs/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=abc",
        )
        .unwrap();
        assert_eq!(
            auth,
            Authorization {
                access_key_id: "AKID",
                date: "20261208",
                region: "us-east-1",
                service: "logs",
                signed_headers: vec!["host", "x-amz-date", "x-amz-target"],
                signature: "abc",
            }
        );
        let err = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKID/20261208/us-east-1/logs/aws4_request, Signature=abc",
        )
        .unwrap_err();
        assert_eq!(err.kind, "IncompleteSignatureException");
        assert!(err.message.contains("'SignedHeaders'"), "{}", err.message);
    }

    #[test]
    fn dates_are_read_and_written_in_the_signature_form() {
        let t = parse_amz_date("20261208T010203Z").unwrap();
        assert_eq!(amz_date(t), "20261208T010203Z");
        assert_eq!(parse_amz_date("2026-12-08"), None);
    }
}
