//! Command-line interface. `main` is thin: it parses, dispatches, and turns
//! errors into one line on stderr with exit code 2.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "stagediff",
    version,
    about = "Show what a multi-stage build eliminated, by name and byte, and explore image layers",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// BEFORE [AFTER]: opens the TUI (one image: layer explorer; two: comparison).
    #[arg(value_name = "IMAGE", num_args = 0..=2)]
    pub images: Vec<String>,
    #[command(flatten)]
    pub load: LoadArgs,
}

#[derive(Args, Debug, Clone, Default)]
pub struct LoadArgs {
    /// Skip checking layer diff_ids and blob digests.
    #[arg(long, global = true)]
    pub no_verify: bool,
    /// Platform to pick from multi-platform images (os/arch[/variant]).
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
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Summarise one image: layers, sizes and the largest files.
    Inspect(InspectArgs),
    /// Compare BEFORE (single-stage) with AFTER (multi-stage) and attribute every eliminated byte.
    Diff(DiffArgs),
    /// Open the TUI (or print the diff) on the bundled demo pair.
    Demo(DemoArgs),
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// Image reference: NAME[:TAG], docker-archive:PATH, oci:DIR, oci-archive:PATH, a path, or -.
    pub image: String,
    /// Emit JSON (schema stagediff.inspect/v1).
    #[arg(long)]
    pub json: bool,
    /// Entries per layer in the JSON output (`all` by default; 0 for none).
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
    /// Fail (exit 1) when AFTER still ships any of these:
    /// toolchain,source,shell,package-manager,setuid,secret (comma-separated).
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
pub fn demo_pair() -> (String, String) {
    let dir = std::env::var_os("STAGEDIFF_DEMO_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/demo"));
    (
        format!(
            "docker-archive:{}",
            dir.join("single.docker.tar.zst").display()
        ),
        format!(
            "docker-archive:{}",
            dir.join("multi.docker.tar.zst").display()
        ),
    )
}

/// Runs the CLI; returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    let result = match cli.command {
        Some(Command::Inspect(args)) => crate::report::inspect::run(&args, &cli.load),
        Some(Command::Diff(args)) => crate::report::diff::run(&args, &cli.load),
        Some(Command::Demo(args)) => {
            let (before, after) = demo_pair();
            if args.json || args.markdown {
                let diff = DiffArgs {
                    before,
                    after,
                    json: args.json,
                    markdown: args.markdown,
                    fail_on: Vec::new(),
                    max_size: None,
                    rules: None,
                    top: 10,
                };
                crate::report::diff::run(&diff, &cli.load)
            } else {
                crate::ui::run(vec![before, after], &cli.load)
            }
        }
        None => {
            let images = if cli.images.is_empty() {
                let (b, a) = demo_pair();
                vec![b, a]
            } else {
                cli.images
            };
            crate::ui::run(images, &cli.load)
        }
    };
    match result {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("{}", crate::error::stderr_line(&msg));
            2
        }
    }
}
