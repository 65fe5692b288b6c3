//! Bucket and audit rules: data, not code.
//!
//! The defaults live in `assets/rules.toml` (embedded). A user extends or
//! overrides them with `--rules FILE` and with the same tables in the config
//! file. The schema (all keys optional unless marked):
//!
//! ```toml
//! [buckets]
//! defaults = true              # keep the built-in rules (false: only yours)
//! disable = ["Node.js"]        # drop built-in rules by name
//!
//! [[rules]]                    # evaluated in order; the first match wins
//! name = "Go"                  # required: what the rule calls what it matched
//! bucket = "toolchain"         # required: toolchain | os-package | language-deps |
//!                              #   source | build-cache | docs | other
//! packages = ["golang-*"]      # the owning dpkg/apk/rpm package's name matches
//! owned = true                 # any file a package owns
//! paths = ["usr/local/go/**"]  # the path (no leading /) matches
//! names = ["*.go", "Makefile"] # the last path component matches
//! version_file = "usr/local/go/VERSION"  # marker naming the version (toolchains)
//! version_parts = 2            # how much of the version to show ("1.19")
//! deps = "node"                # language-deps: name each dependency
//!                              #   (go, node, python, cargo, maven, vendor)
//! audit = true                 # toolchain: report it when the runtime image ships it
//!
//! [audit]                      # lists extend the built-in ones
//! shells = ["sh", "bash"]      # file names in a */bin or */sbin directory
//! package_managers = ["apt", "pip"]
//! secret_names = [".env", "id_rsa"]  # file names (globs) that hold secrets
//! ```
//!
//! User rules come before the built-in ones, so they win. Globs: `*` within
//! one component, `**` across, `?` one byte (see [`crate::analysis::glob`]).
//! Rules with `packages` or `owned` match by owner; rules with `paths` or
//! `names` match any file (owned or not) at that place. Whatever nothing
//! matches is `other`.

use super::glob::GlobSet;
use serde::Serialize;

/// The built-in rules.
pub const DEFAULT_RULES: &str = include_str!("../../assets/rules.toml");

/// Where an eliminated (or shipped) byte belongs. Declared in the order the
/// default rules apply them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bucket {
    Toolchain,
    OsPackage,
    LanguageDeps,
    Source,
    BuildCache,
    Docs,
    #[default]
    Other,
}

impl Bucket {
    pub const ALL: [Bucket; 7] = [
        Bucket::Toolchain,
        Bucket::OsPackage,
        Bucket::LanguageDeps,
        Bucket::Source,
        Bucket::BuildCache,
        Bucket::Docs,
        Bucket::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Toolchain => "toolchain",
            Bucket::OsPackage => "os-package",
            Bucket::LanguageDeps => "language-deps",
            Bucket::Source => "source",
            Bucket::BuildCache => "build-cache",
            Bucket::Docs => "docs",
            Bucket::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Bucket> {
        Bucket::ALL.into_iter().find(|b| b.as_str() == s)
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a language-deps rule names the dependency a file belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DepKind {
    /// `…/pkg/mod/MODULE@VERSION/…`
    Go,
    /// `…/node_modules/[@scope/]NAME/…` (version from its package.json)
    Node,
    /// Whatever a `*.dist-info/RECORD` or `*.egg-info/installed-files.txt`
    /// lists (named by its METADATA/PKG-INFO), everything in a virtualenv,
    /// else `…/site-packages/NAME/…` matched to `NAME-VERSION.dist-info`
    Python,
    /// `…/.cargo/registry/{src,cache}/INDEX/NAME-VERSION…`
    Cargo,
    /// `…/.m2/repository/GROUP…/ARTIFACT/VERSION/…`
    Maven,
    /// `…/vendor/HOST/OWNER/REPO/…` or `…/vendor/VENDOR/NAME/…`
    Vendor,
}

impl DepKind {
    fn parse(s: &str) -> Option<DepKind> {
        Some(match s {
            "go" => DepKind::Go,
            "node" | "npm" => DepKind::Node,
            "python" | "pypi" => DepKind::Python,
            "cargo" | "rust" => DepKind::Cargo,
            "maven" | "java" => DepKind::Maven,
            "vendor" => DepKind::Vendor,
            _ => return None,
        })
    }

    pub fn ecosystem(self) -> &'static str {
        match self {
            DepKind::Go => "go",
            DepKind::Node => "npm",
            DepKind::Python => "pypi",
            DepKind::Cargo => "cargo",
            DepKind::Maven => "maven",
            DepKind::Vendor => "vendor",
        }
    }
}

/// One bucket rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub name: String,
    pub bucket: Bucket,
    pub packages: GlobSet,
    pub owned: bool,
    pub paths: GlobSet,
    pub names: GlobSet,
    pub version_file: Option<GlobSet>,
    pub version_parts: usize,
    pub deps: Option<DepKind>,
    /// Toolchains: reported by the runtime audit when shipped.
    pub audit: bool,
    /// From the user's files rather than the defaults.
    pub user: bool,
}

/// Names the runtime audit looks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditRules {
    /// File names in a `bin`/`sbin` directory.
    pub shells: GlobSet,
    /// File names in a `bin`/`sbin` directory.
    pub package_managers: GlobSet,
    /// File names anywhere.
    pub secret_names: GlobSet,
}

