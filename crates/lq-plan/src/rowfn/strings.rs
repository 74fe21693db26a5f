//! String functions: sizes, tests, URL, base64 and hex encodings, `split`, hashes.

use base64::Engine as _;
use md5::Digest as _;

use super::{Out, Val, num, text};

/// `messageSize(x)`: UTF-8 bytes.
pub fn message_size(args: &[Val]) -> Out {
    text(args, 0).map(|s| s.len() as f64).into()
}

/// `strcontains(s, search [, caseInsensitive])`.
pub fn strcontains(args: &[Val]) -> Out {
    let (Some(s), Some(p)) = (text(args, 0), text(args, 1)) else {
        return Out::Bool(false);
    };
    let insensitive = args.get(2).and_then(|v| v.truth()).unwrap_or(false);
    Out::Bool(if insensitive {
        s.to_lowercase().contains(&p.to_lowercase())
    } else {
        s.contains(p.as_ref())
    })
}

/// `startsWith(s, prefix)`.
pub fn starts_with(args: &[Val]) -> Out {
    match (text(args, 0), text(args, 1)) {
        (Some(s), Some(p)) => Out::Bool(s.starts_with(p.as_ref())),
        _ => Out::Bool(false),
    }
}

/// `endsWith(s, suffix)`.
pub fn ends_with(args: &[Val]) -> Out {
    match (text(args, 0), text(args, 1)) {
        (Some(s), Some(p)) => Out::Bool(s.ends_with(p.as_ref())),
        _ => Out::Bool(false),
    }
}

/// `urlencode(s)`: percent-encoding of everything but `A-Z a-z 0-9 - _ . ~` (space as `%20`).
pub fn urlencode(args: &[Val]) -> Out {
    text(args, 0)
        .map(|s| {
            let mut out = String::with_capacity(s.len());
            for b in s.bytes() {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    out.push(b as char);
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            out
        })
        .into()
}

/// `urldecode(s)`: `%XX` sequences and `+` as space; invalid UTF-8 gives null.
pub fn urldecode(args: &[Val]) -> Out {
    let Some(s) = text(args, 0) else {
        return Out::Null;
    };
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(
                    std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                    16,
                ) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok().into()
}

/// `base64encode(s)`: standard alphabet with padding.
pub fn base64encode(args: &[Val]) -> Out {
    text(args, 0)
        .map(|s| base64::engine::general_purpose::STANDARD.encode(s.as_bytes()))
        .into()
}

/// `base64decode(s)`: null when the input is not valid base64 of UTF-8 text.
pub fn base64decode(args: &[Val]) -> Out {
    text(args, 0)
        .and_then(|s| {
            base64::engine::general_purpose::STANDARD
                .decode(s.trim().as_bytes())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .into()
}

/// `split(s, delimiter)`: a JSON array of the parts.
pub fn split(args: &[Val]) -> Out {
    let (Some(s), Some(d)) = (text(args, 0), text(args, 1)) else {
        return Out::Null;
    };
    let parts: Vec<&str> = if d.is_empty() {
        vec![s.as_ref()]
    } else {
        s.split(d.as_ref()).collect()
    };
    serde_json::to_string(&parts).ok().into()
}

/// `hexToAscii(s)`: `"48656c6c6f"` → `"Hello"` (an optional `0x` prefix is allowed).
pub fn hex_to_ascii(args: &[Val]) -> Out {
    text(args, 0)
        .and_then(|s| {
            let t = s.trim();
            let t = t
                .strip_prefix("0x")
                .or_else(|| t.strip_prefix("0X"))
                .unwrap_or(t);
            hex::decode(t).ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .into()
}

/// `hexToDec(s)`: `"0xff"` → 255 (prefix optional).
pub fn hex_to_dec(args: &[Val]) -> Out {
    text(args, 0)
        .and_then(|s| {
            let t = s.trim();
            let (neg, t) = match t.strip_prefix('-') {
                Some(r) => (true, r),
                None => (false, t),
            };
            let t = t
                .strip_prefix("0x")
                .or_else(|| t.strip_prefix("0X"))
                .unwrap_or(t);
            u64::from_str_radix(t, 16)
                .ok()
                .map(|v| if neg { -(v as f64) } else { v as f64 })
        })
        .into()
}

/// `decToHex(n)`: lower-case hex with `0x` (`-0x…` for negatives); fractions are truncated.
pub fn dec_to_hex(args: &[Val]) -> Out {
    num(args, 0)
        .filter(|n| n.abs() < 1.8e19)
        .map(|n| {
            let t = n.trunc();
            if t < 0.0 {
                format!("-0x{:x}", (-t) as u64)
            } else {
                format!("0x{:x}", t as u64)
            }
        })
        .into()
}

/// `md5(s)` as lower-case hex.
pub fn md5(args: &[Val]) -> Out {
    text(args, 0)
        .map(|s| hex::encode(md5::Md5::digest(s.as_bytes())))
        .into()
}

/// `sha256(s)` as lower-case hex.
pub fn sha256(args: &[Val]) -> Out {
    text(args, 0)
        .map(|s| hex::encode(sha2::Sha256::digest(s.as_bytes())))
        .into()
}

/// `unmask(s)`: lq does no masking, so the value itself.
pub fn identity_text(args: &[Val]) -> Out {
    text(args, 0).map(|s| s.into_owned()).into()
}
