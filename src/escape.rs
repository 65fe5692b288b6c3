//! Showing untrusted bytes (file names, `created_by`, labels) on a terminal.
//!
//! Image content may carry terminal escape codes or invalid UTF-8. Everything
//! that came out of an image goes through these functions before it is
//! printed, so no byte of it reaches the terminal raw.

use std::borrow::Cow;
use std::fmt::Write;

fn needs_escape(c: char) -> bool {
    c.is_control()
        || c == '\\'
        // Bidirectional overrides and isolates can reorder what the reader sees.
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        || c == '\u{feff}'
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        c if (c as u32) < 0x100 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// Escapes a string for display: control characters, backslashes and
/// bidirectional controls become visible escapes.
pub fn escape_str(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Escapes raw bytes for display: invalid UTF-8 becomes `\xNN`, and valid text
/// is escaped as [`escape_str`] does.
pub fn escape_bytes(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => escape_str(s),
        Err(_) => {
            let mut out = String::with_capacity(b.len() + 8);
            for chunk in b.utf8_chunks() {
                for c in chunk.valid().chars() {
                    if needs_escape(c) {
                        push_escaped(&mut out, c);
                    } else {
                        out.push(c);
                    }
                }
                for byte in chunk.invalid() {
                    let _ = write!(out, "\\x{byte:02x}");
                }
            }
            Cow::Owned(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(escape_str("usr/bin/ls"), Cow::Borrowed(_)));
        assert_eq!(escape_bytes("día/файл".as_bytes()), "día/файл");
    }

    #[test]
    fn escape_codes_never_pass_through() {
        let hostile = "evil\u{1b}[2J\u{1b}]0;pwned\u{7}name";
        let shown = escape_str(hostile);
        assert!(!shown.contains('\u{1b}'));
        assert!(!shown.contains('\u{7}'));
        assert_eq!(shown, "evil\\x1b[2J\\x1b]0;pwned\\x07name");
    }

    #[test]
    fn invalid_utf8_is_hex_escaped() {
        assert_eq!(escape_bytes(b"caf\xe9\xff/x"), "caf\\xe9\\xff/x");
        assert_eq!(escape_bytes(b"a\\b"), "a\\\\b");
    }

    #[test]
    fn bidi_override_is_escaped() {
        assert_eq!(escape_str("a\u{202e}txt.exe"), "a\\u{202e}txt.exe");
        assert_eq!(escape_str("\u{9b}x"), "\\x9bx");
    }
}
