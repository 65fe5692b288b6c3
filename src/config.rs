//! The user's config file (`--config FILE`, else `$STAGEDIFF_CONFIG`, else
//! `$XDG_CONFIG_HOME/stagediff/config.toml` or `~/.config/stagediff/config.toml`).
//! Each part of stagediff reads its own table: `[[rules]]` / `[buckets]` for
//! the analysis, `[keys]` for the TUI.

use std::path::{Path, PathBuf};

/// The default config path, whether or not it exists.
pub fn default_path() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("STAGEDIFF_CONFIG") {
        if !p.is_empty() {
            return Some(PathBuf::from(p));
        }
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("stagediff").join("config.toml"))
}

/// Reads the config: an explicit path must exist; the default path may not.
pub fn load(explicit: Option<&Path>) -> Result<toml::Table, String> {
    let (path, required) = match explicit {
        Some(p) => (p.to_path_buf(), true),
        None => match default_path() {
            Some(p) => (p, false),
            None => return Ok(toml::Table::new()),
        },
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(toml::Table::new())
        }
        Err(e) => return Err(format!("config {}: {e}", path.display())),
    };
    let table = text
        .parse::<toml::Table>()
        .map_err(|e| format!("config {}: {}", path.display(), e.message()))?;
    check_tables(&table).map_err(|e| format!("config {}: {e}", path.display()))?;
    Ok(table)
}

/// The top-level tables stagediff reads. Anything else is a typo (`[[rule]]`)
/// that would otherwise be ignored without a word.
pub const TABLES: &[&str] = &["rules", "buckets", "audit", "keys", "plan"];

fn check_tables(table: &toml::Table) -> Result<(), String> {
    match table.keys().find(|k| !TABLES.contains(&k.as_str())) {
        Some(k) => Err(format!(
            "unknown table or key `{}` (known: {})",
            crate::escape::escape_str(k),
            TABLES.join(", ")
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_tables_load_and_typos_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.toml");
        std::fs::write(
            &good,
            "[keys]\nquit = [\"q\"]\n[[rules]]\nname = \"x\"\nbucket = \"other\"\n",
        )
        .unwrap();
        assert!(load(Some(&good)).unwrap().contains_key("keys"));
        let typo = dir.path().join("typo.toml");
        std::fs::write(&typo, "[[rule]]\nname = \"x\"\n").unwrap();
        let e = load(Some(&typo)).unwrap_err();
        assert!(
            e.contains("typo.toml") && e.contains("`rule`") && e.contains("rules, buckets"),
            "{e}"
        );
        assert!(load(Some(&dir.path().join("missing.toml"))).is_err());
    }
}
