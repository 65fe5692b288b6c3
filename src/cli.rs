//! Command-line interface: the clap types, turned into the plain option
//! structs of [`crate::cmd`] and dispatched. `main` is thin: it parses and
//! calls [`run`], which turns errors into one line on stderr, exit code 2.

use crate::analysis::gate::{Gate, WasteGate};
use crate::cmd::{self, Common, OutputFormat};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "stagediff",
    version,
    about = "Show what a multi-stage build eliminated, by name and byte, and explore image layers",
    subcommand_negates_reqs = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// BEFORE [AFTER]: opens the TUI (one image: layer explorer; two: comparison).
    #[arg(value_name = "IMAGE", num_args = 0..)]
    pub images: Vec<String>,
    #[command(flatten)]
    pub load: LoadArgs,
}

#[derive(Args, Debug, Clone, Default)]
pub struct LoadArgs {
    /// Skip checking layer diff_ids and blob digests.
    #[arg(long, global = true)]
    pub no_verify: bool,
    /// Platform to pick from multi-platform images (os/arch[/variant]); an
    /// image of another platform is refused.
    #[arg(long, global = true, value_name = "OS/ARCH")]
    pub platform: Option<String>,
    /// Config file (rules, keys).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl LoadArgs {
    pub fn options(&self) -> crate::source::LoadOptions {
        crate::source::LoadOptions {
            verify: !self.no_verify,
            platform: self.platform.clone(),
        }
    }

