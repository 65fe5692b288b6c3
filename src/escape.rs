//! Showing untrusted bytes (file names, `created_by`, labels) on a terminal.
//!
//! Image content may carry terminal escape codes or invalid UTF-8. Everything
//! that came out of an image goes through these functions before it is
//! printed, so no byte of it reaches the terminal raw.

use std::borrow::Cow;
use std::fmt::Write;

/// Characters a terminal acts on or that change what the reader sees: C0
/// and C1 controls, DEL, bidirectional overrides and isolates, the BOM.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        // Bidirectional overrides and isolates can reorder what the reader sees.
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        || c == '\u{feff}'
}

fn needs_escape(c: char) -> bool {
    is_unsafe(c) || c == '\\'
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
    escape_where(s, needs_escape)
}

/// `s` with every character `escape` picks replaced by its visible escape.
fn escape_where(s: &str, escape: fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if escape(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Makes a whole message safe as one line of a terminal: what
/// [`escape_str`] escapes, except backslashes. Every line stagediff writes
/// to stderr goes through this, so a field some message forgot to escape
/// still cannot reach the terminal raw; fields escaped before keep their
/// `\\`, as this leaves backslashes alone (escaping twice changes nothing).
pub fn line(s: &str) -> Cow<'_, str> {
    escape_where(s, is_unsafe)
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
    fn a_line_is_one_safe_line_and_escaping_it_twice_changes_nothing() {
        let hostile = "missing blob evil\u{1b}]0;t\u{7}\nnext\r\u{9b}31m\u{202e}x\u{85}\u{7f}";
        let once = line(hostile);
        assert_eq!(
            once,
            "missing blob evil\\x1b]0;t\\x07\\nnext\\r\\x9b31m\\u{202e}x\\x85\\x7f"
        );
        assert!(!once.chars().any(is_unsafe));
        assert_eq!(line(&once), once);
        // What escape_str produced already is left as it is.
        let field = escape_str("a\\b\u{1b}");
        assert_eq!(line(&field), field);
        assert!(matches!(line("plain text"), Cow::Borrowed(_)));
    }

    #[test]
    fn bidi_override_is_escaped() {
        assert_eq!(escape_str("a\u{202e}txt.exe"), "a\\u{202e}txt.exe");
        assert_eq!(escape_str("\u{9b}x"), "\\x9bx");
    }
}
