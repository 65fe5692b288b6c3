//! `stagediff plan IMAGE`: the entrypoint's runtime closure, the runtime
//! image it predicts, what a multi-stage build would remove, and a
//! Dockerfile to get there. Gates on `--max-removable` (exit 1).
//! `--export PATH` writes the predicted image as a docker-archive.

use super::{one_line, written, Common, Config, OutputFormat};
use crate::export::{ExportError, Selection};
use crate::report::plan::{write_json, write_markdown, write_text, ExportFacts};
use anyhow::anyhow;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Everything `plan` was asked, checked.
#[derive(Clone, Debug)]
pub struct PlanOptions {
    pub image: String,
    pub format: OutputFormat,
    /// Exit 1 when more than this could still go.
    pub max_removable: Option<u64>,
    /// `--export PATH` (`-`: stdout).
    pub export: Option<String>,
    /// `--tag NAME:TAG` for the export.
    pub tag: Option<String>,
    /// `--export-include` / `--export-exclude`, on top of the config's.
    pub selection: Selection,
}

/// The config's `[plan]` table: `export-include` and `export-exclude`,
/// lists of globs.
fn config_selection(config: &Config) -> anyhow::Result<Selection> {
    let mut sel = Selection::default();
    let Some(plan) = config.table.get("plan") else {
        return Ok(sel);
    };
    let named = |e: String| anyhow!("config {}: [plan] {e}", config.path);
    let table = plan
        .as_table()
        .ok_or_else(|| named("must be a table".into()))?;
    for (key, value) in table {
        let list = match key.as_str() {
            "export-include" => &mut sel.include,
            "export-exclude" => &mut sel.exclude,
            other => {
                return Err(named(format!(
                    "unknown key `{}` (known: export-include, export-exclude)",
                    crate::escape::escape_str(other)
                )))
            }
        };
        let items = value
            .as_array()
            .ok_or_else(|| named(format!("{key} must be a list of globs")))?;
        for item in items {
            let glob = item
                .as_str()
                .ok_or_else(|| named(format!("{key} must be a list of globs")))?;
            list.push(glob.to_string());
        }
    }
    Ok(sel)
}

/// Where the archive goes while it is written: a temporary file beside
/// PATH (created exclusively, removed unless renamed to PATH at the end),
/// or stdout.
enum Sink {
    Stdout,
    File {
        path: PathBuf,
        temp: PathBuf,
        file: Option<std::fs::File>,
    },
}

impl Sink {
    fn open(dest: &str) -> anyhow::Result<Sink> {
        if dest == "-" {
            return Ok(Sink::Stdout);
        }
        let path = PathBuf::from(dest);
        let shown = crate::escape::escape_str(dest).into_owned();
        let fail = |e: std::io::Error| anyhow!("cannot write the export to {shown}: {e}");
        if path.is_dir() {
            return Err(anyhow!(
                "cannot write the export to {shown}: it is a directory"
            ));
        }
        let name = path
            .file_name()
            .ok_or_else(|| anyhow!("cannot write the export to {shown}: not a file name"))?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let pid = std::process::id();
        for n in 0..100u32 {
            let mut temp_name = std::ffi::OsString::from(".");
            temp_name.push(name);
            temp_name.push(format!(".stagediff-{pid}-{n}.tmp"));
            let temp = dir.join(temp_name);
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temp)
            {
                Ok(file) => {
                    return Ok(Sink::File {
                        path,
                        temp,
                        file: Some(file),
                    })
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(fail(e)),
            }
        }
        Err(anyhow!(
            "cannot write the export to {shown}: no free temporary name beside it"
        ))
    }

    fn dest(&self) -> String {
        match self {
            Sink::Stdout => "-".into(),
            Sink::File { path, .. } => path.display().to_string(),
        }
    }

    /// Renames the finished file to PATH.
    fn commit(mut self) -> anyhow::Result<()> {
        if let Sink::File { path, temp, file } = &mut self {
            let shown = crate::escape::escape_str(&path.display().to_string()).into_owned();
            if let Some(f) = file.take() {
                f.sync_all()
                    .map_err(|e| anyhow!("cannot write the export to {shown}: {e}"))?;
            }
            std::fs::rename(&*temp, &*path)
                .map_err(|e| anyhow!("cannot write the export to {shown}: {e}"))?;
            // Renamed: nothing left to remove.
            *temp = PathBuf::new();
        }
        Ok(())
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        if let Sink::File { temp, file, .. } = self {
            drop(file.take());
            if !temp.as_os_str().is_empty() {
                let _ = std::fs::remove_file(&*temp);
            }
        }
    }
}

/// ^C and SIGTERM set `progress.cancel` once an export has begun: the load
/// and the write stop at their next read or write, the temporary file is
/// removed and the command says so. A second signal does not wait: the
/// temporary file is removed and the process ends.
/// Watching starts before the temporary file exists, so no ^C can fall
/// between its creation and the watch: the file's path is handed over
/// through the returned slot once it is known.
fn cancel_on_signals(
    progress: &Arc<crate::source::LoadProgress>,
) -> anyhow::Result<Arc<std::sync::Mutex<Option<PathBuf>>>> {
    let temp: Arc<std::sync::Mutex<Option<PathBuf>>> = Arc::default();
    let slot = Arc::clone(&temp);
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .map_err(|e| anyhow!("cannot watch for ^C: {e}"))?;
    let progress = Arc::clone(progress);
    std::thread::spawn(move || {
        let mut seen = signals.forever();
        if seen.next().is_some() {
            progress.cancel.store(true, Ordering::SeqCst);
        }
        if seen.next().is_some() {
            let held = temp.lock().map(|t| t.clone()).unwrap_or_default();
            if let Some(t) = held {
                let _ = std::fs::remove_file(t);
            }
            eprintln!(
                "{}",
                crate::error::stderr_line("interrupted twice: stopped at once")
            );
            std::process::exit(2);
        }
    });
    Ok(slot)
}

