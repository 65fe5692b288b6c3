//! `plan`'s text, JSON (`stagediff.plan/v1`, see `docs/plan-schema.md`)
//! and Markdown.

use crate::analysis::closure::{show_path, Part, Sure};
use crate::analysis::plan::{describe, parts, Plan};
use crate::analysis::Bucket;
use crate::escape::escape_str;
use crate::format::{percent, plural, size};
use crate::pipeline::Analysed;
use serde::Serialize;
use std::io::Write;

/// What `--export` wrote, for the report.
#[derive(Clone, Debug)]
pub struct ExportFacts {
    /// Where it went: a path, or `-` for stdout.
    pub dest: String,
    pub exported: crate::export::Exported,
}

impl ExportFacts {
    fn load_command(&self) -> String {
        if self.dest == "-" {
            "stagediff plan … --export - | docker load".into()
        } else {
            let p = escape_str(&self.dest);
            let quoted = if p
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/._-+:=@".contains(&b))
            {
                p.into_owned()
            } else {
                format!("'{}'", p.replace('\'', "'\\''"))
            };
            format!("docker load -i {quoted}")
        }
    }

    fn dest_label(&self) -> String {
        if self.dest == "-" {
            "standard output".into()
        } else {
            escape_str(&self.dest).into_owned()
        }
    }
}

/// Owners named per bucket in text.
const TOP_OWNERS: usize = 3;

fn argv_line(argv: &[String]) -> String {
    let words: Vec<String> = argv
        .iter()
        .map(|a| serde_json::to_string(&escape_str(a)).unwrap_or_default())
        .collect();
    format!("[{}]", words.join(", "))
}

/// Eliminated buckets with bytes, biggest first, each with its top owners.
fn buckets(plan: &Plan) -> Vec<(Bucket, u64, u32, Vec<String>)> {
    let cmp = &plan.comparison;
    let mut v: Vec<_> = cmp
        .eliminated
        .iter()
        .filter(|b| b.bytes > 0)
        .map(|b| {
            let owners = b
                .owners
                .iter()
                .filter(|o| o.owner.is_some())
                .take(TOP_OWNERS)
                .map(|o| format!("{} {}", cmp.owner_label(o.owner), size(o.bytes)))
                .collect();
            (b.bucket, b.bytes, b.files, owners)
        })
        .collect();
    v.sort_by_key(|b| std::cmp::Reverse(b.1));
    v
}

pub fn write_text(
    out: &mut impl Write,
    a: &Analysed,
    plan: &Plan,
    export: Option<&ExportFacts>,
) -> std::io::Result<()> {
    let c = &plan.closure;
    let image_bytes = plan.comparison.before.image_size;
    writeln!(out, "Image       {}", escape_str(&a.image.reference))?;
    if c.argv.is_empty() {
        writeln!(out, "Entrypoint  none")?;
    } else {
        writeln!(
            out,
            "Entrypoint  {}{}",
            argv_line(&c.argv),
            if c.shell_form { " (shell form)" } else { "" }
        )?;
    }
    if let Some(p) = c.program {
        writeln!(
            out,
            "Runs        {} · {}",
            show_path(&a.tree.path_of(p)),
            describe(c, &a.tree, &a.image)
        )?;
    }
    let files = c.required().count() as u64;
    writeln!(
        out,
        "Needs       {} · {}{}",
        plural(files, "file", "files"),
        size(c.bytes(&a.tree)),
        if c.exact() {
            " · exact"
        } else {
            " · partly inferred"
        }
    )?;
    for (part, n, bytes) in parts(c, &a.tree) {
        writeln!(
            out,
            "  {:<22} {:>10}  {}",
            part.label(),
            size(bytes),
            plural(u64::from(n), "file", "files")
        )?;
    }
    for (&id, item) in c.items.iter().filter(|(_, i)| i.sure == Sure::Optional) {
        writeln!(
            out,
            "  {:<22} {:>10}  {} ({})",
            "optional",
            size(a.tree.size(id)),
            show_path(&a.tree.path_of(id)),
            item.why
        )?;
    }
    if !plan.os_packages.is_empty() {
        let names: Vec<&str> = plan.os_packages.iter().map(|(n, _)| n.as_str()).collect();
        writeln!(out, "  from packages        {}", names.join(", "))?;
    }
    if !c.packages.is_empty() {
        let names: Vec<String> = c
            .packages
            .iter()
            .take(12)
            .map(|(_, n, v)| format!("{n} {v}"))
            .collect();
        let more = c.packages.len().saturating_sub(12);
        writeln!(
            out,
            "  language deps        {}{}",
            names.join(", "),
            if more > 0 {
                format!(" … and {more} more")
            } else {
                String::new()
            }
        )?;
    }
    for g in &c.gaps {
        writeln!(out, "  ! {}: {}", g.kind, g.detail)?;
    }
    writeln!(out)?;
    let removable = plan.removable_bytes();
    writeln!(
        out,
        "Prediction  a multi-stage build would remove {} of {} ({}): runtime ≈ {}",
        size(removable),
        size(image_bytes),
        percent(removable, image_bytes),
        size(plan.runtime_bytes())
    )?;
    for (bucket, bytes, files, owners) in buckets(plan) {
        writeln!(
            out,
            "  {:<22} {:>10}  {:<11} {}",
            bucket.to_string(),
            size(bytes),
            plural(u64::from(files), "file", "files"),
            owners.join(", ")
        )?;
    }
    if let Some(b) = &plan.on_base {
        writeln!(
            out,
            "  on its own base        {:>10}  {:<11} {}",
            format!("≈ {}", size(b.bytes)),
            plural(u64::from(b.files), "file", "files"),
            on_base_line(b)
        )?;
    }
    writeln!(out)?;
    writeln!(out, "Base        {}", plan.base)?;
    writeln!(out, "Dockerfile")?;
    for line in plan.dockerfile.lines() {
        writeln!(out, "  {line}")?;
    }
    if let Some(x) = export {
        let e = &x.exported;
        writeln!(out)?;
        writeln!(
            out,
            "Exported    {} · {} ({}) against {} for IMAGE · {} in the archive",
            x.dest_label(),
            size(e.size),
            plural(e.files, "file", "files"),
            size(image_bytes),
            size(e.archive_bytes)
        )?;
        writeln!(
            out,
            "  image     {} · {}",
            e.tag
                .as_deref()
                .map(escape_str)
                .unwrap_or("untagged".into()),
            e.id
        )?;
        if e.skipped > 0 {
            writeln!(
                out,
                "  left out  {} (device nodes, hard links to nothing)",
                plural(e.skipped, "entry", "entries")
            )?;
        }
        writeln!(out, "Load it     {}", x.load_command())?;
    }
    Ok(())
}

