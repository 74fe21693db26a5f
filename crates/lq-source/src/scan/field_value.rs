//! A field's value on the current line: where its text is in the input, or the decoded text.

/// A field value of the current line: where its text is, or the decoded text.
#[derive(Debug, Clone)]
pub(crate) enum FieldValue {
    Missing,
    /// Bytes `data[start..end]` of the input, valid UTF-8.
    At(usize, usize),
    Owned(String),
}

impl FieldValue {
    pub(crate) fn text<'a>(&'a self, data: &'a [u8]) -> Option<&'a str> {
        match self {
            FieldValue::Missing => None,
            FieldValue::At(s, e) => {
                let bytes = &data[*s..*e];
                debug_assert!(std::str::from_utf8(bytes).is_ok());
                // SAFETY: `At` is made only from `fastjson::Span::Plain`, whose bytes the scanner
                // has checked to be UTF-8 (ASCII in the token walk; `from_utf8` on strings with
                // other bytes in the byte scanner). Checking again cost 4% of a field query.
                Some(unsafe { std::str::from_utf8_unchecked(bytes) })
            }
            FieldValue::Owned(t) => Some(t),
        }
    }
}
