//! Globs for bucket rules, matched against raw path bytes.
//!
//! `*` matches within one path component, `**` matches across components,
//! `?` matches one byte other than `/`. A leading `**/` also matches nothing
//! (`**/x` matches `x`), and a trailing `/**` also matches the directory
//! itself (`usr/local/go/**` matches `usr/local/go`). Everything else is
//! literal. Matching never allocates.

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Lit(Box<[u8]>),
    /// `?`
    One,
    /// `*`
    Star,
    /// `**`
    Any,
    /// `**/`: empty, or anything ending in `/`.
    AnyDirs,
    /// trailing `/**`: empty, or `/` and anything.
    SlashAny,
}

/// A compiled glob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glob {
    source: String,
    tokens: Vec<Token>,
    /// Literal suffix every match ends with (quick reject).
    suffix: Box<[u8]>,
}

impl Glob {
    pub fn new(pattern: &str) -> Glob {
        let p = pattern.trim_start_matches('/').as_bytes();
        let mut tokens = Vec::new();
        let mut lit = Vec::new();
        let mut i = 0;
        let flush = |lit: &mut Vec<u8>, tokens: &mut Vec<Token>| {
            if !lit.is_empty() {
                tokens.push(Token::Lit(std::mem::take(lit).into_boxed_slice()));
            }
        };
        while i < p.len() {
            match p[i] {
                b'*' if p.get(i + 1) == Some(&b'*') => {
                    let at_start = i == 0 || p[i - 1] == b'/';
                    if at_start && p.get(i + 2) == Some(&b'/') {
                        flush(&mut lit, &mut tokens);
                        tokens.push(Token::AnyDirs);
                        i += 3;
                    } else if i + 2 == p.len() && lit.last() == Some(&b'/') {
                        lit.pop();
                        flush(&mut lit, &mut tokens);
                        tokens.push(Token::SlashAny);
                        i += 2;
                    } else {
                        flush(&mut lit, &mut tokens);
                        tokens.push(Token::Any);
                        i += 2;
                    }
                }
                b'*' => {
                    flush(&mut lit, &mut tokens);
                    tokens.push(Token::Star);
                    i += 1;
                }
                b'?' => {
                    flush(&mut lit, &mut tokens);
                    tokens.push(Token::One);
                    i += 1;
                }
                c => {
                    lit.push(c);
                    i += 1;
                }
            }
        }
        flush(&mut lit, &mut tokens);
        let suffix = match tokens.last() {
            Some(Token::Lit(l)) => l.clone(),
            _ => Box::from(&b""[..]),
        };
        Glob {
            source: pattern.to_string(),
            tokens,
            suffix,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether `text` matches the whole pattern.
    pub fn matches(&self, text: &[u8]) -> bool {
        if !text.ends_with(&self.suffix) {
            return false;
        }
        // Bounded: each token tries at most text.len() splits and patterns
        // are short; untrusted input is only ever the text.
        match_from(&self.tokens, text, 0)
    }
}

fn match_from(tokens: &[Token], text: &[u8], depth: u32) -> bool {
    if depth > 16 {
        return false;
    }
    let Some((first, rest)) = tokens.split_first() else {
        return text.is_empty();
    };
    match first {
        Token::Lit(l) => text.starts_with(l) && match_from(rest, &text[l.len()..], depth),
        Token::One => {
            text.first().is_some_and(|&c| c != b'/') && match_from(rest, &text[1..], depth)
        }
        Token::Star => {
            if rest.is_empty() {
                return !text.contains(&b'/');
            }
            for i in 0..=text.len() {
                if match_from(rest, &text[i..], depth + 1) {
                    return true;
                }
                if text.get(i) == Some(&b'/') {
                    break;
                }
            }
            false
        }
        Token::Any => {
            if rest.is_empty() {
                return true;
            }
            (0..=text.len()).any(|i| match_from(rest, &text[i..], depth + 1))
        }
        Token::AnyDirs => {
            if match_from(rest, text, depth + 1) {
                return true;
            }
            text.iter()
                .enumerate()
                .filter(|(_, &c)| c == b'/')
                .any(|(i, _)| match_from(rest, &text[i + 1..], depth + 1))
        }
        Token::SlashAny => text.is_empty() || text[0] == b'/',
    }
}

/// A set of globs; matches when any does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GlobSet {
    globs: Vec<Glob>,
}

impl GlobSet {
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> GlobSet {
        GlobSet {
            globs: patterns.iter().map(|p| Glob::new(p.as_ref())).collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.globs.is_empty()
    }

    pub fn matches(&self, text: &[u8]) -> bool {
        self.globs.iter().any(|g| g.matches(text))
    }

    /// Index of the first glob that matches.
    pub fn position(&self, text: &[u8]) -> Option<usize> {
        self.globs.iter().position(|g| g.matches(text))
    }

    pub fn patterns(&self) -> impl Iterator<Item = &str> {
        self.globs.iter().map(|g| g.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        Glob::new(p).matches(t.as_bytes())
    }

    #[test]
    fn star_stays_in_one_component() {
        assert!(m("*.go", "main.go"));
        assert!(!m("*.go", "src/main.go"));
        assert!(m("opt/*jdk*/**", "opt/openjdk-17/bin/javac"));
        assert!(!m("opt/*jdk*/**", "opt/x/jdk/bin"));
        assert!(m("golang-*", "golang-1.19-go"));
        assert!(m("lib?san*", "libasan8"));
        assert!(!m("lib?san*", "libsan8"));
    }

    #[test]
    fn double_star_crosses_components() {
        assert!(m("**/node_modules/**", "app/node_modules/x/index.js"));
        assert!(m("**/node_modules/**", "node_modules/x/index.js"));
        assert!(m("**/node_modules/**", "node_modules"));
        assert!(!m("**/node_modules/**", "app/node_modulesx/y"));
        assert!(m("usr/local/go/**", "usr/local/go"));
        assert!(m("usr/local/go/**", "usr/local/go/bin/go"));
        assert!(!m("usr/local/go/**", "usr/local/gopher"));
        assert!(m("**/*.o", "src/a/b.o"));
        assert!(m("**/*.o", "b.o"));
        assert!(m("root/.cache/**", "root/.cache/go-build/aa/bb-d"));
        assert!(m("usr/**/*.a", "usr/lib/x86_64-linux-gnu/libc.a"));
    }

    #[test]
    fn leading_slash_is_ignored_and_literals_are_exact() {
        assert!(m("/usr/share/doc/**", "usr/share/doc/x/copyright"));
        assert!(m("Makefile", "Makefile"));
        assert!(!m("Makefile", "Makefile.am"));
        assert!(!m("", "x"));
    }

    #[test]
    fn hostile_text_is_cheap() {
        let long = "a/".repeat(5000) + "b";
        assert!(!m("**/x/**/y/**/z", &long));
        assert!(m("**/b", &long));
    }
}