/// The rules in force: bucket rules in evaluation order, and audit names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rules {
    pub rules: Vec<Rule>,
    pub audit: AuditRules,
    /// Files a package's maintainer scripts write, which its file list
    /// does not name.
    pub generated: Vec<Generated>,
}

/// `[[generated]]`: files that belong to `package` though no package
/// database lists them, because its maintainer scripts (or triggers) write
/// them at install time: the CA bundle, the loader's cache, `/etc/passwd`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generated {
    /// The package's exact name.
    pub package: String,
    /// Globs on paths (no leading `/`).
    pub paths: GlobSet,
    /// Which script writes them.
    pub why: String,
}

impl Default for Rules {
    /// The built-in rules alone.
    fn default() -> Self {
        Rules::builtin()
    }
}

impl Rules {
    /// The built-in rules. The embedded file is tested, so this cannot fail.
    pub fn builtin() -> Rules {
        match Rules::from_tables(&[]) {
            Ok(r) => r,
            Err(e) => panic!("built-in rules are invalid: {e}"),
        }
    }

    /// Built-in rules extended by user tables (the config file's, then
    /// `--rules FILE`'s; later files' rules come first).
    pub fn from_tables(user: &[(&str, &toml::Table)]) -> Result<Rules, String> {
        let defaults: toml::Table = DEFAULT_RULES
            .parse()
            .map_err(|e: toml::de::Error| format!("built-in rules: {}", e.message()))?;
        let mut keep_defaults = true;
        let mut disabled: Vec<String> = Vec::new();
        let mut user_rules: Vec<Rule> = Vec::new();
        let mut audit = AuditExtra::default();
        for (what, table) in user.iter().rev() {
            if let Some(b) = table.get("buckets") {
                let b = b
                    .as_table()
                    .ok_or_else(|| format!("{what}: [buckets] must be a table"))?;
                if let Some(d) = b.get("defaults") {
                    keep_defaults &= d
                        .as_bool()
                        .ok_or_else(|| format!("{what}: buckets.defaults must be true or false"))?;
                }
                disabled.extend(string_list(b.get("disable"), what, "buckets.disable")?);
            }
            user_rules.extend(parse_rules(table, what, true)?);
            audit.extend(table, what)?;
        }
        let mut generated = Vec::new();
        for (what, table) in user.iter().rev() {
            generated.extend(parse_generated(table, what)?);
        }
        if keep_defaults {
            generated.extend(parse_generated(&defaults, "built-in rules")?);
        }
        let mut rules = user_rules;
        if keep_defaults {
            rules.extend(
                parse_rules(&defaults, "built-in rules", false)?
                    .into_iter()
                    .filter(|r| !disabled.contains(&r.name)),
            );
        }
        let mut base = AuditExtra::default();
        base.extend(&defaults, "built-in rules")?;
        if keep_defaults {
            base.shells.extend(audit.shells);
            base.package_managers.extend(audit.package_managers);
            base.secret_names.extend(audit.secret_names);
        } else {
            base = audit;
        }
        Ok(Rules {
            rules,
            generated,
            audit: AuditRules {
                shells: GlobSet::new(&base.shells),
                package_managers: GlobSet::new(&base.package_managers),
                secret_names: GlobSet::new(&base.secret_names),
            },
        })
    }