/// "a minimal dpkg base (95 packages) + 12 packages: a, b, c … and the rest of the closure".
fn on_base_line(b: &crate::analysis::plan::OnBase) -> String {
    const SHOWN: usize = 6;
    let mut s = format!(
        "a minimal {} base ({}) + {}",
        b.manager,
        plural(b.base_packages.len() as u64, "package", "packages"),
        plural(b.packages.len() as u64, "package", "packages")
    );
    if !b.packages.is_empty() {
        s.push_str(" (");
        s.push_str(
            &b.packages
                .iter()
                .take(SHOWN)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
        );
        if b.packages.len() > SHOWN {
            s.push_str(&format!(", +{} more", b.packages.len() - SHOWN));
        }
        s.push(')');
    }
    s.push_str(" + the rest of the closure");
    s
}

pub fn write_markdown(
    out: &mut impl Write,
    a: &Analysed,
    plan: &Plan,
    export: Option<&ExportFacts>,
) -> std::io::Result<()> {
    let c = &plan.closure;
    let image_bytes = plan.comparison.before.image_size;
    let removable = plan.removable_bytes();
    writeln!(
        out,
        "### stagediff plan `{}`\n",
        escape_str(&a.image.reference)
    )?;
    writeln!(
        out,
        "A multi-stage build would remove **{}** of {} ({}): runtime ≈ **{}**.\n",
        size(removable),
        size(image_bytes),
        percent(removable, image_bytes),
        size(plan.runtime_bytes())
    )?;
    if let Some(b) = &plan.on_base {
        writeln!(
            out,
            "On its own base (a final stage from the same distribution): ≈ **{}** — {}.\n",
            size(b.bytes),
            on_base_line(b)
        )?;
    }
    writeln!(out, "| needs | bytes | files |\n|---|---:|---:|")?;
    for (part, n, bytes) in parts(c, &a.tree) {
        writeln!(out, "| {} | {} | {} |", part.label(), size(bytes), n)?;
    }
    writeln!(out, "\n| would go | bytes | files |\n|---|---:|---:|")?;
    for (bucket, bytes, files, _) in buckets(plan) {
        writeln!(out, "| {bucket} | {} | {files} |", size(bytes))?;
    }
    for g in &c.gaps {
        writeln!(out, "\n> {}: {}", g.kind, g.detail)?;
    }
    writeln!(out, "\n```dockerfile\n{}```", plan.dockerfile)?;
    if let Some(x) = export {
        writeln!(
            out,
            "\nExported to {}: **{}** ({} files) against {} for the image. Load it with `{}`.",
            x.dest_label(),
            size(x.exported.size),
            x.exported.files,
            size(image_bytes),
            x.load_command()
        )?;
    }
    Ok(())
}

#[derive(Serialize)]
struct Doc<'a> {
    schema: &'static str,
    image: String,
    entrypoint: EntryDoc,
    closure: ClosureDoc,
    gaps: &'a [crate::analysis::closure::Gap],
    prediction: PredictionDoc<'a>,
    base: &'a str,
    dockerfile: &'a str,
    gate_failure: Option<&'a str>,
    export: Option<ExportDoc>,
}