/// Runs `plan`; returns the exit code (0 clean, 1 gate failed).
pub fn run(opts: &PlanOptions, common: &Common) -> anyhow::Result<i32> {
    let config = Config::read(common)?;
    let rules = config.rules(None)?;
    let mut selection = config_selection(&config)?;
    selection
        .include
        .extend(opts.selection.include.iter().cloned());
    selection
        .exclude
        .extend(opts.selection.exclude.iter().cloned());
    if let Some(t) = &opts.tag {
        crate::export::check_tag(t).map_err(|e| anyhow!("--tag {e}"))?;
    }
    let progress = Arc::new(crate::source::LoadProgress::default());
    // Checked before the slow load: the export must be writable, and a
    // stream that cannot be read twice cannot be exported.
    let sink = match &opts.export {
        Some(dest) => {
            if opts.image == "-" {
                return Err(anyhow!(
                    "--export cannot read an image on standard input twice; save it to a \
                     file first (docker save -o FILE IMAGE) and name the file"
                ));
            }
            let slot = cancel_on_signals(&progress)?;
            let sink = Sink::open(dest)?;
            if let (Sink::File { temp, .. }, Ok(mut held)) = (&sink, slot.lock()) {
                *held = Some(temp.clone());
            }
            Some(sink)
        }
        None => None,
    };
    let interrupted = |sink: &Option<Sink>| match sink {
        Some(Sink::File { path, .. }) => anyhow!(
            "interrupted: nothing was written to {}",
            crate::escape::escape_str(&path.display().to_string())
        ),
        _ => anyhow!("interrupted: the export is incomplete"),
    };
    let analysed = match crate::pipeline::load(&opts.image, &common.load, &progress) {
        Ok(a) => a,
        Err(e) if matches!(e.kind, crate::error::ErrorKind::Cancelled) => {
            return Err(interrupted(&sink))
        }
        Err(e) => return Err(one_line(e)),
    };
    let plan = crate::analysis::plan::plan(&analysed.image, Arc::clone(&analysed.tree), &rules);
    let export = match sink {
        Some(mut sink) => {
            let tree = crate::export::select(&analysed.tree, &plan.closure, &selection);
            let req = crate::export::Request {
                reference: &opts.image,
                load: &common.load,
                image: &analysed.image,
                tree: &tree,
                tag: opts
                    .tag
                    .clone()
                    .or_else(|| crate::export::default_tag(&analysed.image)),
                cancel: &progress.cancel,
            };
            let result = match &mut sink {
                Sink::Stdout => {
                    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout());
                    crate::export::write_archive(&req, &mut out)
                }
                Sink::File { file, .. } => match file {
                    Some(f) => {
                        let mut out = std::io::BufWriter::with_capacity(1 << 20, &*f);
                        crate::export::write_archive(&req, &mut out)
                    }
                    None => Err(ExportError::Cancelled),
                },
            };
            let exported = match result {
                Ok(x) => x,
                Err(ExportError::Cancelled) => return Err(interrupted(&Some(sink))),
                Err(ExportError::Write(e)) => {
                    let dest = match sink.dest().as_str() {
                        "-" => "standard output".to_string(),
                        d => crate::escape::escape_str(d).into_owned(),
                    };
                    return Err(anyhow!("cannot write the export to {dest}: {e}"));
                }
                Err(e) => return Err(anyhow!("export failed: {e}")),
            };
            if progress.cancel.load(Ordering::SeqCst) {
                return Err(interrupted(&Some(sink)));
            }
            let dest = sink.dest();
            sink.commit()?;
            Some(ExportFacts { dest, exported })
        }
        None => None,
    };
    let failure = opts.max_removable.and_then(|max| {
        let removable = plan.removable_bytes();
        (removable > max).then(|| {
            format!(
                "gate failed: max-removable: {} could still go, more than {}",
                crate::format::size(removable),
                crate::format::size(max)
            )
        })
    });
    // With the archive on stdout, the report goes to stderr.
    let to_stderr = opts.export.as_deref() == Some("-");
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut out: Box<dyn Write> = if to_stderr {
        Box::new(stderr.lock())
    } else {
        Box::new(stdout.lock())
    };
    let x = export.as_ref();
    let w = match opts.format {
        OutputFormat::Text => write_text(&mut out, &analysed, &plan, x),
        OutputFormat::Json => write_json(&mut out, &analysed, &plan, failure.as_deref(), x),
        OutputFormat::Markdown => write_markdown(&mut out, &analysed, &plan, x),
    };
    written(w)?;
    match failure {
        Some(f) => {
            eprintln!("{}", crate::error::stderr_line(&f));
            Ok(1)
        }
        None => Ok(0),
    }
}
