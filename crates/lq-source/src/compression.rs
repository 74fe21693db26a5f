//! gzip, zstd and bzip2 inputs: recognised by their first bytes, decompressed whole or as a
//! stream.

use std::path::Path;

use crate::SourceError;
use crate::formats;

/// Compressed inputs, recognised by their first bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Compression {
    Gzip,
    Zstd,
    Bzip2,
}

impl Compression {
    pub(crate) fn of(data: &[u8]) -> Option<Self> {
        if data.starts_with(b"\x1f\x8b") {
            Some(Compression::Gzip)
        } else if data.starts_with(b"\x28\xb5\x2f\xfd") {
            Some(Compression::Zstd)
        } else if data.starts_with(b"BZh") && data.get(3).is_some_and(|b| (b'1'..=b'9').contains(b))
        {
            Some(Compression::Bzip2)
        } else {
            None
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Bzip2 => "bzip2",
        }
    }
}

/// A reader of the decompressed content (several gzip members or zstd frames too).
pub(crate) fn decoder<'a>(
    format: Compression,
    compressed: impl std::io::BufRead + 'a,
) -> std::io::Result<Box<dyn std::io::Read + 'a>> {
    Ok(match format {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(compressed)),
        Compression::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(compressed)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(compressed)?),
    })
}

/// Whether a compressed input holds line records (not an AWS payload or Parquet, which are read
/// whole), judged from the start of its content.
pub(crate) fn lines_when_decompressed(format: Compression, compressed: &[u8]) -> bool {
    use std::io::Read;
    let Ok(reader) = decoder(format, compressed) else {
        return true;
    };
    let mut head = Vec::new();
    let _ = reader.take(1 << 16).read_to_end(&mut head);
    !formats::whole_document(&head)
}

/// Decompresses a whole input (several gzip members or zstd frames too). A damaged or truncated
/// stream keeps what was decompressed before the damage, cut back to the last whole line, and says
/// what happened.
pub(crate) fn decompress(format: Compression, compressed: &[u8]) -> (Vec<u8>, Option<String>) {
    use std::io::Read;
    let mut reader = match decoder(format, compressed) {
        Ok(r) => r,
        Err(e) => {
            return (
                Vec::new(),
                Some(format!("the {} stream cannot be read ({e})", format.name())),
            );
        }
    };
    let mut out = Vec::with_capacity(compressed.len() * 4);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return (out, None),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) => {
                let kept = out.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
                out.truncate(kept);
                return (
                    out,
                    Some(format!(
                        "the {} stream is damaged or truncated ({e}); read the first {kept} bytes of its content",
                        format.name()
                    )),
                );
            }
        }
    }
}

/// A file's content as the scanner reads it: decompressed when it is gzip, zstd or bzip2, so that
/// `@ptr` offsets point into it.
pub fn read_contents(path: &Path) -> Result<Vec<u8>, SourceError> {
    let data = std::fs::read(path).map_err(|source| SourceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(match Compression::of(&data) {
        Some(format) => decompress(format, &data).0,
        None => data,
    })
}