#[derive(Serialize)]
struct ExportDoc {
    path: String,
    bytes: u64,
    image_bytes: u64,
    archive_bytes: u64,
    files: u64,
    entries: u64,
    tag: Option<String>,
    id: String,
    skipped: u64,
    load_command: String,
}

#[derive(Serialize)]
struct EntryDoc {
    argv: Vec<String>,
    shell_form: bool,
    kind: crate::analysis::closure::AppKind,
    program: Option<String>,
    description: String,
}

#[derive(Serialize)]
struct ClosureDoc {
    files: usize,
    bytes: u64,
    exact: bool,
    parts: Vec<PartDoc>,
    os_packages: Vec<NamedBytes>,
    packages: Vec<PackageDoc>,
    items: Vec<ItemDoc>,
}

#[derive(Serialize)]
struct PartDoc {
    part: Part,
    files: u32,
    bytes: u64,
}

#[derive(Serialize)]
struct NamedBytes {
    name: String,
    bytes: u64,
}

#[derive(Serialize)]
struct PackageDoc {
    ecosystem: String,
    name: String,
    version: String,
}

#[derive(Serialize)]
struct ItemDoc {
    path: String,
    part: Part,
    sure: Sure,
    why: String,
    bytes: u64,
    owner: Option<String>,
}

#[derive(Serialize)]
struct PredictionDoc<'a> {
    image_bytes: u64,
    runtime_bytes: u64,
    removable_bytes: u64,
    removable_files: u64,
    buckets: Vec<BucketDoc>,
    on_base: Option<&'a crate::analysis::plan::OnBase>,
}

#[derive(Serialize)]
struct BucketDoc {
    bucket: Bucket,
    bytes: u64,
    files: u32,
    top_owners: Vec<String>,
}

pub fn write_json(
    out: &mut impl Write,
    a: &Analysed,
    plan: &Plan,
    gate_failure: Option<&str>,
    export: Option<&ExportFacts>,
) -> std::io::Result<()> {
    let c = &plan.closure;
    let tree = &a.tree;
    let cmp = &plan.comparison;
    let doc = Doc {
        schema: "stagediff.plan/v1",
        image: escape_str(&a.image.reference).into_owned(),
        entrypoint: EntryDoc {
            argv: c.argv.iter().map(|s| escape_str(s).into_owned()).collect(),
            shell_form: c.shell_form,
            kind: c.kind,
            program: c.program.map(|p| show_path(&tree.path_of(p))),
            description: describe(c, tree, &a.image),
        },
        closure: ClosureDoc {
            files: c.required().count(),
            bytes: c.bytes(tree),
            exact: c.exact(),
            parts: parts(c, tree)
                .into_iter()
                .map(|(part, files, bytes)| PartDoc { part, files, bytes })
                .collect(),
            os_packages: plan
                .os_packages
                .iter()
                .map(|(n, b)| NamedBytes {
                    name: n.clone(),
                    bytes: *b,
                })
                .collect(),
            packages: c
                .packages
                .iter()
                .map(|(e, n, v)| PackageDoc {
                    ecosystem: e.clone(),
                    name: n.clone(),
                    version: v.clone(),
                })
                .collect(),
            items: c
                .items
                .iter()
                .map(|(&id, item)| ItemDoc {
                    path: show_path(&tree.path_of(id)),
                    part: item.part,
                    sure: item.sure,
                    why: item.why.clone(),
                    bytes: tree.size(id),
                    owner: cmp
                        .before
                        .facts(id)
                        .package
                        .map(|o| cmp.owner_label(Some(o))),
                })
                .collect(),
        },
        gaps: &c.gaps,
        prediction: PredictionDoc {
            image_bytes: cmp.before.image_size,
            runtime_bytes: plan.runtime_bytes(),
            removable_bytes: plan.removable_bytes(),
            removable_files: u64::from(cmp.totals.eliminated_files),
            buckets: buckets(plan)
                .into_iter()
                .map(|(bucket, bytes, files, top_owners)| BucketDoc {
                    bucket,
                    bytes,
                    files,
                    top_owners,
                })
                .collect(),
            on_base: plan.on_base.as_ref(),
        },
        base: &plan.base,
        dockerfile: &plan.dockerfile,
        gate_failure,
        export: export.map(|x| ExportDoc {
            path: escape_str(&x.dest).into_owned(),
            bytes: x.exported.size,
            image_bytes: cmp.before.image_size,
            archive_bytes: x.exported.archive_bytes,
            files: x.exported.files,
            entries: x.exported.entries,
            tag: x
                .exported
                .tag
                .as_deref()
                .map(|t| escape_str(t).into_owned()),
            id: x.exported.id.clone(),
            skipped: x.exported.skipped,
            load_command: x.load_command(),
        }),
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(std::io::Error::other)?;
    writeln!(out)
}
