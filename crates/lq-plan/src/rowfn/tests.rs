//! Tests of the row functions against the Logs Insights reference's examples.

use super::*;

fn t(s: &str) -> Val<'_> {
    Val::Text(Cow::Borrowed(s))
}

fn text_of(o: Out) -> Option<String> {
    match o {
        Out::Text(s) => Some(s),
        _ => None,
    }
}

#[test]
fn reference_examples() {
    assert_eq!(
        text_of(hex_to_ascii(&[t("48656c6c6f")])).as_deref(),
        Some("Hello")
    );
    assert!(matches!(hex_to_dec(&[t("0xff")]), Out::Num(n) if n == 255.0));
    assert_eq!(
        text_of(dec_to_hex(&[Val::Num(-255.7)])).as_deref(),
        Some("-0xff")
    );
    assert!(matches!(
        is_ipv4_in_subnet(&[t("192.0.2.7"), t("192.0.2.0/24")]),
        Out::Bool(true)
    ));
    assert!(matches!(
        is_ip_in_subnet(&[t("2001:db8::1"), t("2001:db8::/32")]),
        Out::Bool(true)
    ));
    assert!(matches!(
        is_ip_in_subnet(&[t("2001:db8::1"), t("bad")]),
        Out::Bool(false)
    ));
    assert!(matches!(is_private_ip(&[t("172.20.1.1")]), Out::Bool(true)));
    assert!(matches!(is_public_ip(&[t("8.8.8.8")]), Out::Bool(true)));
    assert!(matches!(round(&[Val::Num(2.5)]), Out::Num(n) if n == 3.0));
    assert!(matches!(round(&[Val::Num(-2.345), Val::Num(2.0)]), Out::Num(n) if n == -2.35));
    assert_eq!(
        java_to_strftime("yyyy-MM-dd'T'HH:mm:ss"),
        "%Y-%m-%dT%H:%M:%S"
    );
    assert!(matches!(
        parse_date(&[t("2024-03-15"), t("yyyy-MM-dd")]),
        Out::Time(1710460800000)
    ));
    assert_eq!(
        text_of(format_date(&[
            Val::Time(1710460800000),
            t("%Y/%m/%d %H"),
            t("+02:00")
        ]))
        .as_deref(),
        Some("2024/03/15 02")
    );
    assert_eq!(
        text_of(urlencode(&[t("a b&c")])).as_deref(),
        Some("a%20b%26c")
    );
    assert_eq!(
        text_of(urldecode(&[t("a%20b+c")])).as_deref(),
        Some("a b c")
    );
    assert_eq!(
        text_of(sha256(&[t("abc")])).as_deref(),
        Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    );
    assert_eq!(
        text_of(md5(&[t("abc")])).as_deref(),
        Some("900150983cd24fb0d6963f7d28e17f72")
    );
}