    /// Rules for the CLI: built-ins, the config file's tables, then
    /// `--rules FILE` (whose rules win).
    pub fn load(
        config: &toml::Table,
        rules_file: Option<&std::path::Path>,
    ) -> Result<Rules, String> {
        let extra = match rules_file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| format!("rules {}: {e}", p.display()))?;
                Some((
                    format!("rules {}", p.display()),
                    text.parse::<toml::Table>()
                        .map_err(|e| format!("rules {}: {}", p.display(), e.message()))?,
                ))
            }
            None => None,
        };
        let mut tables: Vec<(&str, &toml::Table)> = vec![("config", config)];
        if let Some((what, t)) = &extra {
            tables.push((what.as_str(), t));
        }
        Rules::from_tables(&tables)
    }
}

#[derive(Default)]
struct AuditExtra {
    shells: Vec<String>,
    package_managers: Vec<String>,
    secret_names: Vec<String>,
}

impl AuditExtra {
    fn extend(&mut self, table: &toml::Table, what: &str) -> Result<(), String> {
        let Some(a) = table.get("audit") else {
            return Ok(());
        };
        let a = a
            .as_table()
            .ok_or_else(|| format!("{what}: [audit] must be a table"))?;
        for key in a.keys() {
            if !matches!(key.as_str(), "shells" | "package_managers" | "secret_names") {
                return Err(format!("{what}: unknown key audit.{key}"));
            }
        }
        self.shells
            .extend(string_list(a.get("shells"), what, "audit.shells")?);
        self.package_managers.extend(string_list(
            a.get("package_managers"),
            what,
            "audit.package_managers",
        )?);
        self.secret_names.extend(string_list(
            a.get("secret_names"),
            what,
            "audit.secret_names",
        )?);
        Ok(())
    }
}

fn string_list(v: Option<&toml::Value>, what: &str, key: &str) -> Result<Vec<String>, String> {
    let Some(v) = v else {
        return Ok(Vec::new());
    };
    let bad = || format!("{what}: {key} must be a list of strings");
    match v {
        toml::Value::String(s) => Ok(vec![s.clone()]),
        toml::Value::Array(a) => a
            .iter()
            .map(|x| x.as_str().map(str::to_string).ok_or_else(bad))
            .collect(),
        _ => Err(bad()),
    }
}

fn parse_generated(table: &toml::Table, what: &str) -> Result<Vec<Generated>, String> {
    let Some(v) = table.get("generated") else {
        return Ok(Vec::new());
    };
    let arr = v
        .as_array()
        .ok_or_else(|| format!("{what}: generated must be an array of tables ([[generated]])"))?;
    let mut out = Vec::with_capacity(arr.len());
    for (i, g) in arr.iter().enumerate() {
        let t = g
            .as_table()
            .ok_or_else(|| format!("{what}: generated[{i}] must be a table"))?;
        let text = |key: &str| -> Result<String, String> {
            t.get(key)
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
                .map(String::from)
                .ok_or_else(|| format!("{what}: generated[{i}].{key} is required (a string)"))
        };
        for key in t.keys() {
            if !matches!(key.as_str(), "package" | "paths" | "why") {
                return Err(format!("{what}: unknown key generated[{i}].{key}"));
            }
        }
        let paths = string_list(t.get("paths"), what, &format!("generated[{i}].paths"))?;
        if paths.is_empty() {
            return Err(format!(
                "{what}: generated[{i}].paths must list at least one glob"
            ));
        }
        out.push(Generated {
            package: text("package")?,
            paths: GlobSet::new(&paths),
            why: text("why")?,
        });
    }
    Ok(out)
}