    fn common(&self) -> Common {
        Common {
            load: self.options(),
            config: self.config.clone(),
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Summarise one image: layers, sizes and the largest files.
    Inspect(InspectArgs),
    /// Compare BEFORE (single-stage) with AFTER (multi-stage) and attribute every eliminated byte.
    Diff(DiffArgs),
    /// Open the TUI (or print the diff) on the bundled demo pair.
    Demo(DemoArgs),
    /// What the entrypoint needs: its runtime closure, what a multi-stage build would remove, and a Dockerfile.
    Plan(PlanArgs),
    /// Print a shell completion script: `stagediff completions bash > /etc/bash_completion.d/stagediff`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `stagediff man > /usr/local/share/man/man1/stagediff.1`.
    Man,
}

#[derive(Args, Debug)]
pub struct PlanArgs {
    /// Image reference: NAME[:TAG], docker-archive:PATH, oci:DIR, oci-archive:PATH, a path, or -.
    pub image: String,
    /// Emit JSON (schema stagediff.plan/v1).
    #[arg(long, conflicts_with = "markdown")]
    pub json: bool,
    /// Emit Markdown.
    #[arg(long)]
    pub markdown: bool,
    /// Fail (exit 1) when more than SIZE (e.g. 50MB) could still be removed.
    #[arg(long, value_name = "SIZE")]
    pub max_removable: Option<String>,
    /// Write the predicted image as a docker-archive (`docker load -i PATH`); `-` for stdout
    /// (the report then goes to stderr).
    #[arg(long, value_name = "PATH")]
    pub export: Option<String>,
    /// The exported image's tag (default: IMAGE's tag with `-minimal` appended).
    #[arg(long, value_name = "NAME:TAG", requires = "export")]
    pub tag: Option<String>,
    /// Also export IMAGE's paths matching GLOB (what static analysis cannot see: plugins,
    /// templates). Repeatable; also `export-include` in the config's [plan] table.
    #[arg(long, value_name = "GLOB", requires = "export")]
    pub export_include: Vec<String>,
    /// Leave closure files matching GLOB out of the export. Repeatable; also
    /// `export-exclude` in the config's [plan] table.
    #[arg(long, value_name = "GLOB", requires = "export")]
    pub export_exclude: Vec<String>,
}

impl PlanArgs {
    fn options(&self) -> anyhow::Result<cmd::plan::PlanOptions> {
        let max_removable = self
            .max_removable
            .as_deref()
            .map(|s| {
                crate::analysis::parse_size(s).map_err(|e| {
                    anyhow::anyhow!("--max-removable {}: {e}", crate::escape::escape_str(s))
                })
            })
            .transpose()?;
        Ok(cmd::plan::PlanOptions {
            image: self.image.clone(),
            format: OutputFormat::pick(self.json, self.markdown),
            max_removable,
            export: self.export.clone(),
            tag: self.tag.clone(),
            selection: crate::export::Selection {
                include: self.export_include.clone(),
                exclude: self.export_exclude.clone(),
            },
        })
    }
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// Image reference: NAME[:TAG], docker-archive:PATH, oci:DIR, oci-archive:PATH, a path, or -.
    pub image: String,
    /// Emit JSON (schema stagediff.inspect/v1).
    #[arg(long)]
    pub json: bool,
    /// List every layer's entries in the JSON output (left out by default:
    /// a big image has hundreds of thousands).
    #[arg(long)]
    pub entries: bool,
    /// List at most N entries per layer in the JSON output (implies --entries).
    #[arg(long, value_name = "N")]
    pub max_entries: Option<usize>,
    /// Fail (exit 1) when the layers store more than SIZE (e.g. 20MB) that
    /// later layers delete or overwrite.
    #[arg(long, value_name = "SIZE")]
    pub max_wasted: Option<String>,
    /// Fail (exit 1) when the final filesystem shows less than PERCENT of
    /// the bytes the layers store (dive's lowestEfficiency, e.g. 90).
    #[arg(long, value_name = "PERCENT")]
    pub min_efficiency: Option<f64>,
}

#[derive(Args, Debug, Clone)]
pub struct DiffArgs {
    /// The single-stage (or older) image.
    pub before: String,
    /// The multi-stage (or newer) image.
    pub after: String,
    /// Emit JSON (schema stagediff.diff/v1).
    #[arg(long, conflicts_with = "markdown")]
    pub json: bool,
    /// Emit Markdown tables (for a pull-request comment or $GITHUB_STEP_SUMMARY).
    #[arg(long)]
    pub markdown: bool,
    /// Fail (exit 1) when AFTER still ships any of these (comma-separated):
    /// toolchain, source, shell, package-manager, setuid, world-writable,
    /// secret, cache, all; or unused:SIZE (more than SIZE its entrypoint never uses).
    #[arg(long, value_delimiter = ',', value_name = "KINDS")]
    pub fail_on: Vec<String>,
    /// Fail (exit 1) when AFTER is larger than SIZE (e.g. 20MB, 1.5GiB).
    #[arg(long, value_name = "SIZE")]
    pub max_size: Option<String>,
    /// Extra bucket rules (TOML), on top of the built-in ones.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Rows per section in text and Markdown output.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// With --json: every path of both images (status, bytes, bucket, owner, layer), streamed.
    #[arg(long, requires = "json")]
    pub paths: bool,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Print the diff as JSON instead of opening the TUI.
    #[arg(long, conflicts_with = "markdown")]
    pub json: bool,
    /// Print the diff as Markdown instead of opening the TUI.
    #[arg(long)]
    pub markdown: bool,
}

/// Paths of the bundled demo pair (single-stage, multi-stage), as image
/// references.
pub use crate::cmd::demo_pair;

/// `os/arch[/variant]`, each part non-empty, lowercase as OCI writes them.
fn parse_platform(s: &str) -> Result<String, String> {
    let parts: Vec<&str> = s.split('/').collect();
    let ok = (2..=3).contains(&parts.len())
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-.".contains(&b))
        });
    if ok {
        Ok(s.to_string())
    } else {
        Err("a platform is OS/ARCH[/VARIANT], e.g. linux/amd64 or linux/arm64/v8".into())
    }
}

impl InspectArgs {
    fn options(&self) -> anyhow::Result<cmd::inspect::InspectOptions> {
        Ok(cmd::inspect::InspectOptions {
            image: self.image.clone(),
            json: self.json,
            // None lists them all.
            max_entries: match (self.entries, self.max_entries) {
                (_, Some(n)) => Some(n),
                (true, None) => None,
                (false, None) => Some(0),
            },
            gate: WasteGate::parse(self.max_wasted.as_deref(), self.min_efficiency)
                .map_err(anyhow::Error::msg)?,
        })
    }
}

