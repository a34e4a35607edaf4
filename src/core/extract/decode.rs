//! Bytes to text: UTF-8 (with or without BOM), UTF-16 with a BOM, or a
//! declared single-byte Latin charset; anything else is decoded lossily.

/// Decoded text and whether replacement characters had to be inserted.
pub(super) fn decode(bytes: &[u8]) -> (String, bool) {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return utf8_lossy(rest);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, true);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, false);
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return (s.to_string(), false);
    }
    match declared_charset(bytes).as_deref() {
        Some("windows-1252" | "iso-8859-1" | "latin1" | "latin-1" | "us-ascii" | "ascii" | "cp1252") => {
            (bytes.iter().map(|&b| cp1252(b)).collect(), false)
        }
        _ => utf8_lossy(bytes),
    }
}

fn utf8_lossy(bytes: &[u8]) -> (String, bool) {
    match String::from_utf8_lossy(bytes) {
        std::borrow::Cow::Borrowed(s) => (s.to_string(), false),
        std::borrow::Cow::Owned(s) => (s, true),
    }
}

fn utf16(bytes: &[u8], le: bool) -> (String, bool) {
    let units = bytes.chunks_exact(2).map(|c| {
        if le {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    let mut lossy = !bytes.len().is_multiple_of(2);
    let s = char::decode_utf16(units)
        .map(|r| {
            r.unwrap_or_else(|_| {
                lossy = true;
                '\u{FFFD}'
            })
        })
        .collect();
    (s, lossy)
}

/// The charset named by a `<meta charset>` or `<meta http-equiv>` in the
/// first 1024 bytes, lowercased.
fn declared_charset(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(1024)];
    let text: String = head.iter().map(|&b| (b as char).to_ascii_lowercase()).collect();
    let idx = text.find("charset=")?;
    let rest = &text[idx + "charset=".len()..];
    let rest = rest.trim_start_matches(['"', '\'', ' ']);
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    (!name.is_empty()).then_some(name)
}

fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž', '\u{8F}', '\u{90}', '‘',
        '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => HIGH[(b - 0x80) as usize],
        _ => b as char,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_and_bom() {
        assert_eq!(decode("héllo".as_bytes()), ("héllo".to_string(), false));
        assert_eq!(decode(b"\xEF\xBB\xBFabc"), ("abc".to_string(), false));
    }

    #[test]
    fn latin1_declared() {
        let (s, lossy) = decode(b"<meta charset=\"windows-1252\"><p>caf\xe9 \x93q\x94</p>");
        assert!(s.contains("café “q”"));
        assert!(!lossy);
    }

    #[test]
    fn invalid_is_lossy() {
        let (s, lossy) = decode(b"<p>a\xff\xfeb</p>");
        assert!(lossy);
        assert!(s.contains('\u{FFFD}'));
    }

    #[test]
    fn utf16_bom() {
        let mut b = vec![0xFF, 0xFE];
        for u in "hi".encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(decode(&b), ("hi".to_string(), false));
    }
}