fn parse_rules(table: &toml::Table, what: &str, user: bool) -> Result<Vec<Rule>, String> {
    let Some(v) = table.get("rules") else {
        return Ok(Vec::new());
    };
    let arr = v
        .as_array()
        .ok_or_else(|| format!("{what}: rules must be an array of tables ([[rules]])"))?;
    let mut out = Vec::with_capacity(arr.len());
    for (i, r) in arr.iter().enumerate() {
        let t = r
            .as_table()
            .ok_or_else(|| format!("{what}: rules[{i}] must be a table"))?;
        let name = t
            .get("name")
            .and_then(|v| v.as_str())
            .ok_or_else(|| format!("{what}: rules[{i}] needs a name"))?
            .to_string();
        let at = |key: &str| format!("rule {name:?}.{key}");
        for key in t.keys() {
            if !matches!(
                key.as_str(),
                "name"
                    | "bucket"
                    | "packages"
                    | "owned"
                    | "paths"
                    | "names"
                    | "version_file"
                    | "version_parts"
                    | "deps"
                    | "audit"
            ) {
                return Err(format!("{what}: unknown key {}", at(key)));
            }
        }
        let bucket_s = t
            .get("bucket")
            .and_then(|v| v.as_str())
            .ok_or_else(|| format!("{what}: {} is required", at("bucket")))?;
        let bucket = Bucket::parse(bucket_s).ok_or_else(|| {
            format!(
                "{what}: {} {bucket_s:?} is not one of toolchain, os-package, language-deps, source, build-cache, docs, other",
                at("bucket")
            )
        })?;
        let bool_of = |key: &str, default: bool| -> Result<bool, String> {
            match t.get(key) {
                None => Ok(default),
                Some(v) => v
                    .as_bool()
                    .ok_or_else(|| format!("{what}: {} must be true or false", at(key))),
            }
        };
        let deps = match t.get("deps") {
            None => None,
            Some(v) => Some(v.as_str().and_then(DepKind::parse).ok_or_else(|| {
                format!(
                    "{what}: {} must be one of go, node, python, cargo, maven, vendor",
                    at("deps")
                )
            })?),
        };
        let version_file = match t.get("version_file") {
            None => None,
            Some(v) => Some(GlobSet::new(&string_list(
                Some(v),
                what,
                &at("version_file"),
            )?)),
        };
        let version_parts = match t.get("version_parts") {
            None => 2,
            Some(v) => v
                .as_integer()
                .filter(|n| (0..=4).contains(n))
                .ok_or_else(|| format!("{what}: {} must be 0 to 4", at("version_parts")))?
                as usize,
        };
        let rule = Rule {
            bucket,
            packages: GlobSet::new(&string_list(t.get("packages"), what, &at("packages"))?),
            owned: bool_of("owned", false)?,
            paths: GlobSet::new(&string_list(t.get("paths"), what, &at("paths"))?),
            names: GlobSet::new(&string_list(t.get("names"), what, &at("names"))?),
            version_file,
            version_parts,
            deps,
            audit: bool_of("audit", bucket == Bucket::Toolchain)?,
            user,
            name,
        };
        if rule.packages.is_empty() && !rule.owned && rule.paths.is_empty() && rule.names.is_empty()
        {
            return Err(format!(
                "{what}: rule {:?} matches nothing (give packages, owned, paths or names)",
                rule.name
            ));
        }
        out.push(rule);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_parse_in_bucket_order() {
        let r = Rules::builtin();
        assert!(r.rules.len() > 10);
        // The defaults keep the issue's order: no rule of an earlier bucket
        // after one of a later bucket.
        for w in r.rules.windows(2) {
            assert!(
                w[0].bucket <= w[1].bucket,
                "{} before {}",
                w[0].name,
                w[1].name
            );
        }
        assert!(r.audit.shells.matches(b"sh"));
        assert!(r.audit.package_managers.matches(b"apt-get"));
        assert!(r.audit.package_managers.matches(b"pip3.11"));
        assert!(r.audit.secret_names.matches(b".env"));
    }

    /// The rule a package of this name lands in (first match, as classify does).
    fn rule_of(r: &Rules, package: &str) -> Option<String> {
        r.rules
            .iter()
            .find(|x| x.owned || x.packages.matches(package.as_bytes()))
            .filter(|x| x.bucket == Bucket::Toolchain)
            .map(|x| x.name.clone())
    }

    #[test]
    fn rpm_and_apk_package_names_hit_toolchain_groups() {
        let r = Rules::builtin();
        for (package, rule) in [
            // Fedora / RHEL / Rocky / Amazon Linux
            ("gcc", "GCC"),
            ("gcc-c++", "GCC"),
            ("cpp", "GCC"),
            ("libstdc++-devel", "GCC"),
            ("annobin-plugin-gcc", "GCC"),
            ("gcc-toolset-13-gcc-c++", "GCC"),
            ("glibc-devel", "Development headers"),
            ("glibc-headers", "Development headers"),
            ("kernel-headers", "Development headers"),
            ("openssl-devel", "Development headers"),
            ("golang", "Go"),
            ("golang-bin", "Go"),
            ("golang-src", "Go"),
            ("rust", "Rust"),
            ("cargo", "Rust"),
            ("rust-std-static", "Rust"),
            ("java-17-openjdk-devel", "JDK"),
            ("java-latest-openjdk-devel", "JDK"),
            ("make", "Build tools"),
            ("cmake", "Build tools"),
            ("redhat-rpm-config", "Build tools"),
            ("python-srpm-macros", "Build tools"),
            ("rpm-build", "Build tools"),
            ("pkgconf-pkg-config", "Build tools"),
            ("binutils", "binutils"),
            ("binutils-gold", "binutils"),
            ("clang", "Clang/LLVM"),
            ("nodejs-npm", "Node.js"),
            // openSUSE
            ("gcc13", "GCC"),
            ("gcc13-c++", "GCC"),
            ("libstdc++6-devel-gcc13", "GCC"),
            ("go1.21", "Go"),
            ("rust1.75", "Rust"),
            // Alpine (apk)
            ("go", "Go"),
            ("build-base", "Build tools"),
            ("alpine-sdk", "Build tools"),
            ("musl-dev", "Development headers"),
            ("openjdk17-jdk", "JDK"),
            ("g++", "GCC"),
            // dpkg names keep their groups
            ("golang-1.19-go", "Go"),
            ("g++-12", "GCC"),
            ("libc6-dev", "Development headers"),
        ] {
            assert_eq!(rule_of(&r, package).as_deref(), Some(rule), "{package}");
        }
        // Runtimes stay OS packages: a JRE, the C++ runtime, Debian's
        // gcc-12-base (libgcc's companion), a static busybox.
        for runtime in [
            "java-17-openjdk-headless",
            "java-17-openjdk",
            "libstdc++",
            "libstdc++6",
            "libgcc",
            "gcc-12-base",
            "busybox-static",
            "glibc",
            "rpm",
            "dnf",
            "openjdk17-jre",
            "openjdk17-jre-headless",
            "musl",
            "libgo",
        ] {
            assert_eq!(rule_of(&r, runtime), None, "{runtime}");
        }
        for pm in [
            "rpm", "dnf", "dnf-3", "dnf5", "microdnf", "yum", "zypper", "tdnf",
        ] {
            assert!(r.audit.package_managers.matches(pm.as_bytes()), "{pm}");
        }
    }

    #[test]
    fn user_rules_come_first_and_can_disable_defaults() {
        let user: toml::Table = r#"
            [buckets]
            disable = ["Go"]
            [[rules]]
            name = "Our app"
            bucket = "other"
            paths = ["app/**"]
            [audit]
            shells = ["nu"]
        "#
        .parse()
        .unwrap();
        let r = Rules::from_tables(&[("test", &user)]).unwrap();
        assert_eq!(r.rules[0].name, "Our app");
        assert!(r.rules[0].user);
        assert!(!r.rules.iter().any(|x| x.name == "Go"));
        assert!(r.audit.shells.matches(b"nu"));
        assert!(r.audit.shells.matches(b"bash"));

        let only: toml::Table =
            "[buckets]\ndefaults = false\n[[rules]]\nname='x'\nbucket='docs'\nnames=['*.md']"
                .parse()
                .unwrap();
        let r = Rules::from_tables(&[("test", &only)]).unwrap();
        assert_eq!(r.rules.len(), 1);
    }

    #[test]
    fn bad_rules_are_one_line_errors() {
        for (text, needle) in [
            ("[[rules]]\nbucket='docs'\nnames=['x']", "needs a name"),
            (
                "[[rules]]\nname='x'\nbucket='junk'\nnames=['x']",
                "is not one of",
            ),
            ("[[rules]]\nname='x'\nbucket='docs'", "matches nothing"),
            (
                "[[rules]]\nname='x'\nbucket='docs'\nnames=['x']\nnmes=1",
                "unknown key",
            ),
            (
                "[[rules]]\nname='x'\nbucket='docs'\nnames=[1]",
                "list of strings",
            ),
            ("rules = 3", "array of tables"),
            (
                "[[rules]]\nname='x'\nbucket='language-deps'\npaths=['x']\ndeps='cobol'",
                "deps",
            ),
        ] {
            let t: toml::Table = text.parse().unwrap();
            let e = Rules::from_tables(&[("f", &t)]).unwrap_err();
            assert!(e.contains(needle), "{e}");
            assert!(!e.contains('\n'));
        }
    }
}