impl DiffArgs {
    fn options(&self) -> anyhow::Result<cmd::diff::DiffOptions> {
        Ok(cmd::diff::DiffOptions {
            before: self.before.clone(),
            after: self.after.clone(),
            format: OutputFormat::pick(self.json, self.markdown),
            gate: Gate::parse(&self.fail_on, self.max_size.as_deref())
                .map_err(anyhow::Error::msg)?,
            rules: self.rules.clone(),
            top: self.top,
            paths: self.paths,
        })
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<i32> {
    if let Some(p) = &cli.load.platform {
        // Checked here rather than by clap, whose message would echo the
        // value unescaped.
        parse_platform(p)
            .map_err(|e| anyhow::anyhow!("--platform \"{}\": {e}", crate::escape::escape_str(p)))?;
    }
    let common = cli.load.common();
    match cli.command {
        Some(Command::Inspect(args)) => cmd::inspect::run(&args.options()?, &common),
        Some(Command::Diff(args)) => cmd::diff::run(&args.options()?, &common),
        Some(Command::Plan(args)) => cmd::plan::run(&args.options()?, &common),
        // Generated into memory, then written like any report (a closed
        // pipe ends quietly).
        Some(Command::Completions { shell }) => {
            use clap::CommandFactory;
            let mut text = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "stagediff", &mut text);
            cmd::write_stdout(&text).map(|_| 0)
        }
        Some(Command::Man) => {
            use clap::CommandFactory;
            let mut text = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut text)?;
            cmd::write_stdout(&text).map(|_| 0)
        }
        Some(Command::Demo(args)) => {
            let format = OutputFormat::pick(args.json, args.markdown);
            if format == OutputFormat::Text {
                let (before, after) = cmd::find_demo_pair()?;
                cmd::tui::run(vec![before, after], &common)
            } else {
                cmd::diff::run(&cmd::diff::DiffOptions::demo(format)?, &common)
            }
        }
        None => {
            if let Some(first) = cli.images.first() {
                if let Some(cmd) = mistyped_command(first) {
                    anyhow::bail!(
                        "unknown command {:?}: did you mean `stagediff {cmd}`? (an image of that name: {}:latest)",
                        crate::escape::escape_str(first),
                        crate::escape::escape_str(first)
                    );
                }
            }
            if cli.images.len() > 2 {
                anyhow::bail!(
                    "{} images given: the TUI opens one image or compares two (BEFORE AFTER)",
                    cli.images.len()
                );
            }
            let images = if cli.images.is_empty() {
                let (b, a) = cmd::find_demo_pair()?;
                vec![b, a]
            } else {
                cli.images
            };
            cmd::tui::run(images, &common)
        }
    }
}

/// The subcommand a word nearly spells (one or two letters off, or two
/// swapped), when it is no file either: `stagediff inpsect x` is a typo,
/// not an image called "inpsect".
fn mistyped_command(word: &str) -> Option<&'static str> {
    if word.contains([':', '/', '.']) || std::path::Path::new(word).exists() {
        return None;
    }
    ["inspect", "diff", "demo", "plan", "help"]
        .into_iter()
        .find(|c| word != *c && distance(word, c) <= if c.len() > 4 { 2 } else { 1 })
}

/// Edit distance with transpositions (optimal string alignment).
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 2 || a.len() > 64 {
        return usize::MAX;
    }
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// Runs the CLI; returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    let result = dispatch(cli);
    // Debug builds only: how many images were squashed, for the test that
    // holds every command to one squash per image (tests/squash_once.rs).
    if cfg!(debug_assertions) && std::env::var_os("STAGEDIFF_TEST_SQUASHES").is_some() {
        let n = crate::pipeline::squash_count();
        eprintln!("{}", crate::error::stderr_line(&format!("squashes: {n}")));
    }
    match result {
        Ok(code) => code,
        Err(e) => {
            // The one place errors reach stderr: one line, escaped once.
            eprintln!("{}", crate::error::stderr_line(&format!("{e:#}")));
            2
        }
    }
}
